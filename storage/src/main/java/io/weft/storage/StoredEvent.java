package io.weft.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An event as the stream holds it.
 *
 * @param seq        its stream sequence
 * @param timeMillis when the stream stored it (the Raft entry's time, never going backwards)
 * @param topic      the topic it was published on
 * @param event      the encoded event
 */
public record StoredEvent(long seq, long timeMillis, String topic, byte[] event) {

    /** The stored value: {@code time:i64, topicLen:u16, topic, event}. */
    static byte[] encode(long timeMillis, String topic, byte[] event) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        if (t.length > 0xffff) {
            throw new IllegalArgumentException("topic longer than 65535 bytes");
        }
        return ByteBuffer.allocate(10 + t.length + event.length)
                .putLong(timeMillis).putShort((short) t.length).put(t).put(event).array();
    }

    static StoredEvent decode(long seq, byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        long time = b.getLong();
        byte[] t = new byte[Short.toUnsignedInt(b.getShort())];
        b.get(t);
        byte[] event = new byte[b.remaining()];
        b.get(event);
        return new StoredEvent(seq, time, new String(t, StandardCharsets.UTF_8), event);
    }

    static long timeOf(byte[] value) {
        return ByteBuffer.wrap(value).getLong();
    }
}
