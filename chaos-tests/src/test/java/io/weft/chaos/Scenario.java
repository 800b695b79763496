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
            keepLogs(number, cluster.dir);
            row.peakHeap.putAll(cluster.peakHeap());
            row.peakDirect.putAll(cluster.peakDirect());
            row.peakRetained.putAll(cluster.peakRetained());
            try {
                Report.add(row);
            } catch (RuntimeException e) {
                System.err.println("chaos report: " + e);
            }
        }
    }

    /** Node logs are kept next to the report (the temp dir goes away): target/chaos-logs/NN/. */
    private static void keepLogs(int number, Path dir) {
        Path to = Report.reportFile().toAbsolutePath().getParent().resolve("chaos-logs")
                .resolve(String.format("%02d", number));
        try (java.util.stream.Stream<Path> logs = java.nio.file.Files.list(dir)) {
            java.nio.file.Files.createDirectories(to);
            for (Path p : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                java.nio.file.Files.copy(p, to.resolve(p.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (java.io.IOException e) {
            System.err.println("cannot keep the node logs: " + e);
        }
    }
}
