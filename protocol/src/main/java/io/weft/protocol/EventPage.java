package io.weft.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A page of a stream's stored events in binary, as an EVENTS frame carries it to a client and a
 * stream's replica sends it across the mesh: no re-encoding anywhere, each event is the bytes the
 * stream stored.
 *
 * <pre>
 * i64 lastSeq      the last sequence of the replica that read the page (0: empty stream)
 * i64 next         where the next read starts (the last event's sequence + 1, or the asked one)
 * u32 count
 * count times:     i64 seq, i64 stored time (epoch millis), str16 topic, u32 length, event ({@link EventCodec})
 * </pre>
 */
public final class EventPage {
    private static final int HEADER_BYTES = 20;

    /** One stored event of a page; {@code event} is its {@link EventCodec} encoding. */
    public record Entry(long seq, long timeMillis, String topic, byte[] event) {
    }

    /** A decoded page. */
    public record Page(long lastSeq, long next, List<Entry> entries) {
    }

    private EventPage() {
    }

    /** Bytes an entry takes in a page. */
    public static int entryBytes(byte[] topicUtf8, int eventBytes) {
        return 8 + 8 + 2 + topicUtf8.length + 4 + eventBytes;
    }

    /** Builds one page into an array of exactly its size; add entries in sequence order, then {@link #finish}. */
    public static final class Writer {
        private final ByteBuf out;
        private int count;
        private long lastAdded;

        /** @param capacity the page's exact size: 20 plus {@link #entryBytes} of every entry */
        public Writer(int capacity) {
            out = Unpooled.wrappedBuffer(new byte[capacity]).writerIndex(HEADER_BYTES);
        }

        public void add(long seq, long timeMillis, byte[] topicUtf8, byte[] event) {
            if (topicUtf8.length > 0xffff) {
                throw new IllegalArgumentException("topic longer than 65535 bytes");
            }
            out.writeLong(seq);
            out.writeLong(timeMillis);
            out.writeShort(topicUtf8.length);
            out.writeBytes(topicUtf8);
            out.writeInt(event.length);
            out.writeBytes(event);
            count++;
            lastAdded = seq;
        }

        /**
         * The page: {@code next} is the last added sequence + 1, or {@code from} when none was added.
         *
         * @throws IllegalStateException when the entries did not fill the announced capacity
         */
        public byte[] finish(long lastSeq, long from) {
            if (out.writerIndex() != out.capacity()) {
                throw new IllegalStateException("page of " + out.capacity() + " bytes holds " + out.writerIndex());
            }
            out.setLong(0, lastSeq);
            out.setLong(8, count == 0 ? from : lastAdded + 1);
            out.setInt(16, count);
            return out.array();
        }
    }

    /** Reads a page of {@code length} bytes at the reader index (which it advances past the page). */
    public static Page read(ByteBuf in, int length) {
        Wire.need(in, length, "event page");
        int end = in.readerIndex() + length;
        if (length < HEADER_BYTES) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "event page of " + length + " bytes has no header");
        }
        long lastSeq = in.readLong();
        long next = in.readLong();
        long count = in.readUnsignedInt();
        // every entry takes at least 22 bytes: a count the page cannot hold is malformed, not an allocation
        if (count > (end - in.readerIndex()) / 22) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "event page announces " + count
                    + " events in " + length + " bytes");
        }
        List<Entry> entries = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            Wire.need(in, 18, "event page entry");
            long seq = in.readLong();
            long time = in.readLong();
            int topicLen = in.readUnsignedShort();
            Wire.need(in, topicLen + 4, "event page topic");
            String topic = in.toString(in.readerIndex(), topicLen, StandardCharsets.UTF_8);
            in.skipBytes(topicLen);
            int len = in.readInt();
            if (len < 0 || len > end - in.readerIndex()) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "event page entry " + seq + " of "
                        + len + " bytes overruns the page");
            }
            byte[] event = new byte[len];
            in.readBytes(event);
            entries.add(new Entry(seq, time, topic, event));
        }
        if (in.readerIndex() != end) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "event page has " + (end - in.readerIndex())
                    + " bytes after its last event");
        }
        return new Page(lastSeq, next, entries);
    }
}
