package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.client.AdminResponse;
import io.weft.client.MeshClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Stream administration and reading for the scenarios, over the client and the HTTP API. */
final class StreamOps {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamOps() {
    }

    static JsonNode create(MeshClient client, String name, String subjects, int replicas, String site) throws Exception {
        AdminResponse r = client.request("POST", "/v1/streams", "{\"name\":\"" + name + "\",\"subjects\":[\""
                + subjects + "\"],\"replicas\":" + replicas + ",\"site\":\"" + site + "\"}").get(60, TimeUnit.SECONDS);
        assertEquals(201, r.status(), r.json());
        return JSON.readTree(r.json());
    }

    /** The stream's leader as some node reports it; null when none is known. */
    static String leader(Cluster cluster, String asking, String stream) {
        JsonNode s = cluster.get(asking, "/v1/streams/" + stream);
        String l = s == null ? "" : s.path("leader").asText("");
        return l.isEmpty() ? null : l;
    }

    /** Waits for a leader among the running nodes. */
    static String awaitLeader(Cluster cluster, String stream, Duration timeout) {
        String[] found = new String[1];
        Await.until(timeout, () -> {
            for (Cluster.Node n : cluster.nodes()) {
                if (n.alive()) {
                    String l = leader(cluster, n.name, stream);
                    // the named leader must say so itself: a follower's view can be a term old
                    if (l != null && cluster.node(l).alive() && l.equals(leader(cluster, l, stream))) {
                        found[0] = l;
                        return true;
                    }
                }
            }
            return false;
        }, () -> "no leader for " + stream);
        return found[0];
    }

    /** The replica on {@code node}, read locally (not through the leader). */
    static List<Checker.Stored> replica(Cluster cluster, String node, String stream) {
        List<Checker.Stored> out = new ArrayList<>();
        long from = 1;
        while (true) {
            JsonNode page = cluster.get(node, "/v1/streams/" + stream + "/events?local=true&from_seq=" + from + "&count=5000");
            if (page == null) {
                throw new AssertionError(node + " did not answer a read of its replica of " + stream);
            }
            if (page.path("events").isEmpty()) {
                return out;
            }
            page.path("events").forEach(e -> out.add(new Checker.Stored(e.path("seq").asLong(),
                    e.path("event").path("id").asText())));
            from = page.path("next").asLong();
        }
    }

    static long localLastSeq(Cluster cluster, String node, String stream) {
        JsonNode page = cluster.get(node, "/v1/streams/" + stream + "/events?local=true&from_seq=1&count=1");
        return page == null ? -1 : page.path("lastSeq").asLong(-1);
    }

    /** A replay through the mesh (any node answers; the leader serves it). */
    static List<Checker.Stored> replay(MeshClient client, String stream) throws Exception {
        List<Checker.Stored> out = new ArrayList<>();
        long from = 1;
        while (true) {
            AdminResponse r = client.request("GET", "/v1/streams/" + stream + "/events?from_seq=" + from + "&count=5000", null)
                    .get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status(), r.json());
            JsonNode page = JSON.readTree(r.json());
            if (page.path("events").isEmpty()) {
                return out;
            }
            page.path("events").forEach(e -> out.add(new Checker.Stored(e.path("seq").asLong(),
                    e.path("event").path("id").asText())));
            from = page.path("next").asLong();
        }
    }

    /**
     * Every replica catches up to the last acked sequence and is checked, then a replay; the worst
     * verdict is returned (replicas must also agree with each other).
     */
    static Checker.StreamResult checkAll(Cluster cluster, MeshClient client, String stream, List<String> replicas,
                                         Map<Long, String> acked) throws Exception {
        long lastSeq = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        Checker.StreamResult worst = null;
        List<Checker.Stored> first = null;
        for (String n : replicas) {
            Await.until(Duration.ofSeconds(90), () -> localLastSeq(cluster, n, stream) >= lastSeq,
                    () -> n + " replica of " + stream + " behind " + lastSeq + ": at " + localLastSeq(cluster, n, stream)
                            + lagReport(cluster, n, stream));
            List<Checker.Stored> copy = replica(cluster, n, stream);
            Checker.StreamResult r = Checker.stream(acked, copy);
            if (first == null) {
                first = copy;
            } else {
                long div = Checker.divergence(first, copy);
                if (div > 0) {
                    r = new Checker.StreamResult(r.events(), r.lost(), r.duplicated(), r.reordered() + div,
                            append(r.examples(), n + " differs from " + replicas.get(0) + " at " + div + " sequences"));
                }
            }
            worst = worse(worst, r, n);
        }
        Checker.StreamResult replay = Checker.stream(acked, replay(client, stream));
        return worse(worst, replay, "replay");
    }

    /** What a replica that does not catch up is doing: Raft state here and on the leader, threads, warnings. */
    static String lagReport(Cluster cluster, String node, String stream) {
        StringBuilder b = new StringBuilder();
        JsonNode mine = cluster.get(node, "/v1/streams/" + stream + "?local=true");
        b.append("\n").append(node).append(" raft: ").append(mine == null ? "no answer" : mine.path("raft"));
        String leader = mine == null ? "" : mine.path("leader").asText("");
        if (!leader.isEmpty() && !leader.equals(node)) {
            JsonNode l = cluster.get(leader, "/v1/streams/" + stream + "?local=true");
            b.append("\nleader ").append(leader).append(" raft: ").append(l == null ? "no answer" : l.path("raft"));
        }
        b.append("\n").append(node).append(" threads:\n").append(cluster.stalledThreads(node, 10));
        b.append("\n").append(node).append(" warnings:\n").append(cluster.warnings(node, 25));
        return b.toString();
    }

    private static Checker.StreamResult worse(Checker.StreamResult a, Checker.StreamResult b, String where) {
        Checker.StreamResult tagged = new Checker.StreamResult(b.events(), b.lost(), b.duplicated(), b.reordered(),
                b.examples().stream().map(s -> where + ": " + s).toList());
        if (a == null) {
            return tagged;
        }
        long sa = a.lost() + a.duplicated() + a.reordered();
        long sb = b.lost() + b.duplicated() + b.reordered();
        return sb > sa ? tagged : a;
    }

    private static List<String> append(List<String> l, String s) {
        List<String> out = new ArrayList<>(l);
        out.add(s);
        return out;
    }
}
