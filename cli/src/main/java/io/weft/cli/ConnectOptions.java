package io.weft.cli;

import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The connection options of commands that talk to a broker, without {@code --site} (for commands
 * where {@code --site} means something else, e.g. a stream's site): the client's site preference
 * then comes from {@code MESHCTL_SITE}. Most commands use {@link ServerOptions}, which adds it.
 */
class ConnectOptions {
    @Option(names = {"-s", "--server"}, defaultValue = "${env:MESHCTL_SERVER:-127.0.0.1:7420}",
            description = "Broker client address(es) HOST:PORT[,HOST:PORT...] (MESHCTL_SERVER, default ${DEFAULT-VALUE}).")
    String servers;

    @Option(names = "--connect-timeout", defaultValue = "5s",
            description = "How long to try to reach a broker (default ${DEFAULT-VALUE}).",
            converter = Cli.DurationConverter.class)
    Duration connectTimeout;

    @Option(names = "--no-discover",
            description = "Use only the given server(s), not the other nodes they tell about (to talk to one node).")
    boolean noDiscover;

    /** The site whose brokers the client prefers. */
    String clientSite() {
        String s = System.getenv("MESHCTL_SITE");
        return s == null ? "" : s;
    }

    ClientOptions.Builder builder(String name) {
        return ClientOptions.builder().servers(servers).site(clientSite()).name(name).connectTimeout(connectTimeout)
                .discover(!noDiscover);
    }

    /** Options for a connection to exactly {@code address}, ignoring -s and discovery. */
    ClientOptions.Builder pinned(String name, String address) {
        return ClientOptions.builder().servers(address).site(clientSite()).name(name).connectTimeout(connectTimeout)
                .discover(false);
    }

    MeshClient connect(String name) {
        return MeshClient.connect(builder(name).build());
    }
}
