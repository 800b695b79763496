package io.weft.chaos;

/** Reads one sample from Prometheus text exposition. */
final class Metrics {
    private Metrics() {
    }

    /**
     * The sum of the samples whose name and labels start with {@code series} (so
     * {@code jvm_memory_used_bytes{area="heap"} } sums the heap pools); -1 when there is none.
     */
    static long value(String text, String series) {
        double sum = sum(text, series);
        return Double.isNaN(sum) ? -1 : (long) sum;
    }

    /** As {@link #value} without rounding (CPU seconds); NaN when there is no such sample. */
    static double sum(String text, String series) {
        String prefix = series.endsWith("}") ? series.substring(0, series.length() - 1) : series;
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(prefix)) {
                continue;
            }
            String rest = line.substring(prefix.length());
            if (!(rest.startsWith("}") || rest.startsWith(",") || rest.startsWith(" ") || rest.startsWith("{"))) {
                continue; // a longer metric name with the same prefix
            }
            // the value follows the labels (whose values may hold spaces); an optional timestamp may follow it
            int end = line.indexOf('{') < 0 ? line.indexOf(' ') : line.lastIndexOf('}') + 1;
            try {
                sum += Double.parseDouble(line.substring(end).trim().split("\\s+")[0]);
                found = true;
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return found ? sum : Double.NaN;
    }
}
