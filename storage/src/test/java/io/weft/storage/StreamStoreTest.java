package io.weft.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The same contract checks over both stores. */
class StreamStoreTest {

    @Test
    void memory() {
        try (MemoryStreamStore store = new MemoryStreamStore()) {
            checkContract(store);
        }
    }

    @Test
    void rocks(@TempDir Path dir) {
        try (RocksStreamStore store = RocksStreamStore.open(dir)) {
            checkContract(store);
        }
        try (RocksStreamStore store = RocksStreamStore.open(dir)) { // survives close and reopen
            assertArrayEquals(b("v3"), store.get(b("k3")));
        }
    }

    private static void checkContract(StreamStore store) {
        store.apply(new Batch().put(b("k1"), b("v1")).put(b("k2"), b("v2")).put(b("k3"), b("v3"))
                .put(new byte[] {(byte) 0x90}, b("high")));
        assertArrayEquals(b("v1"), store.get(b("k1")));
        assertNull(store.get(b("nope")));

        store.apply(new Batch().put(b("k4"), b("v4")).delete(b("k4")).delete(b("k1")));
        assertNull(store.get(b("k4")), "a delete after a put in one batch wins");
        assertNull(store.get(b("k1")));

        List<String> seen = new ArrayList<>();
        store.scan(b("k"), b("l"), (k, v) -> seen.add(s(k) + "=" + s(v)));
        assertEquals(List.of("k2=v2", "k3=v3"), seen);

        List<String> unsigned = new ArrayList<>();
        store.scan(b("k3"), new byte[] {(byte) 0xff}, (k, v) -> unsigned.add(s(v)));
        assertEquals(List.of("v3", "high"), unsigned, "keys compare as unsigned bytes");

        List<String> first = new ArrayList<>();
        store.scan(b("k"), b("l"), (k, v) -> {
            first.add(s(k));
            return false;
        });
        assertEquals(List.of("k2"), first, "a visitor returning false stops the scan");

        store.apply(new Batch().deleteRange(b("k"), b("k3")));
        assertNull(store.get(b("k2")));
        assertArrayEquals(b("v3"), store.get(b("k3")), "the range end is exclusive");
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
