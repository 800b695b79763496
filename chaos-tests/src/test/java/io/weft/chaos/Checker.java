package io.weft.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The invariants, computed from what producers were told and what consumers and replicas hold. Pure:
 * no processes, no clocks.
 */
final class Checker {
    private Checker() {
    }

    /** The verdict on one copy of a stream (a replica, or a replay). */
    record StreamResult(long events, long lost, long duplicated, long reordered, List<String> examples) {
        boolean clean() {
            return lost == 0 && duplicated == 0 && reordered == 0;
        }
    }

    /** One stored event: its sequence and its CloudEvent id. */
    record Stored(long seq, String id) {
    }

    /**
     * Checks a stream copy against the acknowledgements: every acked id must be stored (else lost),
     * at the sequence it was acked with (else reordered); no id may be stored twice (duplicated) and
     * sequences must run 1, 2, 3... without gaps (a gap or a step back counts as reordered).
     */
    static StreamResult stream(Map<Long, String> acked, List<Stored> copy) {
        List<String> examples = new ArrayList<>();
        Map<String, Long> seqById = new HashMap<>();
        long duplicated = 0;
        long reordered = 0;
        long expect = 1;
        for (Stored s : copy) {
            if (s.seq() != expect) {
                reordered++;
                note(examples, "sequence " + s.seq() + " where " + expect + " was due");
            }
            expect = s.seq() + 1;
            Long prev = seqById.putIfAbsent(s.id(), s.seq());
            if (prev != null) {
                duplicated++;
                note(examples, "event " + s.id() + " stored at " + prev + " and " + s.seq());
            }
        }
        Set<Stored> stored = new HashSet<>(copy);
        long lost = 0;
        for (Map.Entry<Long, String> a : acked.entrySet()) {
            Long at = seqById.get(a.getValue());
            if (at == null) {
                lost++;
                note(examples, "acked event " + a.getValue() + " (seq " + a.getKey() + ") missing");
            } else if (!stored.contains(new Stored(a.getKey(), a.getValue()))) {
                reordered++;
                note(examples, "acked event " + a.getValue() + " acked at " + a.getKey() + " but stored at " + at);
            }
        }
        return new StreamResult(copy.size(), lost, duplicated, reordered, examples);
    }

    /** The verdict on one subscriber's core deliveries from one publisher. */
    record CoreResult(long published, long received, long lost, long duplicated, long reordered) {
    }

    /**
     * Core delivery of events numbered 0..published-1 as they arrived: each number at most once
     * (else duplicated), in increasing order (a number below one already seen counts as reordered);
     * the numbers never seen are lost. Numbers at or past {@code published} are a bug too (counted as
     * duplicated: something was delivered that was never sent).
     */
    static CoreResult core(long published, long[] arrivals) {
        Set<Long> seen = new HashSet<>();
        long dup = 0;
        long reordered = 0;
        long max = -1;
        for (long n : arrivals) {
            if (n < 0 || n >= published || !seen.add(n)) {
                dup++;
                continue;
            }
            if (n < max) {
                reordered++;
            }
            max = Math.max(max, n);
        }
        return new CoreResult(published, seen.size(), published - seen.size(), dup, reordered);
    }

    /** Replicas must hold the same events at the same sequences (the shorter a prefix of the longer). */
    static long divergence(List<Stored> a, List<Stored> b) {
        long diff = 0;
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                diff++;
            }
        }
        return diff;
    }

    private static void note(List<String> examples, String s) {
        if (examples.size() < 5) {
            examples.add(s);
        }
    }
}
