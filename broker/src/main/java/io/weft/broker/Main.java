package io.weft.broker;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code bin/meshd}: parses flags and environment, starts a node, stops it on SIGTERM/SIGINT. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        MeshdConfig config = new MeshdConfig();
        CommandLine cl = new CommandLine(config);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("meshd: " + e.getMessage());
            cl.usage(System.err);
            System.exit(2);
            return;
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(System.out);
            return;
        }
        if (cl.isVersionHelpRequested()) {
            cl.printVersionHelp(System.out);
            return;
        }
        try {
            config.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("meshd: " + e.getMessage());
            System.exit(2);
            return;
        }
        Broker broker;
        try {
            broker = Broker.start(config);
        } catch (Exception e) {
            System.err.println("meshd: cannot start: " + e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down");
            broker.close();
            stopped.countDown();
        }, "meshd-shutdown"));
        stopped.await();
    }
}
