package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.chaos.Checker.CoreResult;
import io.weft.chaos.Checker.Stored;
import io.weft.chaos.Checker.StreamResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckerTest {

    /** Stored events e{seq} at the given sequences, in that order. */
    private static List<Stored> copy(long... seqs) {
        List<Stored> out = new ArrayList<>();
        for (long s : seqs) {
            out.add(new Stored(s, "e" + s));
        }
        return out;
    }

    /** Acks of e{seq} at seq for each given sequence. */
    private static Map<Long, String> acked(long... seqs) {
        Map<Long, String> out = new LinkedHashMap<>();
        for (long s : seqs) {
            out.put(s, "e" + s);
        }
        return out;
    }

    private static void assertStream(StreamResult r, long events, long lost, long duplicated, long reordered) {
        String msg = r.toString();
        assertEquals(events, r.events(), msg);
        assertEquals(lost, r.lost(), msg);
        assertEquals(duplicated, r.duplicated(), msg);
        assertEquals(reordered, r.reordered(), msg);
        assertEquals(lost + duplicated + reordered == 0, r.clean(), msg);
    }

    // ---- stream ----

    @Test
    void streamCleanWhenEverythingAckedIsStoredInOrder() {
        StreamResult r = Checker.stream(acked(1, 2, 3, 4), copy(1, 2, 3, 4));
        assertStream(r, 4, 0, 0, 0);
        assertTrue(r.examples().isEmpty());
    }

    @Test
    void streamEmptyInputs() {
        assertStream(Checker.stream(Map.of(), List.of()), 0, 0, 0, 0);
        // events stored but never acked (the producer timed out) are allowed
        assertStream(Checker.stream(Map.of(), copy(1, 2, 3)), 3, 0, 0, 0);
        // everything acked, nothing stored: all lost
        StreamResult r = Checker.stream(acked(1, 2, 3), List.of());
        assertStream(r, 0, 3, 0, 0);
        assertEquals(3, r.examples().size());
        assertTrue(r.examples().get(0).contains("missing"), r.examples().toString());
    }

    @Test
    void streamUnackedTailIsFine() {
        assertStream(Checker.stream(acked(1, 2), copy(1, 2, 3, 4)), 4, 0, 0, 0);
    }

    @Test
    void streamLostAtTheEnd() {
        StreamResult r = Checker.stream(acked(1, 2, 3, 4), copy(1, 2));
        assertStream(r, 2, 2, 0, 0);
        assertTrue(r.examples().stream().anyMatch(s -> s.contains("e3") && s.contains("missing")), r.examples().toString());
    }

    @Test
    void streamLostInTheMiddleIsAlsoAGap() {
        // e2 missing and the sequence jumps from 1 to 3
        StreamResult r = Checker.stream(acked(1, 2, 3), copy(1, 3));
        assertStream(r, 2, 1, 0, 1);
    }

    @Test
    void streamGapWithoutAckedLossIsReordered() {
        assertStream(Checker.stream(acked(1, 2), copy(1, 2, 5, 6)), 4, 0, 0, 1);
    }

    @Test
    void streamMustStartAtSequenceOne() {
        // sequences must run 1, 2, 3...: a copy starting at 3 has a gap even when nothing acked is missing
        StreamResult r = Checker.stream(acked(3, 4), copy(3, 4));
        assertStream(r, 2, 0, 0, 1);
        assertTrue(r.examples().get(0).contains("sequence 3 where 1 was due"), r.examples().toString());
    }

    @Test
    void streamStepBackIsReordered() {
        // 1 2 3 then 2 again (a different event): one step back; then 3 follows 2 as it should
        List<Stored> c = new ArrayList<>(copy(1, 2, 3));
        c.add(new Stored(2, "x"));
        c.add(new Stored(3, "y"));
        assertStream(Checker.stream(Map.of(), c), 5, 0, 0, 1);
    }

    @Test
    void streamDuplicateId() {
        List<Stored> c = new ArrayList<>(copy(1, 2));
        c.add(new Stored(3, "e1"));
        StreamResult r = Checker.stream(acked(1, 2), c);
        assertStream(r, 3, 0, 1, 0);
        assertTrue(r.examples().get(0).contains("e1 stored at 1 and 3"), r.examples().toString());
    }

    @Test
    void streamDuplicateWhereTheAckNamesTheSecondCopy() {
        // e1 first stored at 1 without an ack reaching the producer, retried and acked at 3 (dedupe failed):
        // one duplicate; the acked copy is where the ack says, so nothing is reordered
        List<Stored> c = List.of(new Stored(1, "a"), new Stored(2, "b"), new Stored(3, "a"));
        StreamResult r = Checker.stream(Map.of(2L, "b", 3L, "a"), c);
        assertStream(r, 3, 0, 1, 0);
    }

    @Test
    void streamAckedAtWrongSequence() {
        // a and b swapped: both stored, sequences contiguous, but neither where it was acked
        List<Stored> c = List.of(new Stored(1, "b"), new Stored(2, "a"));
        StreamResult r = Checker.stream(Map.of(1L, "a", 2L, "b"), c);
        assertStream(r, 2, 0, 0, 2);
        assertTrue(r.examples().stream().anyMatch(s -> s.contains("acked at 1 but stored at 2")), r.examples().toString());
    }

    @Test
    void streamExamplesAreCapped() {
        StreamResult r = Checker.stream(acked(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), List.of());
        assertStream(r, 0, 10, 0, 0);
        assertEquals(5, r.examples().size());
    }

    // ---- core ----

    private static void assertCore(CoreResult r, long published, long received, long lost, long duplicated,
                                   long reordered) {
        String msg = r.toString();
        assertEquals(published, r.published(), msg);
        assertEquals(received, r.received(), msg);
        assertEquals(lost, r.lost(), msg);
        assertEquals(duplicated, r.duplicated(), msg);
        assertEquals(reordered, r.reordered(), msg);
    }

    @Test
    void coreClean() {
        assertCore(Checker.core(4, new long[] {0, 1, 2, 3}), 4, 4, 0, 0, 0);
    }

    @Test
    void coreEmpty() {
        assertCore(Checker.core(0, new long[0]), 0, 0, 0, 0, 0);
        assertCore(Checker.core(5, new long[0]), 5, 0, 5, 0, 0);
    }

    @Test
    void coreGapsAreLossNotReordering() {
        // at-most-once: gaps are loss, not reordering
        assertCore(Checker.core(6, new long[] {0, 2, 5}), 6, 3, 3, 0, 0);
    }

    @Test
    void coreDuplicate() {
        assertCore(Checker.core(3, new long[] {0, 1, 1, 2, 2}), 3, 3, 0, 2, 0);
    }

    @Test
    void coreReordered() {
        assertCore(Checker.core(4, new long[] {0, 2, 1, 3}), 4, 4, 0, 0, 1);
        // each number below the highest already seen counts
        assertCore(Checker.core(3, new long[] {2, 0, 1}), 3, 3, 0, 0, 2);
    }

    @Test
    void coreNumbersNeverPublishedAreDuplicated() {
        // 3 and 7 were never sent (published = 3), nor was -1
        assertCore(Checker.core(3, new long[] {0, 3, 1, 7, -1, 2}), 3, 3, 0, 3, 0);
        // out-of-range numbers do not raise the high-water mark: 1 after 9 is not reordered
        assertCore(Checker.core(2, new long[] {0, 9, 1}), 2, 2, 0, 1, 0);
        assertCore(Checker.core(0, new long[] {0}), 0, 0, 0, 1, 0);
    }

    // ---- divergence ----

    @Test
    void divergence() {
        assertEquals(0, Checker.divergence(List.of(), List.of()));
        assertEquals(0, Checker.divergence(copy(1, 2, 3), copy(1, 2, 3)));
        // the shorter is a prefix of the longer: a replica behind is not divergent
        assertEquals(0, Checker.divergence(copy(1, 2), copy(1, 2, 3, 4)));
        assertEquals(0, Checker.divergence(copy(1, 2, 3, 4), copy(1, 2)));
        assertEquals(0, Checker.divergence(List.of(), copy(1)));
        // a different event at a sequence
        List<Stored> b = new ArrayList<>(copy(1, 2, 3));
        b.set(1, new Stored(2, "other"));
        assertEquals(1, Checker.divergence(copy(1, 2, 3), b));
        // shifted by one: every common position differs
        assertEquals(3, Checker.divergence(copy(1, 2, 3), copy(2, 3, 4, 5)));
        assertFalse(Checker.divergence(copy(1), List.of(new Stored(1, "e2"))) == 0);
    }
}
