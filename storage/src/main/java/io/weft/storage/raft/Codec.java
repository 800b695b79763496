package io.weft.storage.raft;

import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.DeadLetter;
import io.weft.storage.Delivery;
import io.weft.storage.Publish;
import io.weft.storage.PublishAck;
import io.weft.storage.PurgeResult;
import io.weft.storage.StartPosition;
import io.weft.storage.StoredEvent;
import io.weft.storage.StreamConfig;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodings of the Raft entries of a stream group and of the replies its state machine returns.
 * Every entry starts with a kind byte; numbers are big-endian; a {@code str} is a u16 length then
 * UTF-8, a {@code bytes} a u32 length then the bytes. Entry encodings are part of the on-disk
 * format (the Raft log holds them): never change one, add a kind.
 *
 * <pre>
 * CREATE    0x01 config
 * PUBLISH   0x02 i64 entryTime, u32 n, n x (str topic, str source, str id, bytes event)
 * CONSUMER  0x03 i64 entryTime, u8 op, str consumer, op body (create: consumer config; next: u32 max;
 *           ack: i64 seq; delete: nothing)
 * DELETE    0x04
 * PURGE     0x05 i64 entryTime, i64 keepFromSeq (removes every event below min(keepFromSeq, lastSeq + 1),
 *           at most StreamLog.MAX_PURGE_PER_ENTRY per entry; the entry time is the leader's, kept for
 *           the record like that of the other entries: the purge does not depend on it)
 * </pre>
 *
 * <p>Replies: PUBLISH {@link #publishReply}, CONSUMER {@link #consumerReply}, PURGE {@link #purgeReply},
 * any entry that failed {@link #errorReply}.
 */
public final class Codec {
    /** Big-endian views of a byte[] (Out writes numbers in place). */
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    public static final byte CREATE = 0x01;
    public static final byte PUBLISH = 0x02;
    public static final byte CONSUMER = 0x03;
    public static final byte DELETE = 0x04;
    public static final byte PURGE = 0x05;

    private static final byte OP_CREATE = 1;
    private static final byte OP_NEXT = 2;
    private static final byte OP_ACK = 3;
    private static final byte OP_DELETE = 4;
    private static final byte OP_CREATE_PUSH = 5;
    private static final byte OP_ACK_MANY = 6;
    private static final byte OP_NAK = 7;

    private Codec() {
    }

    /** A CREATE entry. */
    public static byte[] create(StreamConfig c) {
        Out o = new Out();
        o.u8(CREATE);
        writeConfig(o, c);
        return o.bytes();
    }

    /** A DELETE entry. */
    public static byte[] delete() {
        return new byte[] {DELETE};
    }

    /** A PURGE entry: remove every event below {@code keepFromSeq} (Long.MAX_VALUE: every event). */
    public static byte[] purge(long entryTime, long keepFromSeq) {
        return new Out(17).u8(PURGE).i64(entryTime).i64(keepFromSeq).bytes();
    }

    /** The sequence a PURGE entry keeps from, after its kind byte and time. */
    public static long keepFromSeq(In in) {
        return in.i64();
    }

    /** A PUBLISH entry of {@code batch}, stamped {@code entryTime} by the leader. */
    public static byte[] publish(long entryTime, List<Publish> batch) {
        int size = 13; // exact, so the entry is written once into an array of its own size
        for (Publish p : batch) {
            size += 10 + p.event().length + utf8Length(p.topic()) + utf8Length(p.source()) + utf8Length(p.id());
        }
        Out o = new Out(size);
        o.u8(PUBLISH);
        o.i64(entryTime);
        o.i32(batch.size());
        for (Publish p : batch) {
            o.str(p.topic());
            o.str(p.source());
            o.str(p.id());
            o.bytes(p.event());
        }
        return o.bytes();
    }

    /** A CONSUMER entry. */
    public static byte[] consumer(long entryTime, ConsumerOp op) {
        Out o = new Out();
        o.u8(CONSUMER);
        o.i64(entryTime);
        if (op instanceof ConsumerOp.Create c) {
            // a push consumer has an op of its own, so entries written before push existed still decode
            o.u8(c.config().push() ? OP_CREATE_PUSH : OP_CREATE);
            o.str(op.consumer());
            writeConsumerConfig(o, c.config());
            if (c.config().push()) {
                o.str(c.config().deliverTopic());
            }
        } else if (op instanceof ConsumerOp.Next n) {
            o.u8(OP_NEXT);
            o.str(op.consumer());
            o.i32(n.max());
        } else if (op instanceof ConsumerOp.Ack a) {
            o.u8(OP_ACK);
            o.str(op.consumer());
            o.i64(a.seq());
        } else if (op instanceof ConsumerOp.AckMany a) {
            o.u8(OP_ACK_MANY);
            o.str(op.consumer());
            writeSeqs(o, a.seqs());
        } else if (op instanceof ConsumerOp.Nak k) {
            o.u8(OP_NAK);
            o.str(op.consumer());
            writeSeqs(o, k.seqs());
        } else {
            o.u8(OP_DELETE);
            o.str(op.consumer());
        }
        return o.bytes();
    }

    private static void writeSeqs(Out o, List<Long> seqs) {
        o.i32(seqs.size());
        for (long seq : seqs) {
            o.i64(seq);
        }
    }

    private static List<Long> readSeqs(In in) {
        int n = in.i32();
        if (n < 0 || n > ConsumerOp.MAX_SEQS) {
            throw new IllegalArgumentException("bad sequence count " + n);
        }
        List<Long> seqs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            seqs.add(in.i64());
        }
        return seqs;
    }

    /** The entry time of a PUBLISH, CONSUMER or PURGE entry. */
    public static long entryTime(In in) {
        return in.i64();
    }

    /** Decodes the publishes of a PUBLISH entry, after its kind byte and time. */
    public static List<Publish> publishes(In in) {
        int n = in.i32();
        List<Publish> out = new ArrayList<>(Math.min(n, 4096));
        for (int i = 0; i < n; i++) {
            String topic = in.str();
            String source = in.str();
            String id = in.str();
            out.add(new Publish(source, id, topic, in.bytes()));
        }
        return out;
    }

    /** Decodes the op of a CONSUMER entry, after its kind byte and time. */
    public static ConsumerOp consumerOp(In in) {
        byte op = in.u8();
        String name = in.str();
        return switch (op) {
            case OP_CREATE -> new ConsumerOp.Create(readConsumerConfig(in));
            case OP_CREATE_PUSH -> new ConsumerOp.Create(readConsumerConfig(in).withDeliverTopic(in.str()));
            case OP_NEXT -> new ConsumerOp.Next(name, in.i32());
            case OP_ACK -> new ConsumerOp.Ack(name, in.i64());
            case OP_DELETE -> new ConsumerOp.Delete(name);
            case OP_ACK_MANY -> new ConsumerOp.AckMany(name, readSeqs(in));
            case OP_NAK -> new ConsumerOp.Nak(name, readSeqs(in));
            default -> throw new IllegalArgumentException("unknown consumer op " + op);
        };
    }

    public static void writeConfig(Out o, StreamConfig c) {
        o.str(c.name());
        o.i32(c.subjects().size());
        for (String s : c.subjects()) {
            o.str(s);
        }
        o.i32(c.replicas());
        o.str(c.site());
        o.i64(c.maxAge().toMillis());
        o.i64(c.maxBytes());
        o.i64(c.maxEvents());
        o.i64(c.dedupeWindow().toMillis());
    }

    public static StreamConfig readConfig(In in) {
        String name = in.str();
        int n = in.i32();
        List<String> subjects = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            subjects.add(in.str());
        }
        return new StreamConfig(name, subjects, in.i32(), in.str(), Duration.ofMillis(in.i64()), in.i64(), in.i64(),
                Duration.ofMillis(in.i64()));
    }

    /** The config as stored. */
    public static byte[] config(StreamConfig c) {
        Out o = new Out();
        writeConfig(o, c);
        return o.bytes();
    }

    /** The config stored by {@link #config(StreamConfig)}. */
    public static StreamConfig config(byte[] b) {
        return readConfig(new In(b, 0));
    }

    static void writeConsumerConfig(Out o, ConsumerConfig c) {
        o.str(c.name());
        o.u8((byte) c.start().kind().ordinal());
        o.i64(c.start().value());
        o.i64(c.ackWaitMillis());
        o.i32(c.maxDeliver());
        o.str(c.deadLetterTopic() == null ? "" : c.deadLetterTopic());
        o.i32(c.maxAckPending());
    }

    static ConsumerConfig readConsumerConfig(In in) {
        String name = in.str();
        StartPosition start = new StartPosition(StartPosition.Kind.values()[in.u8()], in.i64());
        long ackWait = in.i64();
        int maxDeliver = in.i32();
        String dlq = in.str();
        return new ConsumerConfig(name, start, ackWait, maxDeliver, dlq.isEmpty() ? null : dlq, in.i32());
    }

    // ---- replies ----

    /** The reply to a PUBLISH entry: u32 n, n x (i64 seq, u8 duplicate). */
    public static byte[] publishReply(List<PublishAck> acks) {
        Out o = new Out(4 + acks.size() * 9);
        o.i32(acks.size());
        for (PublishAck a : acks) {
            o.i64(a.seq());
            o.u8((byte) (a.duplicate() ? 1 : 0));
        }
        return o.bytes();
    }

    /** Decodes {@link #publishReply}. */
    public static List<PublishAck> publishAcks(byte[] b) {
        In in = new In(b, 0);
        int n = in.i32();
        List<PublishAck> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new PublishAck(in.i64(), in.u8() != 0));
        }
        return out;
    }

    /** The reply to a PURGE entry: u8 0, i64 purged, i64 firstSeq, i64 lastSeq, i64 upTo. */
    public static byte[] purgeReply(PurgeResult r) {
        return new Out(33).u8((byte) 0).i64(r.purged()).i64(r.firstSeq()).i64(r.lastSeq()).i64(r.upTo()).bytes();
    }

    /** Decodes {@link #purgeReply}. */
    public static PurgeResult purgeResult(byte[] b) {
        In in = new In(b, 0);
        if (in.u8() != 0) {
            throw new IllegalArgumentException("not a purge reply");
        }
        return new PurgeResult(in.i64(), in.i64(), in.i64(), in.i64());
    }

    /** A reply that is an error message: u8 0xff, str message. */
    public static byte[] errorReply(String message) {
        Out o = new Out();
        o.u8((byte) 0xff);
        o.str(message.length() > 8000 ? message.substring(0, 8000) : message);
        return o.bytes();
    }

    /** The message of an {@link #errorReply}, or null when {@code b} is not one. */
    public static String error(byte[] b) {
        if (b.length > 0 && b[0] == (byte) 0xff) {
            return new In(b, 1).str();
        }
        return null;
    }

    /** The reply to a CONSUMER entry. */
    public static byte[] consumerReply(ConsumerOpResult r) {
        Out o = new Out();
        o.u8((byte) (r.ok() ? 0 : 1));
        o.str(r.error() == null ? "" : r.error());
        o.u8((byte) (r.info() == null ? 0 : 1));
        if (r.info() != null) {
            writeConsumerInfo(o, r.info());
        }
        o.i32(r.deliveries().size());
        for (Delivery d : r.deliveries()) {
            writeEvent(o, d.event());
            o.i32(d.deliveryCount());
        }
        o.i32(r.deadLetters().size());
        for (DeadLetter d : r.deadLetters()) {
            o.str(d.topic() == null ? "" : d.topic());
            o.str(d.consumer());
            writeEvent(o, d.event());
            o.i32(d.deliveryCount());
        }
        o.u8((byte) (r.acked() ? 1 : 0));
        o.i32(r.changed()); // added with AckMany and Nak: a reply without it came from a single-event ack
        return o.bytes();
    }

    /** Decodes {@link #consumerReply}. */
    public static ConsumerOpResult consumerResult(byte[] b) {
        In in = new In(b, 0);
        boolean ok = in.u8() == 0;
        String error = in.str();
        ConsumerInfo info = in.u8() == 1 ? readConsumerInfo(in) : null;
        int n = in.i32();
        List<Delivery> deliveries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            deliveries.add(new Delivery(readEvent(in), in.i32()));
        }
        int m = in.i32();
        List<DeadLetter> dead = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            String topic = in.str();
            String consumer = in.str();
            dead.add(new DeadLetter(topic.isEmpty() ? null : topic, consumer, readEvent(in), in.i32()));
        }
        int changed = in.u8() == 1 ? 1 : 0;
        if (in.hasMore()) {
            changed = in.i32();
        }
        return new ConsumerOpResult(ok ? null : error, info, deliveries, dead, changed);
    }

    public static void writeConsumerInfo(Out o, ConsumerInfo i) {
        writeConsumerConfig(o, i.config());
        o.i64(i.startSeq());
        o.i64(i.nextSeq());
        o.i64(i.ackFloor());
        o.i32(i.ackPending());
        o.str(i.config().deliverTopic() == null ? "" : i.config().deliverTopic());
    }

    public static ConsumerInfo readConsumerInfo(In in) {
        ConsumerConfig c = readConsumerConfig(in);
        long startSeq = in.i64();
        long nextSeq = in.i64();
        long ackFloor = in.i64();
        int ackPending = in.i32();
        String deliver = in.str();
        return new ConsumerInfo(deliver.isEmpty() ? c : c.withDeliverTopic(deliver), startSeq, nextSeq, ackFloor, ackPending);
    }

    public static void writeEvent(Out o, StoredEvent e) {
        o.i64(e.seq());
        o.i64(e.timeMillis());
        o.str(e.topic());
        o.bytes(e.event());
    }

    public static StoredEvent readEvent(In in) {
        return new StoredEvent(in.i64(), in.i64(), in.str(), in.bytes());
    }

    /** A growable big-endian writer. */
    public static final class Out {
        private byte[] buf;
        private int size;

        public Out() {
            this(64);
        }

        public Out(int size) {
            buf = new byte[Math.max(16, size)];
        }

        public Out u8(byte b) {
            room(1);
            buf[size++] = b;
            return this;
        }

        public Out i32(int v) {
            room(4);
            INT.set(buf, size, v);
            size += 4;
            return this;
        }

        public Out i64(long v) {
            room(8);
            LONG.set(buf, size, v);
            size += 8;
            return this;
        }

        public Out str(String s) {
            int n = s.length();
            if (n <= 0xffff) { // ASCII, the usual case, goes straight in; anything else through getBytes
                room(2 + n);
                int i = 0;
                for (char c; i < n && (c = s.charAt(i)) < 0x80; i++) {
                    buf[size + 2 + i] = (byte) c;
                }
                if (i == n) {
                    SHORT.set(buf, size, (short) n);
                    size += 2 + n;
                    return this;
                }
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xffff) {
                throw new IllegalArgumentException("string longer than 65535 bytes");
            }
            room(2 + b.length);
            SHORT.set(buf, size, (short) b.length);
            System.arraycopy(b, 0, buf, size + 2, b.length);
            size += 2 + b.length;
            return this;
        }

        public Out bytes(byte[] b) {
            i32(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
            return this;
        }

        public byte[] bytes() {
            return buf.length == size ? buf : Arrays.copyOf(buf, size);
        }

        private void room(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }
    }

    /** The length of {@code s} in UTF-8. */
    static int utf8Length(String s) {
        return isAscii(s) ? s.length() : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** A big-endian reader that throws {@link IllegalArgumentException} on truncated input. */
    public static final class In {
        private final ByteBuffer in;

        public In(byte[] b, int offset) {
            this(ByteBuffer.wrap(b, offset, b.length - offset));
        }

        /** Reads {@code b} from its position on (big-endian whatever its order). */
        public In(ByteBuffer b) {
            in = b.slice().order(ByteOrder.BIG_ENDIAN);
        }

        public byte u8() {
            need(1);
            return in.get();
        }

        public int i32() {
            need(4);
            return in.getInt();
        }

        public long i64() {
            need(8);
            return in.getLong();
        }

        public String str() {
            need(2);
            int n = in.getShort() & 0xffff;
            need(n);
            if (in.hasArray()) {
                String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
                in.position(in.position() + n);
                return s;
            }
            byte[] b = new byte[n];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        public byte[] bytes() {
            need(4);
            int n = in.getInt();
            if (n < 0) {
                throw truncated();
            }
            need(n);
            byte[] b = new byte[n];
            in.get(b);
            return b;
        }

        public boolean hasMore() {
            return in.hasRemaining();
        }

        private void need(int n) {
            if (in.remaining() < n) {
                throw truncated();
            }
        }

        private static IllegalArgumentException truncated() {
            return new IllegalArgumentException("truncated entry");
        }
    }

}
