package io.weft.broker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Every setting of a {@code meshd} process, with its flag, its {@code MESHD_*} environment variable
 * and its default. {@link #validate()} checks ranges at start-up and names the flag in its error.
 * Tests build one in code and set fields directly.
 */
@Command(name = "meshd", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Weft broker node. Every flag can also be set by the environment variable shown.",
        sortOptions = false, usageHelpAutoWidth = true)
public final class MeshdConfig {
    @Option(names = "--node", defaultValue = "${env:MESHD_NODE:-node1}",
            description = "Node name, unique in the mesh (MESHD_NODE, default ${DEFAULT-VALUE}).")
    public String node;

    @Option(names = "--site", defaultValue = "${env:MESHD_SITE:-default}",
            description = "Site this node belongs to (MESHD_SITE, default ${DEFAULT-VALUE}).")
    public String site;

    @Option(names = "--host", defaultValue = "${env:MESHD_HOST:-127.0.0.1}",
            description = "Address to bind every port to (MESHD_HOST, default ${DEFAULT-VALUE}). "
                    + "Any other than a loopback address needs TLS (--tls-*) or --insecure.")
    public String host;

    @Option(names = "--advertise-host", defaultValue = "${env:MESHD_ADVERTISE_HOST:-}",
            description = "Host name clients and peers use to reach this node (MESHD_ADVERTISE_HOST; "
                    + "default: --host, or 127.0.0.1 when --host is a wildcard).")
    public String advertiseHost;

    @Option(names = "--client-port", defaultValue = "${env:MESHD_CLIENT_PORT:-7420}",
            description = "Native protocol port, 0 = any free port (MESHD_CLIENT_PORT, default ${DEFAULT-VALUE}).")
    public int clientPort;

    @Option(names = "--mesh-port", defaultValue = "${env:MESHD_MESH_PORT:-7421}",
            description = "Route and gateway link port (MESHD_MESH_PORT, default ${DEFAULT-VALUE}).")
    public int meshPort;

    @Option(names = "--advertise-mesh-port", defaultValue = "${env:MESHD_ADVERTISE_MESH_PORT:-0}",
            description = "Mesh port peers dial when it differs from --mesh-port (port forwarding, NAT, "
                    + "a proxy); 0 = the bound mesh port (MESHD_ADVERTISE_MESH_PORT, default ${DEFAULT-VALUE}).")
    public int advertiseMeshPort;

    @Option(names = "--http-port", defaultValue = "${env:MESHD_HTTP_PORT:-7480}",
            description = "HTTP CloudEvents ingress, admin API and /metrics (MESHD_HTTP_PORT, default ${DEFAULT-VALUE}).")
    public int httpPort;

    @Option(names = "--raft-port", defaultValue = "${env:MESHD_RAFT_PORT:-7422}",
            description = "Raft traffic of stream replicas (MESHD_RAFT_PORT, default ${DEFAULT-VALUE}).")
    public int raftPort;

    @Option(names = "--data-dir", defaultValue = "${env:MESHD_DATA_DIR:-./data}",
            description = "Directory for this node's data (MESHD_DATA_DIR, default ${DEFAULT-VALUE}).")
    public Path dataDir;

    @Option(names = "--seeds", split = ",", defaultValue = "${env:MESHD_SEEDS:-}",
            description = "Mesh addresses HOST:MESHPORT of any nodes already in the mesh (MESHD_SEEDS).")
    public List<String> seeds = new ArrayList<>();

    @Option(names = "--gateways", split = ",", defaultValue = "${env:MESHD_GATEWAYS:-}",
            description = "Mesh addresses HOST:MESHPORT of nodes in neighbour sites to dial (MESHD_GATEWAYS). "
                    + "With it, this site is joined to the others only through the sites listed (and those that "
                    + "list it), and events cross intermediate sites; give every node of a site the same list, "
                    + "and --seeds of its own site only. Without it, every node dials one node of every site.")
    public List<String> gateways = new ArrayList<>();

    @Option(names = "--no-transit", defaultValue = "${env:MESHD_NO_TRANSIT:-false}",
            description = "This site is an edge: it never carries events between two other sites (MESHD_NO_TRANSIT).")
    public boolean noTransit;

    @Option(names = "--site-link-cost", split = ",", defaultValue = "${env:MESHD_SITE_LINK_COST:-}",
            description = "SITE=COST[,...]: the cost of this node's links to a neighbour site, 1..65535, default 1 "
                    + "(MESHD_SITE_LINK_COST). Events take the path of least total cost.")
    public List<String> siteLinkCosts = new ArrayList<>();

    @Option(names = "--membership-port", defaultValue = "${env:MESHD_MEMBERSHIP_PORT:-0}",
            description = "Port of the membership protocol (JGroups); 0 = any free port, peers learn it "
                    + "through the mesh handshake (MESHD_MEMBERSHIP_PORT, default ${DEFAULT-VALUE}).")
    public int membershipPort;

    @Option(names = "--gossip-interval-ms", defaultValue = "${env:MESHD_GOSSIP_INTERVAL_MS:-1000}",
            description = "Anti-entropy interval of interest gossip (MESHD_GOSSIP_INTERVAL_MS, default ${DEFAULT-VALUE}).")
    public long gossipIntervalMillis;

    @Option(names = "--heartbeat-interval-ms", defaultValue = "${env:MESHD_HEARTBEAT_INTERVAL_MS:-1000}",
            description = "Heartbeat interval on quiet route and gateway links, and of membership (at most half "
                    + "of --failure-timeout-ms there) (MESHD_HEARTBEAT_INTERVAL_MS, default ${DEFAULT-VALUE}).")
    public long heartbeatIntervalMillis;

    @Option(names = "--heartbeat-timeout-ms", defaultValue = "${env:MESHD_HEARTBEAT_TIMEOUT_MS:-3000}",
            description = "A link silent this long is reported down and redialled (MESHD_HEARTBEAT_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    public long heartbeatTimeoutMillis;

    @Option(names = "--failure-timeout-ms", defaultValue = "${env:MESHD_FAILURE_TIMEOUT_MS:-2000}",
            description = "A node unheard of this long is suspected dead by membership (MESHD_FAILURE_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    public long failureTimeoutMillis;

    @Option(names = "--max-payload", defaultValue = "${env:MESHD_MAX_PAYLOAD:-1048576}",
            description = "Largest frame or HTTP body in bytes (MESHD_MAX_PAYLOAD, default ${DEFAULT-VALUE}).")
    public int maxPayloadBytes;

    @Option(names = "--max-pending", defaultValue = "${env:MESHD_MAX_PENDING:-16777216}",
            description = "Outbound byte budget per client connection; past it a subscriber's events are "
                    + "dropped and counted (MESHD_MAX_PENDING, default ${DEFAULT-VALUE}).")
    public long maxPendingBytes;

    @Option(names = "--slow-consumer-timeout-ms", defaultValue = "${env:MESHD_SLOW_CONSUMER_TIMEOUT_MS:-2000}",
            description = "A connection over its budget for this long is closed as a slow consumer "
                    + "(MESHD_SLOW_CONSUMER_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    public long slowConsumerTimeoutMillis;

    @Option(names = "--slow-consumer-grace-ms", defaultValue = "${env:MESHD_SLOW_CONSUMER_GRACE_MS:-10000}",
            description = "How long a slow consumer may take to read its error before the close is forced "
                    + "(MESHD_SLOW_CONSUMER_GRACE_MS, default ${DEFAULT-VALUE}).")
    public long slowConsumerCloseGraceMillis;

    @Option(names = "--handshake-timeout-ms", defaultValue = "${env:MESHD_HANDSHAKE_TIMEOUT_MS:-5000}",
            description = "Time a new connection has to send HELLO (MESHD_HANDSHAKE_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
    public long handshakeTimeoutMillis;

    @Option(names = "--max-subscriptions", defaultValue = "${env:MESHD_MAX_SUBSCRIPTIONS:-100000}",
            description = "Subscriptions per connection (MESHD_MAX_SUBSCRIPTIONS, default ${DEFAULT-VALUE}).")
    public int maxSubscriptionsPerConnection;

    @Option(names = "--stream-snapshot-entries", defaultValue = "${env:MESHD_STREAM_SNAPSHOT_ENTRIES:-20000}",
            description = "Raft entries between snapshots of a stream replica; the log is kept one interval "
                    + "behind the snapshot. Lower: shorter restarts, more checkpoint work "
                    + "(MESHD_STREAM_SNAPSHOT_ENTRIES, default ${DEFAULT-VALUE}).")
    public long streamSnapshotEntries;

    @Option(names = "--tls-cert", defaultValue = "${env:MESHD_TLS_CERT:-}",
            description = "PEM certificate (chain, leaf first) naming this node: spiffe://MESH/weft/site/SITE/node/NODE "
                    + "(meshctl pki makes them). With --tls-key and --tls-ca it turns TLS on for every port (MESHD_TLS_CERT).")
    public String tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:MESHD_TLS_KEY:-}",
            description = "PEM PKCS#8 private key of --tls-cert (MESHD_TLS_KEY).")
    public String tlsKey;

    @Option(names = "--tls-ca", defaultValue = "${env:MESHD_TLS_CA:-}",
            description = "PEM CA bundle that node and client certificates must chain to (MESHD_TLS_CA).")
    public String tlsCa;

    @Option(names = "--tls-crl", defaultValue = "${env:MESHD_TLS_CRL:-}",
            description = "PEM file of CRLs signed by a CA of --tls-ca; node and client certificates it lists are "
                    + "refused (MESHD_TLS_CRL; meshctl pki revoke writes one).")
    public String tlsCrl;

    @Option(names = "--max-handshakes-in-flight", defaultValue = "${env:MESHD_MAX_HANDSHAKES_IN_FLIGHT:-256}",
            description = "TLS handshakes the client, HTTP and mesh ports each run at once; past it new "
                    + "connections to that port are closed at once (MESHD_MAX_HANDSHAKES_IN_FLIGHT, default ${DEFAULT-VALUE}).")
    public int maxHandshakesInFlight;

    @Option(names = "--security-config", defaultValue = "${env:MESHD_SECURITY_CONFIG:-}",
            description = "Users and permissions (JSON; meshctl security check FILE validates it). With it, clients "
                    + "authenticate (password, token or client certificate) and are held to their permissions "
                    + "(MESHD_SECURITY_CONFIG).")
    public String securityConfig;

    @Option(names = "--insecure", defaultValue = "${env:MESHD_INSECURE:-false}",
            description = "Run without TLS on a non-loopback --host: anyone who reaches the ports can join, "
                    + "publish and read (MESHD_INSECURE).")
    public boolean insecure;

    @Option(names = "--io-threads", defaultValue = "${env:MESHD_IO_THREADS:-0}",
            description = "Network event loop threads, 0 = one per core (MESHD_IO_THREADS).")
    public int ioThreads;

    /** A configuration with every default, for tests and embedding; ports are 0 (any free port). */
    public static MeshdConfig defaults() {
        MeshdConfig c = new MeshdConfig();
        c.node = "node1";
        c.site = "default";
        c.host = "127.0.0.1";
        c.advertiseHost = "";
        c.dataDir = Path.of("data");
        c.maxPayloadBytes = 1 << 20;
        c.maxPendingBytes = 16L << 20;
        c.slowConsumerTimeoutMillis = 2000;
        c.slowConsumerCloseGraceMillis = 10000;
        c.handshakeTimeoutMillis = 5000;
        c.maxSubscriptionsPerConnection = 100000;
        c.gossipIntervalMillis = 1000;
        c.heartbeatIntervalMillis = 1000;
        c.heartbeatTimeoutMillis = 3000;
        c.failureTimeoutMillis = 2000;
        c.streamSnapshotEntries = 20000;
        c.maxHandshakesInFlight = 256;
        return c;
    }

    /** Throws {@link IllegalArgumentException} naming the flag and the allowed range. */
    public MeshdConfig validate() {
        requireName("--node", node);
        requireName("--site", site);
        port("--client-port", clientPort);
        port("--mesh-port", meshPort);
        port("--advertise-mesh-port", advertiseMeshPort);
        port("--http-port", httpPort);
        port("--raft-port", raftPort);
        range("--max-payload", maxPayloadBytes, 1024, 64L << 20);
        range("--max-pending", maxPendingBytes, 64L * 1024, 1L << 34);
        range("--slow-consumer-timeout-ms", slowConsumerTimeoutMillis, 1, 3_600_000);
        range("--slow-consumer-grace-ms", slowConsumerCloseGraceMillis, 1, 3_600_000);
        range("--handshake-timeout-ms", handshakeTimeoutMillis, 1, 3_600_000);
        range("--max-subscriptions", maxSubscriptionsPerConnection, 1, 10_000_000);
        range("--io-threads", ioThreads, 0, 256);
        range("--max-handshakes-in-flight", maxHandshakesInFlight, 1, 1_000_000);
        port("--membership-port", membershipPort);
        range("--gossip-interval-ms", gossipIntervalMillis, 10, 600_000);
        range("--heartbeat-interval-ms", heartbeatIntervalMillis, 10, 600_000);
        range("--heartbeat-timeout-ms", heartbeatTimeoutMillis, heartbeatIntervalMillis * 2, 3_600_000);
        range("--failure-timeout-ms", failureTimeoutMillis, 100, 3_600_000);
        range("--stream-snapshot-entries", streamSnapshotEntries, 100, 100_000_000);
        int tlsFiles = (blank(tlsCert) ? 0 : 1) + (blank(tlsKey) ? 0 : 1) + (blank(tlsCa) ? 0 : 1);
        if (tlsFiles != 0 && tlsFiles != 3) {
            throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca go together: give all three "
                    + "(TLS on every port) or none (plaintext, loopback only unless --insecure)");
        }
        if (tlsFiles == 0 && !blank(tlsCrl)) {
            throw new IllegalArgumentException("--tls-crl needs TLS (--tls-cert, --tls-key and --tls-ca)");
        }
        if (tlsFiles == 0 && !insecure && !loopback(host)) {
            throw new IllegalArgumentException("--host " + host + " is not a loopback address: give --tls-cert, "
                    + "--tls-key and --tls-ca (bin/meshctl pki init makes them), or --insecure to run "
                    + "plaintext where anyone who reaches the ports can join the mesh");
        }
        gateways = addresses("--gateways", gateways);
        siteLinkCosts();
        if (seeds == null) {
            seeds = new ArrayList<>();
        }
        seeds.removeIf(String::isBlank);
        for (String s : seeds) {
            try {
                io.weft.protocol.HostPort.parse(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--seeds: " + e.getMessage() + " (expected HOST:MESHPORT)");
            }
        }
        return this;
    }

    private static List<String> addresses(String flag, List<String> given) {
        List<String> out = new ArrayList<>();
        if (given != null) {
            for (String a : given) {
                if (a.isBlank()) {
                    continue;
                }
                try {
                    io.weft.protocol.HostPort.parse(a.trim());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(flag + ": " + e.getMessage() + " (expected HOST:MESHPORT)");
                }
                out.add(a.trim());
            }
        }
        return out;
    }

    /** Whether this site's links to other sites are configured ({@code --gateways}): multi-hop site routing. */
    public boolean siteLinksConfigured() {
        return gateways != null && !gateways.isEmpty();
    }

    /** {@code --site-link-cost} as site to cost; throws naming the flag on a bad entry. */
    public java.util.Map<String, Integer> siteLinkCosts() {
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        if (siteLinkCosts == null) {
            return out;
        }
        for (String entry : siteLinkCosts) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String s = eq < 0 ? "" : entry.substring(0, eq).trim();
            String c = eq < 0 ? "" : entry.substring(eq + 1).trim();
            int cost;
            try {
                cost = Integer.parseInt(c);
            } catch (NumberFormatException e) {
                cost = -1;
            }
            if (eq < 0 || s.isEmpty() || cost < 1 || cost > 65535) {
                throw new IllegalArgumentException("--site-link-cost: '" + entry + "' must be SITE=COST with a cost "
                        + "of 1..65535");
            }
            requireName("--site-link-cost", s);
            out.put(s, cost);
        }
        return out;
    }

    /** Whether TLS is on (all three files given). */
    public boolean tlsEnabled() {
        return !blank(tlsCert);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static boolean loopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** Bytes the per-connection queue may hold; Netty's write buffer holds up to as much again. */
    long queueBudgetBytes() {
        return maxPendingBytes / 2;
    }

    /** The host clients and peers should dial. */
    public String advertisedHost() {
        if (advertiseHost != null && !advertiseHost.isBlank()) {
            return advertiseHost;
        }
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    }

    int ioThreadCount() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    private static void requireName(String flag, String v) {
        if (v == null || !v.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new IllegalArgumentException(flag + ": '" + v
                    + "' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    private static void port(String flag, int p) {
        range(flag, p, 0, 65535);
    }

    private static void range(String flag, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(flag + ": " + v + " is outside the allowed range " + min + ".." + max);
        }
    }
}
