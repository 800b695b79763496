package io.weft.broker;

import java.nio.file.Path;
import java.util.function.Consumer;

/** Starts in-process brokers on free ports for tests. */
final class TestBrokers {
    private TestBrokers() {
    }

    static Broker start(Path dataDir) throws Exception {
        return start(dataDir, c -> { });
    }

    static Broker start(Path dataDir, Consumer<MeshdConfig> tweak) throws Exception {
        MeshdConfig c = MeshdConfig.defaults();
        c.dataDir = dataDir;
        c.ioThreads = 2;
        tweak.accept(c);
        return Broker.start(c);
    }

    static String address(Broker b) {
        return "127.0.0.1:" + b.clientPort();
    }
}
