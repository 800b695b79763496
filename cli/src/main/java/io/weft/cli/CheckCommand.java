package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meshctl check}: is the mesh whole? Connects to every node it can learn of (one pinned
 * connection each), waits until every node is ready, lists every other node as live, has no
 * unnamed member, and has its route links and a gateway link to every other site; then publishes
 * one event on every node to a subscriber on every other node and counts what arrives. Retries
 * until {@code --timeout}; prints which node misses whom.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check that the mesh is whole: every node ready, every node listing every other as live,"
                + " every route and gateway link up, and an event from every node reaching a subscriber on every"
                + " other node. Retries until --timeout, then prints which node misses whom.",
                "Exit status: 0 whole, 1 not whole."})
final class CheckCommand implements Callable<Integer> {
    private static final String TOPIC_ROOT = "_weft.check.";
    private static final long EVENTS_MIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Mixin
    ConnectOptions conn;

    @Option(names = "--expect-nodes", defaultValue = "0",
            description = "How many nodes the mesh has; 0 (default): as many as the nodes list.")
    int expectNodes;

    @Option(names = "--timeout", defaultValue = "60s", converter = Cli.DurationConverter.class,
            description = "How long to wait for the mesh to be whole (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--quiet", description = "Print nothing when the mesh is whole.")
    boolean quiet;

