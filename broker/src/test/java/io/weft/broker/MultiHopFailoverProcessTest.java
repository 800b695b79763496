package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge site with uplinks to two hub sites, each linked to the cloud: the edge's events take the tree
 * through one hub; when that hub dies they move to the other, and back when it returns, never
 * delivered twice. The loss window is printed: it is the time the surviving nodes take to see the link
 * gone (a killed process resets its connections at once) and to flood the change.
 */
class MultiHopFailoverProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    @TempDir
    static Path dir;

    private static MeshClient client(MeshProcesses mesh, String node) {
        return MeshClient.connect(io.weft.client.ClientOptions.builder().servers(mesh.node(node).client())
                .discover(false).build());
    }

    /** The parent of {@code site} in the tree of {@code origin}, as {@code node} sees it. */
    private static String parent(MeshProcesses mesh, String node, String origin, String site) {
        JsonNode t = mesh.get(node, "/v1/topology");
        return t == null ? null : t.path("trees").path(origin).path("parents").path(site).asText(null);
    }

    @Test
    void edgeTrafficMovesToTheOtherHubAndBackWithoutDuplicates() throws Exception {
        try (MeshProcesses mesh = new MeshProcesses(dir)) {
            mesh.start("cloud-1", "cloud", List.of());
            String cloud = mesh.node("cloud-1").mesh();
            mesh.start("huba-1", "huba", List.of(), List.of("--gateways", cloud));
            mesh.start("hubb-1", "hubb", List.of(), List.of("--gateways", cloud));
            mesh.start("edge-1", "edge", List.of(), List.of("--gateways",
                    mesh.node("huba-1").mesh() + "," + mesh.node("hubb-1").mesh(), "--no-transit"));
            for (MeshProcesses.Node n : mesh.nodes()) {
                Await.until(WAIT, () -> mesh.ready(n.name), () -> n.name + " not ready: " + mesh.get(n.name, "/healthz"));
            }
            // equal costs: the tie goes to the parent whose name sorts first
            Await.until(WAIT, () -> "huba".equals(parent(mesh, "cloud-1", "edge", "cloud")),
                    () -> "edge's tree: " + mesh.get("cloud-1", "/v1/topology"));

            Map<Integer, AtomicInteger> got = new ConcurrentHashMap<>();
            try (MeshClient sub = client(mesh, "cloud-1"); MeshClient pub = client(mesh, "edge-1")) {
                sub.subscribe("telemetry.>", m -> got.computeIfAbsent(Integer.parseInt(m.event().getId()),
                        k -> new AtomicInteger()).incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
                AtomicInteger seq = new AtomicInteger();
                Runnable publishOne = () -> pub.publish("telemetry.t", CloudEventBuilder.v1()
                        .withId(Integer.toString(seq.incrementAndGet())).withSource(URI.create("/edge"))
                        .withType("com.example.t").build());
                Await.until(WAIT, () -> {
                    publishOne.run();
                    return !got.isEmpty();
                }, () -> "the cloud's interest did not reach the edge");

                int beforeKill = seq.get();
                mesh.kill9("huba-1");
                Await.until(WAIT, () -> {
                    publishOne.run();
                    return got.keySet().stream().anyMatch(k -> k > beforeKill);
                }, () -> "no event from the edge reached the cloud through hubb");
                assertEquals("hubb", parent(mesh, "edge-1", "edge", "cloud"));
                int lost = 0;
                int firstAfter = got.keySet().stream().filter(k -> k > beforeKill).min(Integer::compare).orElseThrow();
                for (int i = beforeKill + 1; i < firstAfter; i++) {
                    lost += got.containsKey(i) ? 0 : 1;
                }
                System.out.println("failover: " + lost + " events lost between the kill and the first through hubb");

                mesh.restart("huba-1");
                Await.until(WAIT, () -> mesh.ready("huba-1"), () -> "huba-1 not ready again");
                Await.until(WAIT, () -> "huba".equals(parent(mesh, "edge-1", "edge", "cloud"))
                        && "huba".equals(parent(mesh, "cloud-1", "edge", "cloud")), () -> "the tree did not move back");
                int healed = seq.get();
                for (int i = 0; i < 200; i++) {
                    publishOne.run();
                }
                int last = seq.get();
                Await.until(WAIT, () -> {
                    for (int i = healed + 1; i <= last; i++) {
                        if (!got.containsKey(i)) {
                            return false;
                        }
                    }
                    return true;
                }, () -> "events published after healing are missing");
                double viaA = metric(mesh, "huba-1", "direction=\"received\"");
                assertTrue(viaA > 0, "after healing the edge's events cross huba again");
            }
            got.forEach((id, c) -> assertEquals(1, c.get(), () -> "event " + id + " arrived " + c.get() + " times"));
        }
    }

    private static double metric(MeshProcesses mesh, String node, String label) {
        String text = mesh.text(node, "/metrics");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("weft_tree_events_total\\{"
                + java.util.regex.Pattern.quote(label) + "} (\\S+)").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
