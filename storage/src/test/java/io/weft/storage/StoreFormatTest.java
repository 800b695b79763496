package io.weft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.weft.storage.Events.pubs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The on-disk format: the version check, and a store written by each format version checked in under
 * {@code src/test/resources/fixtures/vN} (the same stream in each). Write the current version's
 * fixture only when creating a new version:
 * {@code mvn -o -pl storage test -Dtest=StoreFormatTest#writeFixture -Dweft.storage.writeFixture=true}.
 */
class StoreFormatTest {
    private static final StreamConfig ORDERS = StreamConfig.of("orders", "cloud", "orders.>");
    private static final long T0 = 1_700_000_000_000L;
    private static final Path FIXTURE_SOURCE = Path.of("src/test/resources/fixtures/v" + StoreFormat.VERSION);

    @Test
    void anotherFormatVersionIsRejected(@TempDir Path dir) {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            store.apply(new Batch().put(Keys.FORMAT, ByteBuffer.allocate(4).putInt(99).array()));
        }
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> RocksStreamStore.open(dir));
        assertTrue(e.getMessage().contains("format version 99 but this build reads versions 1 to 2"), e.getMessage());
    }

    @Test
    void dataWithoutAVersionIsRejected(@TempDir Path dir) {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            store.apply(new Batch().delete(Keys.FORMAT).put(Keys.event(1), new byte[10]));
        }
        StoreFormatException e = assertThrows(StoreFormatException.class, () -> RocksStreamStore.open(dir));
        assertTrue(e.getMessage().contains("no format version"), e.getMessage());
    }

    @Test
    void memoryStoreIsCheckedTheSameWay() {
        MemoryStreamStore store = new MemoryStreamStore();
        StoreFormat.checkOrInit(store, "again"); // same version: fine
        store.apply(new Batch().put(Keys.FORMAT, ByteBuffer.allocate(4).putInt(3).array()));
        assertThrows(StoreFormatException.class, () -> StoreFormat.checkOrInit(store, "memory"));
    }

    @Test
    void readsTheVersion1FixtureAndConvertsItsDedupeRecords(@TempDir Path dir) throws IOException, URISyntaxException {
        copyFixture(1, dir);
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            assertEquals("events", store.familyHolding(Keys.event(1)), "the first stores kept everything in one column family; opening moves it");
            checkFixtureStream(store);
            assertEquals(2, ByteBuffer.wrap(store.get(Keys.FORMAT)).getInt(), "converted to version 2");
            int[] v1Keys = {0};
            store.scan(Keys.first(Keys.DEDUPE_V1), Keys.after(Keys.DEDUPE_EXPIRY_V1), (k, v) -> ++v1Keys[0] > 0);
            assertEquals(0, v1Keys[0], "no format-1 dedupe record or expiry entry is left");
        }
    }

    @Test
    void readsTheVersion2Fixture(@TempDir Path dir) throws IOException, URISyntaxException {
        copyFixture(2, dir);
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            checkFixtureStream(store);
        }
    }

    private void copyFixture(int version, Path dir) throws IOException, URISyntaxException {
        Path fixture = Path.of(getClass().getResource("/fixtures/v" + version + "/CURRENT").toURI()).getParent();
        try (Stream<Path> files = Files.list(fixture)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName().toString())); // RocksDB writes to the directory it opens
            }
        }
    }

    /** What {@link #writeFixture} wrote, read back; then a republish inside the window is a duplicate. */
    private static void checkFixtureStream(RocksStreamStore store) {
        StreamLog log = StreamLog.open(store, ORDERS);
        assertEquals(5, log.lastApplied());
        assertEquals(1, log.firstSeq());
        assertEquals(4, log.lastSeq());
        assertEquals(4, log.count());
        assertEquals(List.of("event-src-a", "event-src-b", "event-src-c", "event-src-d"),
                log.readFrom(1, 10).stream().map(Events::payload).toList());
        assertEquals(T0 + 1_000, log.read(4).orElseThrow().timeMillis());
        assertEquals("orders.created", log.read(4).orElseThrow().topic());
        assertEquals(4, log.seqForTime(T0 + 1));
        ConsumerInfo billing = log.consumer("billing").orElseThrow();
        assertEquals(3, billing.nextSeq());
        assertEquals(1, billing.ackFloor());
        assertEquals(1, billing.ackPending());
        assertEquals("orders.dlq", billing.config().deadLetterTopic());
        assertEquals(List.of(new PublishAck(2, true), new PublishAck(4, true), new PublishAck(5, false)),
                log.apply(6, pubs("b", "d", "e"), T0 + 2_000));
    }

    @Test
    @EnabledIfSystemProperty(named = "weft.storage.writeFixture", matches = "true")
    void writeFixture() throws IOException {
        if (Files.exists(FIXTURE_SOURCE)) {
            try (Stream<Path> old = Files.list(FIXTURE_SOURCE)) {
                for (Path f : old.toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(FIXTURE_SOURCE);
        try (RocksStreamStore store = RocksStreamStore.open(FIXTURE_SOURCE)) {
            StreamLog log = StreamLog.open(store, ORDERS);
            log.apply(1, pubs("a", "b", "c"), T0);
            log.apply(2, pubs("d"), T0 + 1_000);
            log.applyConsumerOp(3, new ConsumerOp.Create(
                    new ConsumerConfig("billing", StartPosition.first(), 30_000, 5, "orders.dlq")), T0 + 1_000);
            log.applyConsumerOp(4, new ConsumerOp.Next("billing", 2), T0 + 1_000);
            log.applyConsumerOp(5, new ConsumerOp.Ack("billing", 1), T0 + 1_000);
            store.flush();
        }
        try (Stream<Path> files = Files.list(FIXTURE_SOURCE)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                // RocksDB's text log and lock file are not data; the WAL is empty after the flush
                // (and *.log is git-ignored), so the fixture holds only the SST, MANIFEST and OPTIONS
                if (name.startsWith("LOG") || name.equals("LOCK") || name.endsWith(".log")) {
                    Files.delete(f);
                }
            }
        }
    }
}
