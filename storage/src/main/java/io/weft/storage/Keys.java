package io.weft.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The key layout of a stream store (format {@link StoreFormat#VERSION}). One prefix byte per kind;
 * numbers are big-endian so that keys sort numerically.
 *
 * <pre>
 * 0x00 "format"                         -> u32 format version
 * 0x01 seq:u64                          -> event: time:i64, topicLen:u16, topic, event bytes
 * 0x02 time:i64                         -> first seq:u64 stored at that time (time index)
 * 0x05 consumer name                    -> consumer state (ConsumerState)
 * 0x06 "state"                          -> lastApplied, firstSeq, lastSeq, bytes, count, lastTime (i64 each)
 * 0x06 "config"                         -> the stream's settings (io.weft.storage.raft.Codec#config)
 * 0x07 bucket:u64 srcLen:u16 source id  -> dedupe record: seq:u64, time:i64; bucket = time / window
 * </pre>
 *
 * <p>Format 1 kept dedupe records under 0x03 (srcLen source id, no bucket) with an expiry index
 * under 0x04 (seq -> time, dedupe key); {@link StreamLog#open} converts them.
 */
final class Keys {
    static final byte FORMAT_PREFIX = 0x00;
    static final byte EVENT = 0x01;
    static final byte TIME = 0x02;
    /** Format 1 only: dedupe records without a bucket. */
    static final byte DEDUPE_V1 = 0x03;
    /** Format 1 only: the expiry index of the dedupe records. */
    static final byte DEDUPE_EXPIRY_V1 = 0x04;
    static final byte CONSUMER = 0x05;
    static final byte META = 0x06;
    static final byte DEDUPE = 0x07;

    static final byte[] FORMAT = withText(FORMAT_PREFIX, "format");
    static final byte[] STATE = withText(META, "state");
    static final byte[] CONFIG = withText(META, "config");
    /** Above every key of the layout. */
    static final byte[] END = {(byte) 0xff};

    private Keys() {
    }

    static byte[] event(long seq) {
        return withLong(EVENT, seq);
    }

    static byte[] time(long timeMillis) {
        return withLong(TIME, timeMillis);
    }

    /** The dedupe record of (source, id) in time bucket {@code bucket}. */
    static byte[] dedupe(long bucket, String source, String id) {
        byte[] s = source.getBytes(StandardCharsets.UTF_8);
        byte[] i = id.getBytes(StandardCharsets.UTF_8);
        if (s.length > 0xffff) {
            throw new IllegalArgumentException("source longer than 65535 bytes");
        }
        return ByteBuffer.allocate(11 + s.length + i.length)
                .put(DEDUPE).putLong(bucket).putShort((short) s.length).put(s).put(i).array();
    }

    /** Dedupe key {@code key} moved to time bucket {@code bucket} (a copy). */
    static byte[] dedupeInBucket(byte[] key, long bucket) {
        byte[] k = key.clone();
        ByteBuffer.wrap(k, 1, 8).putLong(bucket);
        return k;
    }

    /** The first dedupe key of time bucket {@code bucket}. */
    static byte[] dedupeBucket(long bucket) {
        return withLong(DEDUPE, bucket);
    }

    /** A format-1 dedupe key (0x03 srcLen source id) in time bucket {@code bucket}. */
    static byte[] dedupeFromV1(long bucket, byte[] v1Key) {
        return ByteBuffer.allocate(8 + v1Key.length).put(DEDUPE).putLong(bucket)
                .put(v1Key, 1, v1Key.length - 1).array();
    }

    static byte[] consumer(String name) {
        return withText(CONSUMER, name);
    }

    /** The first key of a kind. */
    static byte[] first(byte prefix) {
        return new byte[] {prefix};
    }

    /** Just above the last key of a kind. */
    static byte[] after(byte prefix) {
        return new byte[] {(byte) (prefix + 1)};
    }

    static long seqOf(byte[] key) {
        return ByteBuffer.wrap(key, 1, 8).getLong();
    }

    static String consumerNameOf(byte[] key) {
        return new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
    }

    private static byte[] withLong(byte prefix, long n) {
        return ByteBuffer.allocate(9).put(prefix).putLong(n).array();
    }

    private static byte[] withText(byte prefix, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + t.length).put(prefix).put(t).array();
    }
}
