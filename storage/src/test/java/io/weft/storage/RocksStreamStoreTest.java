package io.weft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.weft.storage.Events.pubs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The physical layout of {@link RocksStreamStore}: events, dedupe records and the rest in three column families. */
class RocksStreamStoreTest {
    private static final StreamConfig ORDERS = StreamConfig.of("orders", "cloud", "orders.>");
    private static final long T0 = 1_700_000_000_000L;
    private static final long BUCKET = Math.floorDiv(T0, ORDERS.dedupeWindow().toMillis());

    @Test
    void eventsLiveInTheirOwnFamilyAndScansCrossItInKeyOrder(@TempDir Path dir) {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            StreamLog log = StreamLog.open(store, ORDERS);
            log.apply(1, pubs("a", "b"), T0);
            assertEquals("events", store.familyHolding(Keys.event(1)));
            assertEquals("dedupe", store.familyHolding(Keys.dedupe(BUCKET, "src", "a")));
            assertEquals("default", store.familyHolding(Keys.STATE));
            assertEquals("default", store.familyHolding(Keys.time(T0)));

            List<Integer> prefixes = new ArrayList<>();
            store.scan(new byte[0], Keys.END, (k, v) -> prefixes.add((int) k[0]));
            assertEquals(List.of(0, 1, 1, 2, 6, 7, 7), prefixes,
                    "format, 2 events, time, state, 2 dedupe records — in key order");

            List<Integer> stopped = new ArrayList<>();
            store.scan(new byte[0], Keys.END, (k, v) -> stopped.add((int) k[0]) && stopped.size() < 2);
            assertEquals(List.of(0, 1), stopped, "a visitor that stops inside the events stops the whole scan");

            store.apply(new Batch().deleteRange(Keys.FORMAT, Keys.first(Keys.DEDUPE)));
            assertNull(store.get(Keys.event(2)), "a range delete across the families removes events too");
            assertNull(store.get(Keys.time(T0)));
            List<byte[]> dedupe = store.getAll(List.of(Keys.dedupe(BUCKET, "src", "a"), Keys.dedupe(BUCKET, "src", "b")));
            assertTrue(dedupe.stream().allMatch(v -> v != null), "the dedupe records, past the range, are untouched");
        }
    }

    @Test
    void writesSurviveCloseWithoutAWriteAheadLog(@TempDir Path dir) {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            StreamLog.open(store, ORDERS).apply(1, pubs("a", "b", "c"), T0);
        }
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            StreamLog log = StreamLog.open(store, ORDERS);
            assertEquals(1, log.lastApplied());
            assertEquals(List.of("event-src-a", "event-src-b", "event-src-c"),
                    log.readFrom(1, 10).stream().map(Events::payload).toList());
        }
    }

    @Test
    void aCheckpointHoldsWritesNotYetFlushed(@TempDir Path dir) {
        Path copy = dir.resolve("checkpoint");
        try (RocksStreamStore store = RocksStreamStore.open(dir.resolve("db"))) {
            StreamLog log = StreamLog.open(store, ORDERS);
            log.apply(1, pubs("a"), T0);
            log.apply(2, pubs("b"), T0 + 1); // in the memtables only: there is no write-ahead log
            store.checkpoint(copy);
        }
        try (RocksStreamStore store = RocksStreamStore.open(copy)) {
            StreamLog log = StreamLog.open(store, ORDERS);
            assertEquals(2, log.lastApplied());
            assertEquals(List.of("event-src-a", "event-src-b"), log.readFrom(1, 10).stream().map(Events::payload).toList());
        }
    }

    @Test
    void eventsLeftInTheDefaultFamilyAreMovedOnOpen(@TempDir Path dir) throws RocksDBException {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            StreamLog.open(store, ORDERS).apply(1, pubs("a", "b", "c"), T0);
        }
        // an interrupted move (or a store from before the split): some events still in the default family
        byte[] second;
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            second = store.get(Keys.event(2));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions o = new DBOptions();
             RocksDB db = RocksDB.open(o, dir.toString(), List.of(
                     new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                     new ColumnFamilyDescriptor("events".getBytes(StandardCharsets.UTF_8)),
                     new ColumnFamilyDescriptor("dedupe".getBytes(StandardCharsets.UTF_8))), handles)) {
            db.delete(handles.get(1), Keys.event(2));
            db.put(handles.get(0), Keys.event(2), second);
            handles.forEach(ColumnFamilyHandle::close);
        }
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            assertEquals("events", store.familyHolding(Keys.event(2)), "moved");
            StreamLog log = StreamLog.open(store, ORDERS);
            assertEquals(List.of("event-src-a", "event-src-b", "event-src-c"),
                    log.readFrom(1, 10).stream().map(Events::payload).toList());
            assertEquals(List.of(new PublishAck(2, true)), log.apply(2, pubs("b"), T0 + 1));
        }
    }
}
