package io.weft.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code meshd} processes of several sites for the chaos scenarios. Every port is chosen by the
 * node (port 0) and kept across restarts; every node has a data dir and a log of its own; everything
 * started is killed by PID in {@link #close()} and by a shutdown hook.
 *
 * <p>Two network layouts: on loopback (the default) every node binds an address of its own in
 * 127.0.0.0/8 and its mesh port sits behind a {@link FaultProxy} that peers dial (the node advertises
 * the proxy's port), so faults can be put on route and gateway links by who dials whom. With
 * {@link #netns()} every node runs in a network namespace of its own and partitions are real
 * (iptables); there are no proxies then.
 */
final class Cluster implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile(
            "client=(\\d+) http=(\\d+) mesh=(\\d+) membership=\\S*?:?(\\d*) raft=(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Named, not imported: the suite only launches meshd as a process (DESIGN: chaos-tests -> client). */
    private static final String MESHD_MAIN = "io.weft.broker.Main";
    /** Likewise: meshctl runs as a process from this module's test classpath. */
    private static final String MESHCTL_MAIN = "io.weft.cli.Meshctl";

    final Path dir;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> sites = new LinkedHashMap<>();
    private final Map<String, Long> peakHeap = new ConcurrentHashMap<>();
    private final Map<String, Long> peakDirect = new ConcurrentHashMap<>();
    private final Map<String, Long> peakRetained = new ConcurrentHashMap<>();
    private final HttpClient http;
    /** The cluster's CA when every node runs TLS; null for plaintext. */
    final io.weft.security.TestPki pki;
    private final Thread hook = new Thread(this::killAll, "chaos-cleanup");
    private final Thread sampler;
    private final Netns netns;
    private volatile boolean closed;

    /** One node: its process, its address and the ports it bound. */
    static final class Node {
        final String name;
        final String site;
        final String ip;
        final FaultProxy proxy;
        /** More meshd flags, kept across restarts (e.g. {@code --gateways}). */
        final List<String> flags = new ArrayList<>();
        Process process;
        int clientPort;
        int httpPort;
        int meshPort;
        int raftPort;
        int membershipPort;

        Node(String name, String site, String ip, FaultProxy proxy) {
            this.name = name;
            this.site = site;
            this.ip = ip;
            this.proxy = proxy;
        }

        /** The native client address. */
        String client() {
            return ip + ":" + clientPort;
        }

        /** The mesh address peers dial: the proxy's on loopback. */
        String mesh() {
            return proxy != null ? ip + ":" + proxy.port() : ip + ":" + meshPort;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        long pid() {
            return process.pid();
        }
    }

    private Cluster(Path dir, Netns netns) {
        this(dir, netns, null);
    }

    private Cluster(Path dir, Netns netns, io.weft.security.TestPki pki) {
        this.dir = dir;
        this.netns = netns;
        this.pki = pki;
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (pki != null) {
            try {
                javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
                ssl.init(null, io.weft.security.TlsMaterial.trustOnly(pki.caFile()).trustManagers(), null);
                hb.sslContext(ssl);
            } catch (java.security.GeneralSecurityException | IOException e) {
                throw new IllegalStateException("the test CA: " + e.getMessage(), e);
            }
        }
        this.http = hb.build();
        Runtime.getRuntime().addShutdownHook(hook);
        sampler = new Thread(this::sampleHeap, "chaos-heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Nodes on loopback with a fault proxy in front of every mesh port. */
    static Cluster loopback(Path dir) {
        return new Cluster(dir, null);
    }

    /** Nodes on loopback, every port TLS with certificates from a test CA made in {@code dir}/pki. */
    static Cluster loopbackTls(Path dir) {
        return new Cluster(dir, null, io.weft.security.TestPki.create(dir.resolve("pki"), "chaos"));
    }

    /** Nodes in network namespaces of their own (root only: see {@link Netns#unavailableReason()}). */
    static Cluster netns(Path dir) throws IOException {
        return new Cluster(dir, new Netns());
    }

    Node node(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no node " + name);
        }
        return n;
    }

    List<Node> nodes() {
        return new ArrayList<>(nodes.values());
    }

    List<String> names(String site) {
        return nodes.values().stream().filter(n -> n.site.equals(site)).map(n -> n.name).toList();
    }

    /** Starts a node that seeds from {@code seeds} (node names) and waits until its ports are bound. */
    synchronized Node start(String name, String site, String... seeds) throws IOException {
        Node n = add(name, site);
        List<String> seedAddrs = new ArrayList<>();
        for (String s : seeds) {
            seedAddrs.add(node(s).mesh());
        }
        launch(n, seedAddrs);
        return n;
    }

    /**
     * Starts a node whose site's links are configured: it dials the mesh addresses (behind their proxies)
     * of {@code gateways} (node names), seeds from {@code seeds} (its own site's), and gets {@code more}
     * flags (e.g. {@code --no-transit}). Waits until its ports are bound.
     */
    synchronized Node startLinked(String name, String site, List<String> gateways, List<String> seeds,
                                  String... more) throws IOException {
        Node n = add(name, site);
        List<String> addrs = new ArrayList<>();
        for (String g : gateways) {
            addrs.add(node(g).mesh());
        }
        n.flags.addAll(List.of("--gateways", String.join(",", addrs)));
        n.flags.addAll(List.of(more));
        List<String> seedAddrs = new ArrayList<>();
        for (String s : seeds) {
            seedAddrs.add(node(s).mesh());
        }
        launch(n, seedAddrs);
        return n;
    }

    /** A node to start: its name, site and the nodes it seeds from. */
    record Spec(String name, String site, List<String> seeds) {
    }

    /**
     * Starts every node of {@code specs} at the same moment (a cold start of a whole mesh: nobody is
     * up to join yet), then waits until each has bound its ports. Seeds may name any node of the
     * list: on loopback peers dial the proxies, whose ports are known before any node runs.
     */
    synchronized List<Node> startTogether(List<Spec> specs) throws IOException {
        if (netns != null) {
            throw new IllegalStateException("startTogether needs the loopback layout (proxies)");
        }
        List<Node> added = new ArrayList<>();
        for (Spec sp : specs) {
            added.add(add(sp.name(), sp.site()));
        }
        for (int i = 0; i < specs.size(); i++) {
            List<String> seedAddrs = new ArrayList<>();
            for (String s : specs.get(i).seeds()) {
                seedAddrs.add(node(s).mesh());
            }
            spawn(added.get(i), seedAddrs);
        }
        for (Node n : added) {
            awaitPorts(n);
        }
        return added;
    }

    /** Starts the stopped nodes {@code names} again at the same moment, with their data and ports. */
    synchronized void restartTogether(List<String> names) throws IOException {
        List<Node> todo = new ArrayList<>();
        for (String name : names) {
            Node n = node(name);
            if (n.alive()) {
                throw new IllegalStateException(name + " is running");
            }
            todo.add(n);
        }
        for (Node n : todo) {
            spawn(n, seedsFor(n));
        }
        for (Node n : todo) {
            awaitPorts(n);
        }
    }

    private Node add(String name, String site) throws IOException {
        int siteIndex = sites.computeIfAbsent(site, s -> sites.size() + 1);
        long inSite = nodes.values().stream().filter(n -> n.site.equals(site)).count();
        String ip;
        FaultProxy proxy = null;
        if (netns != null) {
            ip = netns.add(name);
        } else {
            ip = "127.77." + siteIndex + "." + (inSite + 1);
            proxy = new FaultProxy(name, new InetSocketAddress(ip, 0));
        }
        Node n = new Node(name, site, ip, proxy);
        nodes.put(name, n);
        return n;
    }

    /** Starts a stopped node again with its data dir and the same ports. */
    synchronized void restart(String name) throws IOException {
        Node n = node(name);
        if (n.alive()) {
            throw new IllegalStateException(name + " is running");
        }
        launch(n, seedsFor(n));
    }

    /** A restarted node seeds from every other node. */
    private List<String> seedsFor(Node n) {
        List<String> seeds = new ArrayList<>();
        for (Node o : nodes.values()) {
            if (o != n) {
                seeds.add(o.mesh());
            }
        }
        return seeds;
    }

    /**
     * The last {@code max} warning and error lines of a node's logs (older runs of it first), for
     * failure messages: CI shows only the test output.
     */
    String warnings(String name, int max) {
        List<String> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            List<Path> logs = files.filter(p -> p.getFileName().toString().startsWith(name + ".")
                    && p.getFileName().toString().endsWith(".log")).sorted((a, b) -> {
                        // name.log is the current run; name.<millis>.log are earlier ones
                        String x = a.getFileName().toString();
                        String y = b.getFileName().toString();
                        return x.equals(name + ".log") ? 1 : y.equals(name + ".log") ? -1 : x.compareTo(y);
                    }).toList();
            for (Path p : logs) {
                out.add("--- " + p.getFileName());
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    if (line.contains(" WARN ") || line.contains(" ERROR ")) {
                        out.add(line);
                    }
                }
            }
        } catch (IOException e) {
            out.add("cannot read the logs of " + name + ": " + e);
        }
        return String.join("\n", out.subList(Math.max(0, out.size() - max), out.size()));
    }

    /**
     * The stacks of a node's threads that apply, snapshot or wait on a lock (from {@code jcmd
     * Thread.print}, each cut to {@code depth} frames), for failure messages about a stalled replica.
     */
    String stalledThreads(String name, int depth) {
        Node n = nodes.get(name);
        if (n == null || n.process == null || !n.process.isAlive()) {
            return name + " is not running";
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(n.process.pid()), "Thread.print")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            StringBuilder b = new StringBuilder();
            for (String block : out.split("\n\n")) {
                String head = block.strip();
                boolean idle = head.contains("ThreadPoolExecutor.getTask");
                if (!idle && (head.contains("StateMachineUpdater") || head.contains("weft-stream-checkpoint")
                        || head.contains("BLOCKED") || head.contains("waiting to lock"))) {
                    String[] lines = head.split("\n");
                    for (int i = 0; i < Math.min(lines.length, depth + 2); i++) {
                        b.append(lines[i]).append('\n');
                    }
                }
            }
            return b.length() == 0 ? "(no applying, checkpointing or blocked threads)" : b.toString();
        } catch (IOException e) {
            return "jcmd failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private void launch(Node n, List<String> seeds) throws IOException {
        spawn(n, seeds);
        awaitPorts(n);
    }

    /** Starts the node's process; {@link #awaitPorts} waits for it to bind. */
    private void spawn(Node n, List<String> seeds) throws IOException {
        Path log = dir.resolve(n.name + ".log");
        if (Files.exists(log)) {
            Files.move(log, dir.resolve(n.name + "." + System.currentTimeMillis() + ".log"));
        }
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(netns.exec(n.name));
        }
        cmd.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // meshd turns Netty's leak detection off unless asked: the scenarios keep it on
                "-Dio.netty.leakDetection.level=simple"));
        // extra JVM options for every node when investigating, e.g. -Dchaos.node.jvm=-Dorg.slf4j.simpleLogger.log.org.apache.ratis=info
        for (String o : System.getProperty("chaos.node.jvm", "").trim().split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), MESHD_MAIN,
                "--node", n.name, "--site", n.site, "--host", n.ip,
                "--client-port", Integer.toString(n.clientPort), "--http-port", Integer.toString(n.httpPort),
                "--mesh-port", Integer.toString(n.meshPort), "--raft-port", Integer.toString(n.raftPort),
                "--data-dir", dir.resolve(n.name).toString(),
                "--gossip-interval-ms", "200", "--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "1500",
                "--failure-timeout-ms", "1500",
                // snapshots (and log purges, and snapshot installs on followers that fell behind) every
                // few seconds of load instead of once a run: the scenarios exercise them
                "--stream-snapshot-entries", System.getProperty("chaos.snapshot.entries", "2000")));
        if (netns != null) {
            cmd.add("--insecure"); // namespace addresses are not loopback: plaintext needs saying so
        }
        if (pki != null) {
            // the node's own address in its certificate, for clients that check host names (HTTPS)
            io.weft.security.TestPki.Files f = pki.custom("nodes/" + n.name, spec -> spec
                    .id(io.weft.security.SpiffeId.node(pki.mesh(), n.site, n.name)).ip("127.0.0.1", n.ip).dns("localhost")
                    .notAfter(java.time.Instant.now().plus(Duration.ofDays(2))));
            cmd.addAll(List.of("--tls-cert", f.cert().toString(), "--tls-key", f.key().toString(),
                    "--tls-ca", pki.caFile().toString()));
        }
        if (n.proxy != null) {
            cmd.add("--advertise-mesh-port");
            cmd.add(Integer.toString(n.proxy.port()));
        }
        if (!seeds.isEmpty()) {
            cmd.add("--seeds");
            cmd.add(String.join(",", seeds));
        }
        cmd.addAll(n.flags);
        n.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Waits until a spawned node has logged the ports it bound; points its proxy at its mesh port. */
    private void awaitPorts(Node n) throws IOException {
        Path log = dir.resolve(n.name + ".log");
        Await.until(Duration.ofSeconds(60), () -> started(n, log) || !n.process.isAlive(),
                () -> n.name + " did not log its ports");
        if (!n.process.isAlive()) {
            throw new IllegalStateException(n.name + " exited: " + Files.readString(log));
        }
        if (n.proxy != null) {
            n.proxy.target(new InetSocketAddress(n.ip, n.meshPort));
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
            n.membershipPort = m.group(4).isEmpty() ? 0 : Integer.parseInt(m.group(4));
            n.raftPort = Integer.parseInt(m.group(5));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The usual topology: nodes c1..cN of site "cloud" and o1..oM of site "onprem", all seeded from
     * c1, ready when this returns.
     */
    Cluster cloudAndOnprem(int cloud, int onprem) throws IOException {
        for (int i = 1; i <= cloud; i++) {
            if (i == 1) {
                start("c1", "cloud");
            } else {
                start("c" + i, "cloud", "c1");
            }
        }
        for (int i = 1; i <= onprem; i++) {
            start("o" + i, "onprem", "c1");
        }
        awaitReady(Duration.ofSeconds(90));
        return this;
    }

    /** Waits until every running node reports ready on /healthz. */
    void awaitReady(Duration timeout) {
        for (Node n : nodes.values()) {
            if (n.alive()) {
                Await.until(timeout, () -> ready(n.name), () -> n.name + " not ready");
            }
        }
    }

    /** {@code kill -9}, by PID. */
    void kill9(String name) throws InterruptedException {
        Process p = node(name).process;
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
    }

    /** SIGTERM to every node of {@code names} at once, then wait for all to exit. */
    void stopTogether(List<String> names) throws InterruptedException {
        for (String name : names) {
            node(name).process.destroy();
        }
        for (String name : names) {
            Process p = node(name).process;
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(name + " did not stop within 30 s of SIGTERM");
            }
        }
    }

    /** SIGTERM, then wait for the node to exit. */
    void stop(String name) throws InterruptedException {
        Process p = node(name).process;
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(name + " did not stop within 30 s of SIGTERM");
        }
    }

    // ---- faults on mesh links (loopback layout) ----

    /**
     * Puts {@code faults} on every mesh connection from a node matching {@code from} to a node
     * matching {@code to} (both directions of those connections); the targets' other connections are
     * left clean. A later call replaces the rules of the targets it names.
     */
    void linkFaults(Predicate<Node> from, Predicate<Node> to, FaultProxy.Faults faults) {
        if (netns != null) {
            throw new IllegalStateException("link faults need the loopback layout (proxies)");
        }
        Map<InetAddress, Node> byIp = new LinkedHashMap<>();
        for (Node n : nodes.values()) {
            try {
                byIp.put(InetAddress.getByName(n.ip), n);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        for (Node target : nodes.values()) {
            if (to.test(target)) {
                target.proxy.faults(addr -> {
                    Node src = byIp.get(addr);
                    return src != null && from.test(src) ? faults : FaultProxy.Faults.NONE;
                });
            }
        }
    }

    /** Faults on every link between the two sites, whichever side dialled. */
    void siteLinkFaults(String siteA, String siteB, FaultProxy.Faults faults) {
        linkFaults(n -> n.site.equals(siteA), n -> n.site.equals(siteB), faults);
        linkFaults(n -> n.site.equals(siteB), n -> n.site.equals(siteA), faults);
    }

    /** Removes every fault: proxies forward cleanly, partitions are lifted. */
    void heal() throws IOException {
        if (netns != null) {
            netns.heal();
            return;
        }
        for (Node n : nodes.values()) {
            n.proxy.heal();
        }
    }

    /** Real partition (netns layout): the nodes of {@code a} cannot reach those of {@code b}. */
    void partition(Collection<String> a, Collection<String> b) throws IOException {
        if (netns == null) {
            throw new IllegalStateException("partitions need the netns layout");
        }
        netns.partition(a, b);
    }

    // ---- observing ----

    /** GET a JSON document from a node's HTTP port; null when it does not answer (or answers 5xx). */
    JsonNode get(String name, String path) {
        HttpResponse<String> r = fetch(name, path);
        try {
            return r == null || r.statusCode() >= 500 ? null : JSON.readTree(r.body());
        } catch (IOException e) {
            return null;
        }
    }

    /** The Prometheus text of a node's /metrics; empty when it does not answer. */
    String metrics(String name) {
        HttpResponse<String> r = fetch(name, "/metrics");
        return r == null ? "" : r.body();
    }

    private HttpResponse<String> fetch(String name, String path) {
        Node n = node(name);
        try {
            return http.send(HttpRequest.newBuilder(URI.create((pki != null ? "https://" : "http://") + n.ip + ":" + n.httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * What {@code meshctl check} said of the running nodes.
     *
     * @param report its JSON report (null when it printed none)
     * @param output everything it printed
     */
    record Check(int exit, JsonNode report, String output) {
        boolean whole() {
            return exit == 0 && report != null && report.path("whole").asBoolean();
        }
    }

    /**
     * Runs {@code meshctl check} as a process (the command the demo runs) against every running
     * node: is the mesh whole, events delivered between every pair of nodes?
     */
    Check meshCheck(Duration timeout) throws IOException, InterruptedException {
        List<String> clients = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (n.alive()) {
                clients.add(n.client());
            }
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), MESHCTL_MAIN, "check",
                "-s", String.join(",", clients), "--expect-nodes", Integer.toString(clients.size()),
                "--timeout", timeout.toSeconds() + "s", "--json", "--tls-ca", pki == null ? "" : pki.caFile().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toSeconds() + 60, TimeUnit.SECONDS)) {
                throw new AssertionError("meshctl check did not end within " + timeout.plusSeconds(60));
            }
        } finally {
            p.destroyForcibly();
        }
        String text = new String(out, StandardCharsets.UTF_8);
        JsonNode report = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("{")) {
                report = JSON.readTree(line);
            }
        }
        return new Check(p.exitValue(), report, text);
    }

    /** A client pinned to {@code node} (no discovery): the scenarios choose where traffic enters. */
    MeshClient client(String node) {
        return MeshClient.connect(options().servers(node(node).client()).discover(false).build());
    }

    /** Client options for this cluster: its CA when the nodes run TLS. */
    ClientOptions.Builder options() {
        return pki == null ? ClientOptions.builder() : ClientOptions.builder().tls(pki.caFile());
    }

    boolean allAlive() {
        return nodes.values().stream().allMatch(Node::alive);
    }

    boolean ready(String name) {
        JsonNode h = get(name, "/healthz");
        return h != null && "ready".equals(h.path("status").asText());
    }

    /** Highest heap in use seen on each node (sampled from /metrics every 250 ms), in bytes. */
    Map<String, Long> peakHeap() {
        return new LinkedHashMap<>(peakHeap);
    }

    /**
     * Highest heap left after a collection seen on each node (sum over the heap pools of
     * jvm_memory_pool_collection_used_bytes), in bytes: what the node retains. Peak heap in use is
     * close to -Xmx on any busy node with the serial collector, garbage included, so bounds are
     * checked on this.
     */
    Map<String, Long> peakRetained() {
        return new LinkedHashMap<>(peakRetained);
    }

    /** Highest NIO direct memory in use seen on each node (Netty's buffers), in bytes. */
    Map<String, Long> peakDirect() {
        return new LinkedHashMap<>(peakDirect);
    }

    private void sampleHeap() {
        while (!closed) {
            for (Node n : List.copyOf(nodes.values())) {
                if (n.alive() && n.httpPort > 0) {
                    String text = metrics(n.name);
                    long h = Metrics.value(text, "jvm_memory_used_bytes{area=\"heap\"}");
                    if (h >= 0) {
                        peakHeap.merge(n.name, h, Math::max);
                    }
                    // what the last collection of each heap pool left: the retained heap, not garbage
                    long r = Metrics.value(text, "jvm_memory_pool_collection_used_bytes");
                    if (r >= 0) {
                        peakRetained.merge(n.name, r, Math::max);
                    }
                    long d = Metrics.value(text, "jvm_buffer_pool_used_bytes{pool=\"direct\"}");
                    if (d >= 0) {
                        peakDirect.merge(n.name, d, Math::max);
                    }
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
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
        closed = true;
        killAll();
        for (Node n : nodes.values()) {
            if (n.process != null) {
                try {
                    n.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (n.proxy != null) {
                n.proxy.close();
            }
        }
        if (netns != null) {
            netns.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
