package io.weft.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The on-disk format version of a stream store: the key layout of {@link Keys} and the value
 * encodings of {@link StreamLog} and {@link ConsumerState}. Bump {@link #VERSION} on any change and
 * keep a fixture written by each old version under {@code src/test/resources/fixtures/}.
 */
public final class StoreFormat {
    /** The version this build writes. */
    public static final int VERSION = 2;
    /**
     * The oldest version this build reads: format 1 differs only in its dedupe records, which
     * {@link StreamLog#open} converts (it knows the stream's dedupe window).
     */
    public static final int OLDEST_READABLE = 1;

    private StoreFormat() {
    }

    /**
     * Writes the version into an empty store, or checks the version of a used one.
     *
     * @throws StoreFormatException when the store holds another version, or data without a version
     */
    public static void checkOrInit(StreamStore store, String where) {
        byte[] v = store.get(Keys.FORMAT);
        if (v == null) {
            AtomicBoolean hasData = new AtomicBoolean();
            store.scan(new byte[0], Keys.END, (k, val) -> {
                hasData.set(true);
                return false;
            });
            if (hasData.get()) {
                throw new StoreFormatException(where + " holds data but no format version key: not a Weft stream store");
            }
            store.apply(stamp(new Batch(), VERSION));
            return;
        }
        int found = decode(v);
        if (found < OLDEST_READABLE || found > VERSION) {
            throw new StoreFormatException(where + " has on-disk format version " + found
                    + " but this build reads versions " + OLDEST_READABLE + " to " + VERSION
                    + ": run a build that reads it, or drop this replica and let it catch up from its peers");
        }
    }

    /** The version {@code store} holds, or -1 when it holds none (or an unreadable one). */
    static int versionOf(StreamStore store) {
        byte[] v = store.get(Keys.FORMAT);
        return v == null ? -1 : decode(v);
    }

    /** Adds the write of format {@code version} to {@code b}. */
    static Batch stamp(Batch b, int version) {
        return b.put(Keys.FORMAT, ByteBuffer.allocate(4).putInt(version).array());
    }

    private static int decode(byte[] v) {
        return v.length == 4 ? ByteBuffer.wrap(v).getInt() : -1;
    }
}
