package io.weft.storage;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactionStyle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link StreamStore} in one RocksDB directory per stream replica. Each {@link Batch} becomes one
 * {@link WriteBatch}.
 *
 * <p>Three column families: events (keys of {@link Keys#EVENT}); the dedupe records
 * ({@link Keys#DEDUPE}, and format 1's until {@link StreamLog#open} converts them); everything else
 * (default). Event
 * keys only grow, so their table files never overlap and RocksDB moves them down the levels without
 * rewriting them; mixed with the dedupe records (random keys) every compaction rewrote the events
 * too, and compaction was the largest CPU user of a busy replica. Dedupe records are random and
 * short-lived, so their family compacts size-tiered (universal), which rewrites each record a few
 * times rather than once per level. Keys are the same in every family; a store written before the
 * split (one column family) is moved over when it is opened.
 *
 * <p>Writes skip RocksDB's write-ahead log and are not fsynced: the Raft log is the durable
 * record, the last-applied index travels in every batch, and the column families are flushed
 * together ({@code atomic_flush}). After a crash the store is as of its last flush (every snapshot
 * flushes), and the state machine re-applies the entries after it from the Raft log, which keeps
 * every entry after the latest snapshot.
 */
public final class RocksStreamStore implements StreamStore {
    static {
        RocksLibrary.load();
    }

    private static final byte[] EVENTS_FAMILY = "events".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DEDUPE_FAMILY = "dedupe".getBytes(StandardCharsets.UTF_8);
    /** Keys moved per batch when an old store is opened. */
    private static final int MOVE_CHUNK = 10_000;
    /** The key prefixes kept outside the default family: [first prefix, last prefix] per family. */
    private static final byte[][] MOVED_PREFIXES = {{Keys.EVENT, Keys.EVENT}, {Keys.DEDUPE_V1, Keys.DEDUPE_EXPIRY_V1}};

    private final Path dir;
    private final DBOptions options;
    private final ColumnFamilyOptions familyOptions;
    private final ColumnFamilyOptions dedupeOptions;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private final ColumnFamilyHandle rest;
    private final ColumnFamilyHandle events;
    private final ColumnFamilyHandle dedupe;
    /** The family of each key prefix byte. */
    private final ColumnFamilyHandle[] familyByPrefix = new ColumnFamilyHandle[256];

    private RocksStreamStore(Path dir, DBOptions options, ColumnFamilyOptions familyOptions,
                             ColumnFamilyOptions dedupeOptions, WriteOptions writeOptions, RocksDB db,
                             List<ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.options = options;
        this.familyOptions = familyOptions;
        this.dedupeOptions = dedupeOptions;
        this.writeOptions = writeOptions;
        this.db = db;
        this.rest = handles.get(0);
        this.events = handles.get(1);
        this.dedupe = handles.get(2);
        Arrays.fill(familyByPrefix, rest);
        familyByPrefix[Keys.EVENT] = events;
        familyByPrefix[Keys.DEDUPE] = dedupe;
        familyByPrefix[Keys.DEDUPE_V1] = dedupe;
        familyByPrefix[Keys.DEDUPE_EXPIRY_V1] = dedupe;
    }

    /**
     * Opens (creating if needed) the store in {@code dir}, writing the format version into a new
     * store and checking it in an existing one.
     *
     * @throws StoreFormatException when the directory holds another format version
     * @throws StorageException     when RocksDB cannot open the directory
     */
    public static RocksStreamStore open(Path dir) {
        DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(2).setAtomicFlush(true);
        ColumnFamilyOptions familyOptions = familyOptions();
        ColumnFamilyOptions dedupeOptions = familyOptions().setCompactionStyle(CompactionStyle.UNIVERSAL);
        WriteOptions writeOptions = new WriteOptions().setSync(false).setDisableWAL(true);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = RocksDB.open(options, dir.toString(), List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions),
                    new ColumnFamilyDescriptor(EVENTS_FAMILY, familyOptions),
                    new ColumnFamilyDescriptor(DEDUPE_FAMILY, dedupeOptions)), handles);
        } catch (RocksDBException e) {
            writeOptions.close();
            dedupeOptions.close();
            familyOptions.close();
            options.close();
            throw new StorageException("cannot open stream store " + dir + ": " + e.getMessage(), e);
        }
        RocksStreamStore store = new RocksStreamStore(dir, options, familyOptions, dedupeOptions, writeOptions, db,
                handles);
        try {
            store.moveOutOfDefaultFamily();
            StoreFormat.checkOrInit(store, "stream store " + dir);
            store.flush(); // without a write-ahead log, what was just written exists only once flushed
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    private static ColumnFamilyOptions familyOptions() {
        // a bloom filter per table file: every publish looks up its dedupe key, which is almost
        // always absent, and without a filter each lookup reads a block of every level
        return new ColumnFamilyOptions()
                .setMemtablePrefixBloomSizeRatio(0.05).setMemtableWholeKeyFiltering(true)
                .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(new BloomFilter(10, false)));
    }

    /** Moves the keys a store kept in the default column family (before the split) to their family. */
    private void moveOutOfDefaultFamily() {
        boolean moved = false;
        try (WriteOptions logged = new WriteOptions()) { // logged: an interrupted move resumes on the next open
            for (byte[] prefixes : MOVED_PREFIXES) {
                byte[] from = Keys.first(prefixes[0]);
                byte[] to = Keys.after(prefixes[1]);
                ColumnFamilyHandle target = familyOf(from);
                while (true) {
                    List<byte[][]> chunk = new ArrayList<>();
                    scanFamily(rest, from, to, (k, v) -> chunk.add(new byte[][] {k, v}) && chunk.size() < MOVE_CHUNK);
                    if (chunk.isEmpty()) {
                        break;
                    }
                    try (WriteBatch wb = new WriteBatch()) {
                        for (byte[][] kv : chunk) {
                            wb.put(target, kv[0], kv[1]);
                            wb.delete(rest, kv[0]);
                        }
                        db.write(logged, wb);
                    }
                    moved = true;
                }
            }
        } catch (RocksDBException e) {
            throw new StorageException("moving keys to their column family failed in " + dir + ": " + e.getMessage(), e);
        }
        if (moved) {
            flush();
        }
    }

    private ColumnFamilyHandle familyOf(byte[] key) {
        return key.length == 0 ? rest : familyByPrefix[key[0] & 0xff];
    }

    @Override
    public List<byte[]> getAll(List<byte[]> keys) {
        List<ColumnFamilyHandle> families = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            families.add(familyOf(k));
        }
        try {
            return db.multiGetAsList(families, keys);
        } catch (RocksDBException e) {
            throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(byte[] key) {
        try {
            return db.get(familyOf(key), key);
        } catch (RocksDBException e) {
            throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void apply(Batch batch) {
        try (WriteBatch wb = new WriteBatch()) {
            for (Batch.Op op : batch.ops()) {
                switch (op.kind()) {
                    case PUT -> wb.put(familyOf(op.key()), op.key(), op.value());
                    case DELETE -> wb.delete(familyOf(op.key()), op.key());
                    case DELETE_RANGE -> {
                        for (Range r : split(op.key(), op.value())) {
                            wb.deleteRange(r.family, r.from, r.to);
                        }
                    }
                    default -> throw new IllegalStateException("unknown op " + op.kind());
                }
            }
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new StorageException("write failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void scan(byte[] from, byte[] to, Visitor visitor) {
        for (Range r : split(from, to)) {
            if (!scanFamily(r.family, r.from, r.to, visitor)) {
                return;
            }
        }
    }

    /** Visits [from, to) of one family; false when the visitor stopped it. */
    private boolean scanFamily(ColumnFamilyHandle family, byte[] from, byte[] to, Visitor visitor) {
        try (RocksIterator it = db.newIterator(family)) {
            for (it.seek(from); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (Arrays.compareUnsigned(key, to) >= 0) {
                    return true;
                }
                if (!visitor.visit(key, it.value())) {
                    return false;
                }
            }
        }
        return true;
    }

    private record Range(ColumnFamilyHandle family, byte[] from, byte[] to) {
    }

    /** [from, to) cut where the family changes, in key order. */
    private List<Range> split(byte[] from, byte[] to) {
        List<Range> out = new ArrayList<>(3);
        byte[] start = from;
        while (Arrays.compareUnsigned(start, to) < 0) {
            // the family of start's prefix holds keys up to the next prefix of another family
            ColumnFamilyHandle family = familyOf(start);
            int prefix = start.length == 0 ? 0 : start[0] & 0xff;
            int next = prefix + 1;
            while (next < 256 && familyByPrefix[next] == family) {
                next++;
            }
            byte[] end = next < 256 ? new byte[] {(byte) next} : to;
            end = min(end, to);
            out.add(new Range(family, start, end));
            start = end;
        }
        return out;
    }

    private static byte[] min(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /** The name of the column family that holds {@code key} (tests: the split of the layout), or null. */
    String familyHolding(byte[] key) {
        try {
            for (ColumnFamilyHandle f : List.of(rest, events, dedupe)) {
                if (db.get(f, key) != null) {
                    return new String(f.getName(), StandardCharsets.UTF_8);
                }
            }
            return null;
        } catch (RocksDBException e) {
            throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The stream settings stored with {@link #putConfig}, or null. */
    public byte[] getConfig() {
        return get(Keys.CONFIG);
    }

    /** Stores the stream's settings (encoded by the caller). */
    public void putConfig(byte[] config) {
        apply(new Batch().put(Keys.CONFIG, config));
    }

    /**
     * Writes a consistent copy of the store into the new directory {@code target}: SST files are
     * hard-linked, so this is cheap whatever the store's size.
     */
    public void checkpoint(Path target) {
        // without a write-ahead log a checkpoint holds only what was flushed; createCheckpoint flushes
        // every family first (its log_size_for_flush is 0), atomically with atomic_flush
        try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new StorageException("checkpoint of " + dir + " into " + target + " failed: " + e.getMessage(), e);
        }
    }

    /** Writes the memtables of every column family to table files, together. */
    public void flush() {
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, List.of(rest, events, dedupe));
        } catch (RocksDBException e) {
            throw new StorageException("flush failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            flush(); // nothing written since the last flush is in a log: keep it
        } catch (StorageException e) {
            // closing after a failure: the Raft log still has every entry after the last flush
        }
        dedupe.close();
        events.close();
        rest.close();
        db.close();
        writeOptions.close();
        dedupeOptions.close();
        familyOptions.close();
        options.close();
    }
}
