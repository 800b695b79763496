package io.weft.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The chaos report: every scenario leaves one row (a JSON file under {@code chaos-rows/} next to the
 * report), and the markdown table is rewritten from all rows each time one is added, so a partial
 * run still leaves a report of what ran.
 */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper()
            .setVisibility(com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
                    com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.ANY);

    /** What a scenario measured. Counts are of events; times in milliseconds; heap in bytes. */
    static final class Row {
        int number;
        String scenario;
        String profile = Profile.name();
        long seconds;
        long acked;
        long corePublished;
        long coreReceived;
        long lost;
        long duplicated;
        long reordered;
        long coreLost;
        String recovery = "";
        Map<String, Long> peakHeap = new TreeMap<>();
        Map<String, Long> peakDirect = new TreeMap<>();
        Map<String, Long> peakRetained = new TreeMap<>();
        String verdict = "fail";
        String notes = "";
        String finished = Instant.now().toString();

        Row() {
        }

        Row(int number, String scenario) {
            this.number = number;
            this.scenario = scenario;
        }

        Row note(String s) {
            notes = notes.isEmpty() ? s : notes + "; " + s;
            return this;
        }
    }

    private Report() {
    }

    static Path reportFile() {
        return Path.of(System.getProperty("chaos.report", "target/chaos-report.md"));
    }

    /** Records the row and rewrites the report. */
    static synchronized void add(Row row) {
        row.finished = Instant.now().toString();
        Path rows = reportFile().toAbsolutePath().getParent().resolve("chaos-rows");
        try {
            Files.createDirectories(rows);
            JSON.writerWithDefaultPrettyPrinter().writeValue(
                    rows.resolve(String.format("%02d.json", row.number)).toFile(), row);
            List<Row> all = new ArrayList<>();
            try (Stream<Path> files = Files.list(rows)) {
                for (Path p : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                    all.add(JSON.readValue(p.toFile(), Row.class));
                }
            }
            Files.writeString(reportFile(), markdown(all), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the chaos report: " + e, e);
        }
    }

    static String markdown(List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append("# Weft chaos report\n\n");
        b.append("Real `meshd` processes on one machine (").append(Runtime.getRuntime().availableProcessors())
                .append(" cores). Acked = durable publishes acknowledged; lost / duplicated / reordered count ")
                .append("acknowledged durable events (checked on every replica and a replay) plus duplicated or ")
                .append("reordered core deliveries. Core lost = core (at-most-once) events not delivered, ")
                .append("expected only while a fault cuts the path. Recovery = time from the fault's end (or ")
                .append("the kill) to the next ack or delivery across it. Peak heap used / after GC / direct, per node, ")
                .append("sampled from /metrics every 250 ms (nodes run with -Xmx256m and the serial collector): heap in ")
                .append("use (garbage included, so near -Xmx on a busy node), heap left by the last collection (what the ")
                .append("node retains; memory bounds are checked on this) and NIO direct memory (Netty's buffers).\n\n");
        b.append("| # | scenario | profile | s | acked | core pub/recv | lost | dup | reord | core lost | recovery | peak heap used/after GC/direct MiB | verdict | notes |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            StringBuilder heap = new StringBuilder();
            r.peakHeap.forEach((n, h) -> heap.append(heap.length() == 0 ? "" : " ").append(n).append('=')
                    .append(h >> 20).append('/').append(r.peakRetained.getOrDefault(n, -1L) >> 20).append('/')
                    .append(r.peakDirect.getOrDefault(n, -1L) >> 20));
            b.append("| ").append(r.number).append(" | ").append(r.scenario).append(" | ").append(r.profile)
                    .append(" | ").append(r.seconds).append(" | ").append(r.acked).append(" | ")
                    .append(r.corePublished).append('/').append(r.coreReceived).append(" | ").append(r.lost)
                    .append(" | ").append(r.duplicated).append(" | ").append(r.reordered).append(" | ")
                    .append(r.coreLost).append(" | ").append(r.recovery).append(" | ").append(heap)
                    .append(" | ").append(r.verdict).append(" | ").append(r.notes.replace("|", "\\|"))
                    .append(" |\n");
        }
        return b.toString();
    }

}
