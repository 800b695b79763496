package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 9 (issue 12): the demo topology of {@code deploy/topology} - two sites of three nodes -
 * started all at once, again and again from empty data dirs. Each round must end with a whole mesh
 * within the deadline: every node ready, every node listing all six as live with none unnamed,
 * every route and gateway link up, and an event from every node delivered to every other node
 * ({@code meshctl check}, run as a process). 10 rounds in CI, 50 with {@code -Pchaos-long}
 * ({@code -Dchaos.startup.rounds=N} to choose).
 */
class StartupStressTest {
    @TempDir
    Path dir;

    @Test
    void theDemoMeshFormsWholeEveryTimeAllItsNodesStartAtOnce() throws Exception {
        int rounds = Integer.getInteger("chaos.startup.rounds", Profile.times(10, 50));
        Scenario.run(9, "cold start of the 6-node demo topology, all nodes at once, " + rounds + " times",
                Cluster.loopback(dir), (unused, row) -> {
                    List<Long> readyMillis = new ArrayList<>();
                    List<Long> wholeMillis = new ArrayList<>();
                    for (int round = 1; round <= rounds; round++) {
                        clearData(dir);
                        try (Cluster cluster = Cluster.loopback(dir)) {
                            long start = System.nanoTime();
                            cluster.startTogether(DemoTopology.specs());
                            cluster.awaitReady(Duration.ofSeconds(90));
                            long ready = System.nanoTime();
                            Cluster.Check check = cluster.meshCheck(Duration.ofSeconds(60));
                            long whole = System.nanoTime();
                            if (!check.whole()) {
                                row.note("round " + round + " of " + rounds + ": not whole");
                                StringBuilder logs = new StringBuilder();
                                for (Cluster.Node n : cluster.nodes()) {
                                    logs.append('\n').append(cluster.warnings(n.name, 15));
                                }
                                throw new AssertionError("round " + round + ": the mesh is not whole:\n" + check.output()
                                        + logs);
                            }
                            readyMillis.add((ready - start) / 1_000_000);
                            wholeMillis.add((whole - start) / 1_000_000);
                            System.out.printf("round %d: all ready %d ms, whole (checked) %d ms after the start%n", round,
                                    readyMillis.get(round - 1), wholeMillis.get(round - 1));
                        }
                    }
                    row.recovery = "all ready after " + stats(readyMillis) + "; whole after " + stats(wholeMillis);
                    row.note(rounds + " of " + rounds + " rounds whole (6 nodes ready, all live and named, links up, "
                            + "30 of 30 node pairs delivered)");
                    assertTrue(readyMillis.size() == rounds);
                });
    }

    private static String stats(List<Long> ms) {
        List<Long> s = ms.stream().sorted().toList();
        return "min " + s.get(0) + " / median " + s.get(s.size() / 2) + " / max " + s.get(s.size() - 1) + " ms";
    }

    /** Deletes the nodes' data dirs of the last round (their logs stay). */
    private static void clearData(Path dir) throws IOException {
        try (Stream<Path> all = Files.list(dir)) {
            for (Path p : all.filter(Files::isDirectory).toList()) {
                try (Stream<Path> tree = Files.walk(p)) {
                    for (Path q : tree.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(q);
                    }
                }
            }
        }
    }
}
