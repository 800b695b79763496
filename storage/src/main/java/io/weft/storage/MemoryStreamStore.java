package io.weft.storage;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link StreamStore} in a {@link TreeMap}, for tests and simulations. Closing it keeps the data,
 * so a test can "restart" by opening a new {@link StreamLog} on the same instance.
 */
public final class MemoryStreamStore implements StreamStore {
    private final TreeMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);

    /** An empty store stamped with the current {@link StoreFormat#VERSION}. */
    public MemoryStreamStore() {
        StoreFormat.checkOrInit(this, "memory store");
    }

    @Override
    public byte[] get(byte[] key) {
        byte[] v = map.get(key);
        return v == null ? null : v.clone();
    }

    @Override
    public void apply(Batch batch) {
        for (Batch.Op op : batch.ops()) {
            switch (op.kind()) {
                case PUT -> map.put(op.key(), op.value());
                case DELETE -> map.remove(op.key());
                case DELETE_RANGE -> map.subMap(op.key(), op.value()).clear();
                default -> throw new IllegalStateException("unknown op " + op.kind());
            }
        }
    }

    @Override
    public void scan(byte[] from, byte[] to, Visitor visitor) {
        for (Map.Entry<byte[], byte[]> e : map.subMap(from, to).entrySet()) {
            if (!visitor.visit(e.getKey().clone(), e.getValue().clone())) {
                return;
            }
        }
    }

    /** The number of keys, format key included. */
    public int size() {
        return map.size();
    }

    @Override
    public void close() {
        // nothing to release; the data stays for a simulated restart
    }
}
