package io.weft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * {@code meshctl bench --platform N}: this machine's own latency floor, with no broker involved. A
 * thread sleeps {@link #SLEEP_NANOS} at a time and records how late it wakes up; on Linux the CPU
 * time the hypervisor gave to others meanwhile (steal, from {@code /proc/stat}) is reported too.
 *
 * <p>Why: every hop of an event through the mesh wakes a sleeping thread (a client's, a node's event
 * loop). On a virtual machine that halts idle virtual CPUs, such a wake-up can take milliseconds, and
 * no software running on it can show a latency percentile below what a lone sleeping thread gets.
 * Run it beside a latency benchmark to know which part of a tail is the machine's.
 */
final class PlatformProbe {
    static final long SLEEP_NANOS = 500_000;

    /** CPU time counters of the {@code cpu} line of {@code /proc/stat}: all of them, and steal. */
    record CpuTimes(long total, long steal) {
        /** Parses the aggregate {@code cpu} line; null when there is none (not Linux, or unreadable). */
        static CpuTimes parse(List<String> procStat) {
            for (String line : procStat) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
                    for (int i = 1; i < Math.min(f.length, 9); i++) {
                        total += Long.parseLong(f[i]);
                    }
                    return new CpuTimes(total, f.length > 8 ? Long.parseLong(f[8]) : 0);
                }
            }
            return null;
        }

        static CpuTimes read() {
            try {
                return parse(Files.readAllLines(Path.of("/proc/stat")));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** Percent of all CPU time from {@code before} to this that was stolen; -1 when unknown. */
        double stealPercentSince(CpuTimes before) {
            long total = this.total - before.total;
            return total <= 0 ? -1 : 100.0 * (steal - before.steal) / total;
        }
    }

    private PlatformProbe() {
    }

    /** Sleeps and wakes for {@code seconds}; returns the wake-up delays (ns past the deadline). */
    static Histogram measure(double seconds) {
        Histogram late = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long now = System.nanoTime();
        while (now < end) {
            long due = now + SLEEP_NANOS;
            LockSupport.parkNanos(SLEEP_NANOS);
            now = System.nanoTime();
            late.recordValue(Math.min(Math.max(0, now - due), late.getHighestTrackableValue()));
        }
        return late;
    }

    static int run(double seconds, boolean json) throws Exception {
        CpuTimes before = CpuTimes.read();
        Histogram late = measure(seconds);
        CpuTimes after = CpuTimes.read();
        double steal = before == null || after == null ? -1 : after.stealPercentSince(before);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sleepMicros", SLEEP_NANOS / 1000);
        out.put("wakeups", late.getTotalCount());
        out.put("lateP50Micros", late.getValueAtPercentile(50) / 1e3);
        out.put("lateP99Micros", late.getValueAtPercentile(99) / 1e3);
        out.put("lateP999Micros", late.getValueAtPercentile(99.9) / 1e3);
        out.put("lateMaxMicros", late.getMaxValue() / 1e3);
        out.put("stealPercent", steal);
        if (json) {
            System.out.println(Cli.JSON.writeValueAsString(out));
            return 0;
        }
        System.out.printf("platform: %,d wake-ups from %d us sleeps over %.0f s, no broker involved%n",
                late.getTotalCount(), SLEEP_NANOS / 1000, seconds);
        System.out.printf("woke late by: p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
                late.getValueAtPercentile(50) / 1e3, late.getValueAtPercentile(99) / 1e3,
                late.getValueAtPercentile(99.9) / 1e3, late.getMaxValue() / 1e3);
        System.out.println(steal < 0 ? "steal:        unknown (no /proc/stat)"
                : String.format("steal:        %.1f%% of CPU time went to other guests of the host", steal));
        System.out.println("Every hop of an event wakes a thread like this: latency percentiles below these are "
                + "not reachable on this machine.");
        return 0;
    }
}
