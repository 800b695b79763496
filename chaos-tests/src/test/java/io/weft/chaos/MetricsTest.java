package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MetricsTest {

    /** As written by the Prometheus Java client (text format 0.0.4) with the JVM instrumentation. */
    private static final String TEXT = """
            # HELP jvm_memory_committed_bytes Committed (bytes) of a given JVM memory area.
            # TYPE jvm_memory_committed_bytes gauge
            jvm_memory_committed_bytes{area="heap"} 2.68435456E8
            jvm_memory_committed_bytes{area="nonheap"} 6.1865984E7
            # HELP jvm_memory_used_bytes Used bytes of a given JVM memory area.
            # TYPE jvm_memory_used_bytes gauge
            jvm_memory_used_bytes{area="heap"} 1.2345678E7
            jvm_memory_used_bytes{area="nonheap"} 5.0E7
            # HELP jvm_memory_used_bytes_max A longer name sharing the prefix.
            # TYPE jvm_memory_used_bytes_max gauge
            jvm_memory_used_bytes_max{area="heap"} 4.294967296E9
            jvm_memory_used_bytes_max 1.0E12
            # HELP jvm_memory_pool_used_bytes Used bytes of a given JVM memory pool.
            # TYPE jvm_memory_pool_used_bytes gauge
            jvm_memory_pool_used_bytes{pool="G1 Eden Space"} 8388608.0
            jvm_memory_pool_used_bytes{pool="G1 Old Gen"} 3957070.0
            jvm_memory_pool_used_bytes{pool="G1 Survivor Space"} 0.0
            # HELP weft_events_in_total Events received.
            # TYPE weft_events_in_total counter
            weft_events_in_total{transport="http",site="eu"} 17.0
            weft_events_in_total{transport="http",site="us"} 25.0
            weft_events_in_total{transport="mesh",site="eu"} 1000.0
            # HELP process_open_fds Number of open file descriptors.
            # TYPE process_open_fds gauge
            process_open_fds 42.0
            """;

    @Test
    void oneSeriesWithLabels() {
        assertEquals(12_345_678L, Metrics.value(TEXT, "jvm_memory_used_bytes{area=\"heap\"}"));
        assertEquals(50_000_000L, Metrics.value(TEXT, "jvm_memory_used_bytes{area=\"nonheap\"}"));
    }

    @Test
    void nameAloneSumsEveryLabelSetButNotLongerNames() {
        // heap + nonheap; jvm_memory_used_bytes_max shares the prefix and must not be counted
        assertEquals(62_345_678L, Metrics.value(TEXT, "jvm_memory_used_bytes"));
        assertEquals(4_294_967_296L + 1_000_000_000_000L, Metrics.value(TEXT, "jvm_memory_used_bytes_max"));
    }

    @Test
    void labelPrefixSumsTheMatchingSeries() {
        assertEquals(42L, Metrics.value(TEXT, "weft_events_in_total{transport=\"http\"}"));
        assertEquals(1042L, Metrics.value(TEXT, "weft_events_in_total"));
        assertEquals(25L, Metrics.value(TEXT, "weft_events_in_total{transport=\"http\",site=\"us\"}"));
        // a label value that merely starts the same does not match
        assertEquals(-1L, Metrics.value(TEXT, "weft_events_in_total{transport=\"htt\"}"));
    }

    @Test
    void labelValuesWithSpaces() {
        assertEquals(8_388_608L, Metrics.value(TEXT, "jvm_memory_pool_used_bytes{pool=\"G1 Eden Space\"}"));
        assertEquals(12_345_678L, Metrics.value(TEXT, "jvm_memory_pool_used_bytes"));
    }

    @Test
    void sampleWithoutLabels() {
        assertEquals(42L, Metrics.value(TEXT, "process_open_fds"));
    }

    @Test
    void presentButZeroIsZeroNotMissing() {
        assertEquals(0L, Metrics.value(TEXT, "jvm_memory_pool_used_bytes{pool=\"G1 Survivor Space\"}"));
    }

    @Test
    void missingSeries() {
        assertEquals(-1L, Metrics.value(TEXT, "jvm_threads_live"));
        assertEquals(-1L, Metrics.value(TEXT, "jvm_memory_used_bytes{area=\"metaspace\"}"));
        // a name that is only a prefix of real names
        assertEquals(-1L, Metrics.value(TEXT, "jvm_memory"));
        assertEquals(-1L, Metrics.value("", "jvm_memory_used_bytes{area=\"heap\"}"));
        // HELP and TYPE lines are not samples
        assertEquals(-1L, Metrics.value("""
                # HELP jvm_memory_used_bytes Used bytes of a given JVM memory area.
                # TYPE jvm_memory_used_bytes gauge
                """, "jvm_memory_used_bytes"));
    }

    @Test
    void crlfLineEnds() {
        assertEquals(12_345_678L, Metrics.value(TEXT.replace("\n", "\r\n"), "jvm_memory_used_bytes{area=\"heap\"}"));
    }

    @Test
    void sampleWithTimestamp() {
        // the text format allows an optional timestamp (ms) after the value: it is not the value
        String text = """
                # TYPE http_requests_total counter
                http_requests_total{method="post",code="200"} 1027 1395066363000
                http_requests_total{method="post",code="400"} 3 1395066363000
                process_open_fds 42.0 1395066363000
                """;
        assertEquals(1030L, Metrics.value(text, "http_requests_total{method=\"post\"}"));
        assertEquals(42L, Metrics.value(text, "process_open_fds"));
    }
}