    private final Map<String, MeshClient> clients = new TreeMap<>();
    private final Map<String, String> clientErrors = new TreeMap<>();

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        try {
            Map<String, MeshCheck.NodeDocs> docs = new TreeMap<>();
            Map<String, String[]> known = Map.of();
            List<String> view = List.of("no node answered");
            List<String> links = List.of();
            for (String s : conn.servers.split(",")) {
                connect(s.trim(), s.trim());
            }
            while (true) {
                docs = gather(known);
                known = MeshCheck.known(docs.values());
                for (Map.Entry<String, String[]> k : known.entrySet()) {
                    if (!docs.containsKey(k.getKey()) && !k.getValue()[1].isEmpty()) {
                        connect(k.getKey(), k.getValue()[1]);
                    }
                }
                docs = gather(known);
                known = MeshCheck.known(docs.values());
                Map<String, String> sites = new TreeMap<>();
                known.forEach((n, v) -> sites.put(n, v[0]));
                view = new ArrayList<>(MeshCheck.viewProblems(docs.values(), known.keySet()));
                if (expectNodes > 0 && known.size() < expectNodes) {
                    view.add(0, "only " + known.size() + " of " + expectNodes + " nodes known: " + known.keySet());
                }
                if (known.isEmpty() && !clientErrors.isEmpty()) {
                    // nothing answered at all: say why each address did not (a TLS CA against a plaintext mesh, ...)
                    for (String why : clientErrors.values()) {
                        view.add("cannot connect: " + why);
                    }
                }
                links = MeshCheck.linkProblems(docs.values(), sites);
                severalGroups = docs.values().stream().map(MeshCheck::group).filter(java.util.Objects::nonNull)
                        .distinct().count() > 1;
                if ((view.isEmpty() && links.isEmpty()) || System.nanoTime() - deadline >= 0) {
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
            double viewSeconds = (System.nanoTime() - start) / 1e9;
            long eventsStart = System.nanoTime();
            // events get a few seconds of their own even when the view took the whole timeout
            Delivery d = deliver(Math.max(deadline - eventsStart, EVENTS_MIN_NANOS) + eventsStart);
            double eventSeconds = (System.nanoTime() - eventsStart) / 1e9;
            return report(known, view, links, d, viewSeconds, eventSeconds);
        } finally {
            clients.values().forEach(MeshClient::close);
        }
    }

    /** A pinned connection to {@code node} at {@code address}; failures are remembered, not thrown. */
    private void connect(String node, String address) {
        if (clients.containsKey(node)) {
            return;
        }
        try {
            MeshClient c = MeshClient.connect(conn.pinned("meshctl-check", address).build());
            String name = c.serverInfo().node();
            if (clients.containsKey(name)) {
                c.close();
                return;
            }
            clients.put(name, c);
            clientErrors.remove(node);
        } catch (RuntimeException e) {
            clientErrors.put(node, address + ": " + Cli.message(e));
        }
    }

    /** Every connected node's documents; a node known but not connected is reported as not answering. */
    private Map<String, MeshCheck.NodeDocs> gather(Map<String, String[]> known) {
        Map<String, MeshCheck.NodeDocs> out = new TreeMap<>();
        for (Map.Entry<String, MeshClient> e : clients.entrySet()) {
            MeshClient c = e.getValue();
            String name = e.getKey();
            try {
                JsonNode node = Cli.JSON.readTree(c.admin("/v1/node").get(5, TimeUnit.SECONDS));
                JsonNode nodes = Cli.JSON.readTree(c.admin("/v1/nodes").get(5, TimeUnit.SECONDS));
                JsonNode links = Cli.JSON.readTree(c.admin("/v1/links").get(5, TimeUnit.SECONDS));
                out.put(name, new MeshCheck.NodeDocs(name, node.path("site").asText(), c.connectedServer(), node, nodes,
                        links, null));
            } catch (Exception ex) {
                String[] k = known.getOrDefault(name, new String[] {"", ""});
                out.put(name, new MeshCheck.NodeDocs(name, k[0], k[1], null, null, null, Cli.message(ex)));
            }
        }
        for (Map.Entry<String, String[]> k : known.entrySet()) {
            if (!out.containsKey(k.getKey())) {
                String why = clientErrors.getOrDefault(k.getKey(), "not connected");
                out.put(k.getKey(), new MeshCheck.NodeDocs(k.getKey(), k.getValue()[0], k.getValue()[1], null, null,
                        null, why));
            }
        }
        return out;
    }

    /** What the event probe found: pairs {@code from -> to} delivered, missing, and duplicate ids. */
    record Delivery(int pairs, Set<String> delivered, List<String> missing, List<String> duplicates) {
    }

    private Delivery deliver(long deadline) throws Exception {
        List<String> names = new ArrayList<>(clients.keySet());
        String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
        Set<String> delivered = new TreeSet<>();
        Set<String> ids = new java.util.HashSet<>();
        List<String> duplicates = new ArrayList<>();
        Object lock = new Object();
        for (int j = 0; j < names.size(); j++) {
            String to = names.get(j);
            clients.get(to).subscribe(TOPIC_ROOT + nonce + "." + j, m -> {
                String id = m.event().getId();
                synchronized (lock) {
                    if (!ids.add(id)) {
                        duplicates.add(id + " (received twice by " + to + ")");
                    }
                    delivered.add(id.substring(0, id.lastIndexOf('#')));
                    lock.notifyAll();
                }
            }).confirmed().get(10, TimeUnit.SECONDS);
        }
        int pairs = names.size() * (names.size() - 1);
        for (int attempt = 1; ; attempt++) {
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                for (int j = 0; j < names.size(); j++) {
                    String pair = names.get(i) + " -> " + names.get(j);
                    boolean done;
                    synchronized (lock) {
                        done = delivered.contains(pair);
                    }
                    if (i != j && !done) {
                        missing.add(pair);
                        clients.get(names.get(i)).publish(TOPIC_ROOT + nonce + "." + j, CloudEventBuilder.v1()
                                .withId(pair + "#" + attempt).withSource(URI.create("/weft/meshctl-check"))
                                .withType("io.weft.check").build());
                    }
                }
            }
            if (missing.isEmpty()) {
                synchronized (lock) {
                    return new Delivery(pairs, new TreeSet<>(delivered), List.of(), List.copyOf(duplicates));
                }
            }
            long roundEnd = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300));
            synchronized (lock) {
                while (delivered.size() < pairs && roundEnd - System.nanoTime() > 0) {
                    TimeUnit.NANOSECONDS.timedWait(lock, roundEnd - System.nanoTime());
                }
                if (delivered.size() >= pairs || System.nanoTime() - deadline >= 0) {
                    List<String> left = new ArrayList<>();
                    for (String p : missing) {
                        if (!delivered.contains(p)) {
                            left.add(p);
                        }
                    }
                    return new Delivery(pairs, new TreeSet<>(delivered), left, List.copyOf(duplicates));
                }
            }
        }
    }

    /** Whether the nodes answered from more than one membership group (sites joined by {@code --gateways}). */
    private boolean severalGroups;

    private int report(Map<String, String[]> known, List<String> view, List<String> links, Delivery d,
                       double viewSeconds, double eventSeconds) throws Exception {
        Map<String, Integer> bySite = new TreeMap<>();
        known.values().forEach(v -> bySite.merge(v[0], 1, Integer::sum));
        List<String> events = new ArrayList<>();
        d.missing().forEach(p -> events.add(p + ": not delivered"));
        d.duplicates().forEach(p -> events.add("duplicate: " + p));
        boolean whole = view.isEmpty() && links.isEmpty() && events.isEmpty();
        if (json) {
            ObjectNode out = Cli.JSON.createObjectNode();
            out.put("whole", whole);
            ArrayNode nodes = out.putArray("nodes");
            known.keySet().forEach(nodes::add);
            ObjectNode sites = out.putObject("sites");
            bySite.forEach(sites::put);
            section(out, "view", view).put("seconds", viewSeconds);
            section(out, "links", links);
            ObjectNode ev = section(out, "events", events);
            ev.put("pairs", d.pairs()).put("delivered", d.delivered().size()).put("duplicates", d.duplicates().size())
                    .put("seconds", eventSeconds);
            System.out.println(Cli.JSON.writeValueAsString(out));
            return whole ? 0 : 1;
        }
        if (whole && quiet) {
            return 0;
        }
        Map<String, String> siteText = new LinkedHashMap<>();
        bySite.forEach((s, n) -> siteText.put(s, s + " " + n));
        System.out.printf("mesh check through %s: %d nodes in %d sites (%s)%n", conn.servers, known.size(), bySite.size(),
                String.join(", ", siteText.values()));
        line("view", view, severalGroups
                ? String.format("every node ready, every node lists every node of its membership group as live (%.1f s)",
                        viewSeconds)
                : String.format("every node ready, every node lists all %d as live (%.1f s)", known.size(), viewSeconds));
        line("links", links, severalGroups
                ? "every node has its route links and a gateway link to every site of its group or its --gateways"
                : "every node has its route links and a gateway link to every other site");
        line("events", events, String.format("%d of %d node pairs delivered, no duplicates (%.1f s)",
                d.delivered().size(), d.pairs(), eventSeconds));
        int problems = view.size() + links.size() + events.size();
        System.out.println(whole ? "the mesh is whole" : "the mesh is NOT whole: " + problems + " problem(s)");
        return whole ? 0 : 1;
    }

    private static ObjectNode section(ObjectNode out, String name, List<String> problems) {
        ObjectNode s = out.putObject(name);
        s.put("ok", problems.isEmpty());
        ArrayNode a = s.putArray("problems");
        problems.forEach(a::add);
        return s;
    }

    private static void line(String what, List<String> problems, String ok) {
        if (problems.isEmpty()) {
            System.out.printf("  %-7s ok: %s%n", what + ":", ok);
            return;
        }
        System.out.printf("  %-7s NOT OK%n", what + ":");
        problems.forEach(p -> System.out.println("    " + p));
    }
}
