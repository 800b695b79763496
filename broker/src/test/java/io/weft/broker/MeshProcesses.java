package io.weft.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code meshd} processes on loopback for multi-process tests: every port 0, own data and log
 * per node, killed by PID when the test ends (and by a shutdown hook if the JVM dies first).
 */
final class MeshProcesses implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("client=(\\d+) http=(\\d+) mesh=(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final HttpClient http;
    private final String scheme;
    private final Thread hook = new Thread(this::killAll, "mesh-processes-cleanup");

    /** One node: its process and the ports it bound. */
    static final class Node {
        final String name;
        final String site;
        final List<String> seeds;
        final List<String> extraArgs;
        Process process;
        int clientPort;
        int httpPort;
        int meshPort;

        Node(String name, String site, List<String> seeds, List<String> extraArgs) {
            this.name = name;
            this.site = site;
            this.seeds = new ArrayList<>(seeds);
            this.extraArgs = extraArgs;
        }

        String client() {
            return "127.0.0.1:" + clientPort;
        }

        String mesh() {
            return "127.0.0.1:" + meshPort;
        }
    }

    MeshProcesses(Path dir) {
        this(dir, null);
    }

    /** Nodes whose HTTP ports are HTTPS, reached with {@code https}'s trust (and certificate, if any). */
    MeshProcesses(Path dir, javax.net.ssl.SSLContext https) {
        this.dir = dir;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (https != null) {
            b.sslContext(https);
        }
        this.http = b.build();
        this.scheme = https == null ? "http" : "https";
        Runtime.getRuntime().addShutdownHook(hook);
    }

    Node node(String name) {
        return nodes.get(name);
    }

    List<Node> nodes() {
        return new ArrayList<>(nodes.values());
    }

    /** Starts a node and waits until its ports are bound. */
    Node start(String name, String site, List<String> seeds) throws IOException {
        return start(name, site, seeds, List.of());
    }

    /** Starts a node with more flags (e.g. TLS files) and waits until its ports are bound. */
    Node start(String name, String site, List<String> seeds, List<String> extraArgs) throws IOException {
        Node n = new Node(name, site, seeds, extraArgs);
        nodes.put(name, n);
        launch(n, 0, 0, 0);
        return n;
    }

    /**
     * Starts a killed node again with its data dir and the same ports, or with new ones when one of
     * them was taken meanwhile: the first start got them from the kernel's ephemeral range, from which
     * any outgoing connection (a peer redialling this very node) may take a freed number. Peers find
     * the node's new ports through membership; its raft port is kept in its data dir either way.
     */
    void restart(String name) throws IOException {
        Node n = nodes.get(name);
        if (n.seeds.isEmpty()) {
            // the mesh's first node had nobody to name at its first start; started again alone it would found a
            // membership group of its own (until MERGE3 joins the two), as any node without seeds does: an
            // operator restarting it into a running mesh names the others, and so does this
            // (a node whose site's links are configured, --gateways, is seeded by its own site only)
            boolean ownSiteOnly = n.extraArgs.contains("--gateways");
            for (Node other : nodes.values()) {
                if (other != n && other.process != null && other.process.isAlive()
                        && (!ownSiteOnly || other.site.equals(n.site))) {
                    n.seeds.add(other.mesh());
                }
            }
        }
        try {
            launch(n, n.clientPort, n.httpPort, n.meshPort);
        } catch (IllegalStateException e) {
            if (!String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw e;
            }
            launch(n, 0, 0, 0);
        }
    }

    private void launch(Node n, int client, int httpPort, int mesh) throws IOException {
        Path log = dir.resolve(n.name + ".log");
        Files.deleteIfExists(log);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // meshd turns Netty's leak detection off unless asked: tests keep it on
                "-Dio.netty.leakDetection.level=simple",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--node", n.name, "--site", n.site, "--host", "127.0.0.1",
                "--client-port", Integer.toString(client), "--http-port", Integer.toString(httpPort),
                "--mesh-port", Integer.toString(mesh), "--raft-port", "0",
                "--data-dir", dir.resolve(n.name).toString(),
                "--gossip-interval-ms", "200", "--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "1500",
                "--failure-timeout-ms", "1500"));
        cmd.addAll(n.extraArgs);
        if (!n.seeds.isEmpty()) {
            cmd.add("--seeds");
            cmd.add(String.join(",", n.seeds));
        }
        n.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Await.until(Duration.ofSeconds(60), () -> started(n, log) || !n.process.isAlive(),
                () -> n.name + " did not log its ports");
        if (!n.process.isAlive()) {
            throw new IllegalStateException(n.name + " exited: " + Files.readString(log));
        }
    }

    private static boolean started(Node n, Path log) {
        try {
            Matcher m = STARTED.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (!m.find()) {
                return false;
            }
            n.clientPort = Integer.parseInt(m.group(1));
            n.httpPort = Integer.parseInt(m.group(2));
            n.meshPort = Integer.parseInt(m.group(3));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code kill -9}. */
    void kill9(String name) throws InterruptedException {
        Process p = nodes.get(name).process;
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
    }

    /** GET a JSON document from a node's HTTP port; null when it does not answer. */
    JsonNode get(String name, String path) {
        Node n = nodes.get(name);
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + n.httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** GET a text document (e.g. /metrics) from a node's HTTP port; null when it does not answer. */
    String text(String name, String path) {
        Node n = nodes.get(name);
        try {
            return http.send(HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + n.httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    boolean ready(String name) {
        JsonNode h = get(name, "/healthz");
        return h != null && "ready".equals(h.path("status").asText());
    }

    /** Events this node has sent to nodes of {@code site} over mesh links. */
    long eventsSentToSite(String name, String site) {
        JsonNode l = get(name, "/v1/links");
        return l == null ? -1 : l.path("sentBySite").path(site).path("events").asLong(0);
    }

    String log(String name) throws IOException {
        return Files.readString(dir.resolve(name + ".log"));
    }

    private void killAll() {
        for (Node n : nodes.values()) {
            if (n.process != null) {
                n.process.destroyForcibly();
            }
        }
    }

    @Override
    public void close() {
        killAll();
        for (Node n : nodes.values()) {
            if (n.process != null) {
                try {
                    n.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
