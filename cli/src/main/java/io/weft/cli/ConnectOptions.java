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

    @Option(names = "--tls-ca", defaultValue = "${env:MESHCTL_TLS_CA:-}",
            description = "Connect over TLS, trusting brokers whose certificate chains to this PEM CA bundle (MESHCTL_TLS_CA).")
    String tlsCa;

    @Option(names = "--tls-cert", defaultValue = "${env:MESHCTL_TLS_CERT:-}",
            description = "PEM certificate to present to the broker (MESHCTL_TLS_CERT); needs --tls-key and --tls-ca.")
    String tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:MESHCTL_TLS_KEY:-}",
            description = "PEM PKCS#8 key of --tls-cert (MESHCTL_TLS_KEY).")
    String tlsKey;

    @Option(names = "--user", defaultValue = "${env:MESHCTL_USER:-}",
            description = "User to authenticate as, with --password (MESHCTL_USER).")
    String user;

    @Option(names = "--password", defaultValue = "${env:MESHCTL_PASSWORD:-}",
            description = "Password of --user (MESHCTL_PASSWORD; prefer the variable or --creds: a flag shows in ps).")
    String password;

    @Option(names = "--token", defaultValue = "${env:MESHCTL_TOKEN:-}",
            description = "Token to authenticate with (MESHCTL_TOKEN).")
    String token;

    @Option(names = "--creds", defaultValue = "${env:MESHCTL_CREDS:-}",
            description = "JSON file with {\"user\": ..., \"password\": ...} or {\"token\": ...} (MESHCTL_CREDS).")
    String creds;

    /** The site whose brokers the client prefers. */
    String clientSite() {
        String s = System.getenv("MESHCTL_SITE");
        return s == null ? "" : s;
    }

    ClientOptions.Builder builder(String name) {
        // a node named with -s is the node the command runs on when it answers; the nodes it tells of
        // are for failover (a long `sub` outlives its node)
        return tls(ClientOptions.builder().servers(servers).site(clientSite()).name(name).connectTimeout(connectTimeout)
                .discover(!noDiscover).preferServers(true));
    }

    /** Options for a connection to exactly {@code address}, ignoring -s and discovery. */
    ClientOptions.Builder pinned(String name, String address) {
        return tls(ClientOptions.builder().servers(address).site(clientSite()).name(name).connectTimeout(connectTimeout)
                .discover(false));
    }

    private ClientOptions.Builder tls(ClientOptions.Builder b) {
        boolean cert = tlsCert != null && !tlsCert.isBlank();
        boolean key = tlsKey != null && !tlsKey.isBlank();
        if (cert != key) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsCa != null && !tlsCa.isBlank()) {
            b.tls(java.nio.file.Path.of(tlsCa));
        } else if (cert) {
            throw new IllegalArgumentException("--tls-cert needs --tls-ca (the CA that signed the brokers' certificates)");
        }
        if (cert) {
            b.tlsCertificate(java.nio.file.Path.of(tlsCert), java.nio.file.Path.of(tlsKey));
        }
        return credentials(b);
    }

    private ClientOptions.Builder credentials(ClientOptions.Builder b) {
        String u = blankToNull(user);
        String p = blankToNull(password);
        String t = blankToNull(token);
        if (blankToNull(creds) != null) {
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.nio.file.Files.readString(java.nio.file.Path.of(creds)));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--creds " + creds + ": " + e.getMessage());
            }
            u = u != null ? u : blankToNull(n.path("user").asText(null));
            p = p != null ? p : blankToNull(n.path("password").asText(null));
            t = t != null ? t : blankToNull(n.path("token").asText(null));
        }
        if ((u == null) != (p == null)) {
            throw new IllegalArgumentException(u == null ? "--password needs --user" : "--user needs --password (or MESHCTL_PASSWORD)");
        }
        if (u != null && t != null) {
            throw new IllegalArgumentException("give --user/--password or --token, not both");
        }
        if (u != null) {
            b.credentials(u, p);
        }
        if (t != null) {
            b.token(t);
        }
        return b;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    MeshClient connect(String name) {
        return connect(builder(name));
    }

    /**
     * Connects; when one server was named and discovery took the client to another node, says so on
     * stderr: a command "on cloud-1" must not run through cloud-2 without telling.
     */
    MeshClient connect(ClientOptions.Builder b) {
        MeshClient c = MeshClient.connect(b.build());
        String note = servedElsewhere(servers, noDiscover, c.connectedServer(), c.serverInfo() == null ? ""
                : c.serverInfo().node(), c.candidates());
        if (note != null) {
            System.err.println(note);
        }
        return c;
    }

    private static boolean same(String a, String b) {
        return a.trim().equalsIgnoreCase(b.trim());
    }

    /** The note {@link #connect(ClientOptions.Builder)} prints, or null when there is nothing to say. */
    static String servedElsewhere(String servers, boolean noDiscover, String connected, String node,
                                  java.util.List<io.weft.client.BrokerCandidate> candidates) {
        if (noDiscover || servers == null || servers.contains(",") || connected == null
                || same(servers, connected)) {
            return null;
        }
        String named = servers.trim();
        for (io.weft.client.BrokerCandidate c : candidates) {
            if (same(c.address(), servers)
                    && !c.node().isEmpty()) {
                named = named + " (" + c.node() + ")";
            }
        }
        return "meshctl: served by " + node + " (" + connected + "), the nearest broker " + named
                + " told of; --no-discover talks to " + servers.trim() + " only";
    }
}
