package io.weft.cli;

import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options every command that talks to a broker shares. */
final class ServerOptions {
    @Option(names = {"-s", "--server"}, defaultValue = "${env:MESHCTL_SERVER:-127.0.0.1:7420}",
            description = "Broker client address(es) HOST:PORT[,HOST:PORT...] (MESHCTL_SERVER, default ${DEFAULT-VALUE}).")
    String servers;

    @Option(names = "--site", defaultValue = "${env:MESHCTL_SITE:-}",
            description = "Your site: brokers of this site are preferred (MESHCTL_SITE).")
    String site;

    @Option(names = "--connect-timeout", defaultValue = "5s",
            description = "How long to try to reach a broker (default ${DEFAULT-VALUE}).",
            converter = Cli.DurationConverter.class)
    Duration connectTimeout;

    @Option(names = "--no-discover",
            description = "Use only the given server(s), not the other nodes they tell about (to talk to one node).")
    boolean noDiscover;

    ClientOptions.Builder builder(String name) {
        return ClientOptions.builder().servers(servers).site(site).name(name).connectTimeout(connectTimeout)
                .discover(!noDiscover);
    }

    /** Options for a connection to exactly {@code address}, ignoring -s and discovery. */
    ClientOptions.Builder pinned(String name, String address) {
        return ClientOptions.builder().servers(address).site(site).name(name).connectTimeout(connectTimeout)
                .discover(false);
    }

    MeshClient connect(String name) {
        return MeshClient.connect(builder(name).build());
    }
}
