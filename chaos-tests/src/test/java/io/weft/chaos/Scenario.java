package io.weft.chaos;

import java.nio.file.Path;

/** Runs a scenario body on a cluster and always leaves its row in the report, pass or fail. */
final class Scenario {
    private Scenario() {
    }

    interface Body {
        void run(Cluster cluster, Report.Row row) throws Exception;
    }

    static void run(int number, String name, Cluster cluster, Body body) throws Exception {
        Report.Row row = new Report.Row(number, name);
        long started = System.nanoTime();
        try (cluster) {
            body.run(cluster, row);
            row.verdict = "pass";
        } catch (Throwable t) {
            row.verdict = "FAIL";
            String msg = String.valueOf(t.getMessage());
            row.note(t.getClass().getSimpleName() + ": " + (msg.length() > 300 ? msg.substring(0, 300) + "..." : msg));
            throw t;
        } finally {
            row.seconds = (System.nanoTime() - started) / 1_000_000_000L;
            row.peakHeap.putAll(cluster.peakHeap());
            try {
                Report.add(row);
            } catch (RuntimeException e) {
                System.err.println("chaos report: " + e);
            }
        }
    }

    static Cluster loopback(Path dir) {
        return Cluster.loopback(dir);
    }
}
