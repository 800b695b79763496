package io.weft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.weft.storage.Events.payload;
import static io.weft.storage.Events.pub;
import static io.weft.storage.Events.pubs;
import static io.weft.storage.Events.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamLogTest {
    private static final StreamConfig ORDERS = StreamConfig.of("orders", "cloud", "orders.>");
    private static final long T0 = 1_700_000_000_000L;

    @Test
    void applyAssignsConsecutiveSequences() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS);
        assertEquals(1, log.firstSeq());
        assertEquals(0, log.lastSeq());

        assertEquals(List.of(1L, 2L, 3L), seqs(log.apply(1, pubs("a", "b", "c"), T0)));
        assertEquals(List.of(4L), seqs(log.apply(2, pubs("d"), T0 + 5)));

        assertEquals(1, log.firstSeq());
        assertEquals(4, log.lastSeq());
        assertEquals(4, log.count());
        assertEquals(2, log.lastApplied());
        StoredEvent c = log.read(3).orElseThrow();
        assertEquals("event-src-c", payload(c));
        assertEquals("orders.created", c.topic());
        assertEquals(T0, c.timeMillis());
        assertEquals(List.of(2L, 3L), log.readFrom(2, 2).stream().map(StoredEvent::seq).toList());
        assertFalse(log.read(5).isPresent());
        assertTrue(log.bytes() > 4 * "event-src-a".length());
    }

    @Test
    void entriesAtOrBelowLastAppliedAreSkipped() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS);
        log.apply(7, pubs("a"), T0);
        assertEquals(List.of(), log.apply(7, pubs("b"), T0));
        assertEquals(List.of(), log.apply(3, pubs("c"), T0));
        assertEquals(1, log.lastSeq());
    }

    @Test
    void timeNeverGoesBackwardsAndTheTimeIndexFindsSequences() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS);
        log.apply(1, pubs("a", "b"), T0);
        log.apply(2, pubs("c"), T0 + 1_000);
        log.apply(3, pubs("d"), T0 + 500); // a new leader with a slow clock
        assertEquals(T0 + 1_000, log.read(4).orElseThrow().timeMillis());
        log.apply(4, pubs("e"), T0 + 2_000);

        assertEquals(1, log.seqForTime(0));
        assertEquals(1, log.seqForTime(T0));
        assertEquals(3, log.seqForTime(T0 + 1));
        assertEquals(3, log.seqForTime(T0 + 1_000));
        assertEquals(5, log.seqForTime(T0 + 1_500));
        assertEquals(6, log.seqForTime(T0 + 9_999), "after the last event: the next sequence");
    }

    @Test
    void dedupeReturnsTheOriginalSequenceWithinTheWindow() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS);
        log.apply(1, pubs("a", "b"), T0);

        List<PublishAck> acks = log.apply(2, List.of(pub("b"), pub("c"), pub("c"), pub("other", "b", "x")), T0 + 1);
        assertEquals(List.of(new PublishAck(2, true), new PublishAck(3, false), new PublishAck(3, true),
                new PublishAck(4, false)), acks, "same id from another source is a different event");
        assertEquals(4, log.count());

        long window = ORDERS.dedupeWindow().toMillis();
        assertEquals(new PublishAck(1, true), log.apply(3, pubs("a"), T0 + window - 1).get(0));
        assertEquals(new PublishAck(5, false), log.apply(4, pubs("a"), T0 + window).get(0),
                "the window has passed: stored again");
        assertEquals(new PublishAck(5, true), log.apply(5, pubs("a"), T0 + window + 1).get(0));
    }

    @Test
    void expiredDedupeRecordsAreRemoved() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = StreamLog.open(store, ORDERS);
        log.apply(1, pubs("a", "b", "c"), T0);
        assertEquals(3, keys(store, Keys.DEDUPE));
        log.apply(2, pubs("d"), T0 + Duration.ofHours(1).toMillis());
        assertEquals(1, keys(store, Keys.DEDUPE), "only d's record is left");
    }

    private static int keys(StreamStore store, byte prefix) {
        int[] n = {0};
        store.scan(Keys.first(prefix), Keys.after(prefix), (k, v) -> {
            n[0]++;
            return true;
        });
        return n[0];
    }

    @Test
    void dedupeRecordsOfPastWindowsAreDeletedAcrossAppliesAndReopens() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamConfig tenSeconds = ORDERS.withDedupeWindow(Duration.ofSeconds(10));
        StreamLog log = StreamLog.open(store, tenSeconds);
        for (int t = 0; t < 30; t++) {
            long now = T0 + t * 1_000L;
            log.apply(t + 1, pubs(t + "a", t + "b", t + "c"), now);
            if (t == 15) {
                log = StreamLog.open(store, tenSeconds); // what it remembers of the deletes is gone
            }
            // records live for 10 s and sit in 10 s buckets: those of this bucket and the one before
            // are kept (some already dead, which lookups see by their time), all older ones deleted
            long bucket = Math.floorDiv(now, 10_000);
            int kept = 0;
            for (int u = 0; u <= t; u++) {
                if (Math.floorDiv(T0 + u * 1_000L, 10_000) >= bucket - 1) {
                    kept += 3;
                }
            }
            assertEquals(kept, keys(store, Keys.DEDUPE), "dedupe records at t=" + t);
            assertTrue(kept >= 3 * Math.min(t + 1, 10), "every live record is kept");
        }
        assertEquals(new PublishAck(90, true), log.apply(31, pubs("29c"), T0 + 29_500).get(0));
        assertEquals(new PublishAck(91, false), log.apply(32, pubs("19c"), T0 + 29_500).get(0), "expired: stored again");
    }

    @Test
    void aWholeWindowOfDedupeRecordsGoesInOneApply() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = StreamLog.open(store, ORDERS);
        String[] ids = new String[StreamLog.MAX_REMOVALS_PER_APPLY + 2_000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "id-" + i;
        }
        log.apply(1, pubs(ids), T0);
        log.apply(2, pubs("x"), T0 + Duration.ofHours(1).toMillis());
        assertEquals(1, keys(store, Keys.DEDUPE), "one range delete, whatever the number of records");
    }

    @Test
    void dedupeOffStoresEveryPublish() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withDedupeWindow(Duration.ZERO));
        assertEquals(List.of(1L, 2L), seqs(log.apply(1, pubs("a", "a"), T0)));
    }

    @Test
    void retentionByCount() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxEvents(3));
        log.apply(1, pubs("a", "b"), T0);
        log.apply(2, pubs("c", "d", "e", "f"), T0 + 1);
        assertEquals(4, log.firstSeq());
        assertEquals(6, log.lastSeq());
        assertEquals(3, log.count());
        assertFalse(log.read(3).isPresent());
        assertEquals(List.of("event-src-d", "event-src-e", "event-src-f"),
                log.readFrom(1, 10).stream().map(Events::payload).toList());
        assertEquals(4, log.seqForTime(0), "the time index never points below the first event");
    }

    @Test
    void retentionByBytes() {
        StreamLog probe = StreamLog.open(new MemoryStreamStore(), ORDERS);
        probe.apply(1, pubs("a"), T0);
        long eventSize = probe.bytes();

        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxBytes(2 * eventSize + 1));
        log.apply(1, pubs("a", "b", "c"), T0);
        assertEquals(2, log.count());
        assertEquals(2 * eventSize, log.bytes());
        assertEquals(2, log.firstSeq());
        log.apply(2, pubs("d"), T0);
        assertEquals(3, log.firstSeq());
        assertEquals(2 * eventSize, log.bytes());
    }

    @Test
    void retentionByAgeUsesTheEntryTime() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxAge(Duration.ofSeconds(10)));
        log.apply(1, pubs("a", "b"), T0);
        log.apply(2, pubs("c"), T0 + 5_000);
        log.apply(3, pubs("d"), T0 + 10_000);
        assertEquals(1, log.firstSeq(), "exactly maxAge old: still kept");
        log.apply(4, pubs("e"), T0 + 10_001);
        assertEquals(3, log.firstSeq());
        assertEquals(3, log.count());
        log.apply(5, pubs("f"), T0 + 60_000);
        assertEquals(6, log.firstSeq());
        assertEquals(1, log.count());
        assertEquals(6, log.seqForTime(T0));
    }

    @Test
    void ageRetentionKeepsTheIndexOfTheNewHead() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxAge(Duration.ofSeconds(1)));
        log.apply(1, pubs("a"), T0);
        log.apply(2, pubs("b"), T0 + 5_000);
        assertEquals(2, log.seqForTime(T0 + 5_000));
        assertEquals(2, log.seqForTime(0));
    }

    @Test
    void reopenMemoryStoreRestoresState() {
        MemoryStreamStore store = new MemoryStreamStore();
        fillAndCheckReopen(store, () -> store);
    }

    @Test
    void reopenRocksStoreRestoresState(@TempDir Path dir) {
        RocksStreamStore first = RocksStreamStore.open(dir);
        RocksStreamStore[] second = new RocksStreamStore[1];
        fillAndCheckReopen(first, () -> {
            first.close();
            second[0] = RocksStreamStore.open(dir);
            return second[0];
        });
        second[0].close();
    }

    private static void fillAndCheckReopen(StreamStore store, java.util.function.Supplier<StreamStore> reopen) {
        StreamConfig config = ORDERS.withMaxEvents(3);
        StreamLog log = StreamLog.open(store, config);
        log.apply(1, pubs("a", "b", "c", "d"), T0);
        log.apply(2, pubs("e"), T0 + 100);
        log.applyConsumerOp(3, new ConsumerOp.Create(
                new ConsumerConfig("billing", StartPosition.first(), 1_000, 3, "orders.dlq")), T0 + 200);
        log.applyConsumerOp(4, new ConsumerOp.Next("billing", 2), T0 + 300);
        log.applyConsumerOp(5, new ConsumerOp.Ack("billing", 4), T0 + 400);

        StreamLog again = StreamLog.open(reopen.get(), config);
        assertEquals(5, again.lastApplied());
        assertEquals(3, again.firstSeq());
        assertEquals(5, again.lastSeq());
        assertEquals(3, again.count());
        assertEquals(log.bytes(), again.bytes());
        assertEquals(log.consumers(), again.consumers());
        assertEquals("event-src-e", payload(again.read(5).orElseThrow()));
        assertEquals(List.of(new PublishAck(5, true), new PublishAck(6, false)),
                again.apply(6, pubs("e", "f"), T0 + 500), "dedupe and sequences continue after reopen");
        assertEquals(List.of(), again.apply(6, pubs("g"), T0 + 500));
        assertEquals(5, again.seqForTime(T0 + 1));
    }
}
