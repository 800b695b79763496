package io.weft.storage;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A {@link StreamStore} in one RocksDB directory per stream replica. Each {@link Batch} becomes one
 * {@link WriteBatch}. Writes are not fsynced: the Raft log is the durable record and the last-applied
 * index travels in every batch, so after a crash the state machine re-applies what RocksDB lost.
 */
public final class RocksStreamStore implements StreamStore {
    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;

    private RocksStreamStore(Path dir, Options options, WriteOptions writeOptions, RocksDB db) {
        this.dir = dir;
        this.options = options;
        this.writeOptions = writeOptions;
        this.db = db;
    }

    /**
     * Opens (creating if needed) the store in {@code dir}, writing the format version into a new
     * store and checking it in an existing one.
     *
     * @throws StoreFormatException when the directory holds another format version
     * @throws StorageException     when RocksDB cannot open the directory
     */
    public static RocksStreamStore open(Path dir) {
        // a bloom filter per table file: every publish looks up its dedupe key, which is almost
        // always absent, and without a filter each lookup reads a block of every level
        Options options = new Options().setCreateIfMissing(true).setKeepLogFileNum(2)
                .setMemtablePrefixBloomSizeRatio(0.05).setMemtableWholeKeyFiltering(true)
                .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(new BloomFilter(10, false)));
        WriteOptions writeOptions = new WriteOptions().setSync(false);
        RocksDB db;
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            writeOptions.close();
            options.close();
            throw new StorageException("cannot open stream store " + dir + ": " + e.getMessage(), e);
        }
        RocksStreamStore store = new RocksStreamStore(dir, options, writeOptions, db);
        try {
            StoreFormat.checkOrInit(store, "stream store " + dir);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    @Override
    public java.util.List<byte[]> getAll(java.util.List<byte[]> keys) {
        try {
            return db.multiGetAsList(keys);
        } catch (RocksDBException e) {
            throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(byte[] key) {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new StorageException("read failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void apply(Batch batch) {
        try (WriteBatch wb = new WriteBatch()) {
            for (Batch.Op op : batch.ops()) {
                switch (op.kind()) {
                    case PUT -> wb.put(op.key(), op.value());
                    case DELETE -> wb.delete(op.key());
                    case DELETE_RANGE -> wb.deleteRange(op.key(), op.value());
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
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(from); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (Arrays.compareUnsigned(key, to) >= 0 || !visitor.visit(key, it.value())) {
                    return;
                }
            }
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
        try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new StorageException("checkpoint of " + dir + " into " + target + " failed: " + e.getMessage(), e);
        }
    }

    /** Flushes the memtable to an SST file (used when writing test fixtures). */
    public void flush() {
        try (org.rocksdb.FlushOptions fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo);
        } catch (RocksDBException e) {
            throw new StorageException("flush failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        db.close();
        writeOptions.close();
        options.close();
    }
}
