package io.weft.protocol;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes and reads frames. A frame is {@code u32 length} (of type and body), {@code u8 type}, body.
 * Writers append one whole frame to a buffer; readers take a frame body (as split off by
 * {@link FrameDecoder}) and return a value or throw {@link ProtocolException}.
 */
public final class Frames {
    /** The newest protocol version this code speaks: 2 added READ and EVENTS. */
    public static final int PROTOCOL_VERSION = 4;
    /** The first version whose SUB may carry an event filter. */
    public static final int FILTER_VERSION = 4;
    /** The first version with READ and EVENTS. */
    public static final int READ_VERSION = 2;
    /** The first version with AUTH, and INFO's authentication fields. */
    public static final int AUTH_VERSION = 3;
    /** AUTH methods. */
    public static final int AUTH_PASSWORD = 1;
    public static final int AUTH_TOKEN = 2;
    /** The oldest version this code still speaks. */
    public static final int MIN_PROTOCOL_VERSION = 1;
    /** {@code "WEFT"}: the first four bytes of HELLO's body, to reject wrong protocols at once. */
    public static final int MAGIC = 0x57454654;
    /** Length prefix plus type byte. */
    public static final int HEADER_BYTES = 5;
    /** Header of a MSG frame: length, type and subscription id. */
    public static final int MSG_HEADER_BYTES = HEADER_BYTES + 4;

    private Frames() {
    }

    private static int begin(ByteBuf out, byte type) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(type);
        return start;
    }

    private static void end(ByteBuf out, int start) {
        out.setInt(start, out.writerIndex() - start - 4);
    }

    public static void writeHello(ByteBuf out, Hello hello) {
        int s = begin(out, FrameType.HELLO);
        out.writeInt(MAGIC);
        out.writeByte(hello.minVersion());
        out.writeByte(hello.maxVersion());
        Wire.writeStr16(out, hello.clientName());
        Wire.writeStr16(out, hello.site());
        end(out, s);
    }

    public static Hello readHello(ByteBuf body) {
        Wire.need(body, 6, "HELLO");
        int magic = body.readInt();
        if (magic != MAGIC) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    String.format("bad magic 0x%08x in HELLO: not a Weft client?", magic));
        }
        int min = body.readUnsignedByte();
        int max = body.readUnsignedByte();
        return new Hello(min, max, Wire.readStr16(body), Wire.readStr16(body));
    }

    /** The version both sides speak, or an UNSUPPORTED_VERSION error naming both ranges. */
    public static int negotiate(Hello hello) {
        int version = Math.min(hello.maxVersion(), PROTOCOL_VERSION);
        if (version < hello.minVersion() || version < MIN_PROTOCOL_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "client speaks versions "
                    + hello.minVersion() + ".." + hello.maxVersion() + ", broker speaks "
                    + MIN_PROTOCOL_VERSION + ".." + PROTOCOL_VERSION);
        }
        return version;
    }

    public static void writeInfo(ByteBuf out, Info info) {
        int s = begin(out, FrameType.INFO);
        out.writeByte(info.version());
        Wire.writeStr16(out, info.serverVersion());
        Wire.writeStr16(out, info.node());
        Wire.writeStr16(out, info.site());
        out.writeInt(info.maxFrameBytes());
        out.writeByte(info.ready() ? 1 : 0);
        out.writeShort(info.nodes().size());
        for (NodeAddress n : info.nodes()) {
            Wire.writeStr16(out, n.node());
            Wire.writeStr16(out, n.site());
            Wire.writeStr16(out, n.clientAddress());
            out.writeByte(n.ready() ? 1 : 0);
        }
        if (info.version() >= AUTH_VERSION) {
            out.writeByte(info.authRequired() ? 1 : 0);
            Wire.writeStr16(out, info.authMethods());
        }
        end(out, s);
    }

    public static Info readInfo(ByteBuf body) {
        Wire.need(body, 1, "INFO version");
        int version = body.readUnsignedByte();
        String serverVersion = Wire.readStr16(body);
        String node = Wire.readStr16(body);
        String site = Wire.readStr16(body);
        Wire.need(body, 7, "INFO limits");
        int maxFrame = body.readInt();
        boolean ready = body.readByte() != 0;
        int count = body.readUnsignedShort();
        List<NodeAddress> nodes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String n = Wire.readStr16(body);
            String st = Wire.readStr16(body);
            String addr = Wire.readStr16(body);
            Wire.need(body, 1, "INFO node ready");
            nodes.add(new NodeAddress(n, st, addr, body.readByte() != 0));
        }
        if (version >= AUTH_VERSION) {
            Wire.need(body, 1, "INFO auth");
            boolean auth = body.readByte() != 0;
            return new Info(version, serverVersion, node, site, maxFrame, ready, nodes, auth, Wire.readStr16(body));
        }
        return new Info(version, serverVersion, node, site, maxFrame, ready, nodes);
    }

    /** AUTH: a method ({@link #AUTH_PASSWORD}, {@link #AUTH_TOKEN}), a user (empty for a token) and the secret. */
    public record Auth(int method, String user, String secret) {
        @Override
        public String toString() {
            return "Auth[method=" + method + ", user=" + user + "]"; // never the secret
        }
    }

    public static void writeAuth(ByteBuf out, Auth auth) {
        int s = begin(out, FrameType.AUTH);
        out.writeByte(auth.method());
        Wire.writeStr16(out, auth.user());
        Wire.writeStr16(out, auth.secret());
        end(out, s);
    }

    public static Auth readAuth(ByteBuf body) {
        Wire.need(body, 1, "AUTH method");
        int method = body.readUnsignedByte();
        return new Auth(method, Wire.readStr16(body), Wire.readStr16(body));
    }

    /** Appends a PUB frame for {@code event} on {@code topic}. The topic is validated first. */
    public static void writePub(ByteBuf out, String topic, CloudEvent event) {
        Topics.validateTopic(topic);
        int s = begin(out, FrameType.PUB);
        Wire.writeStr16(out, topic);
        EventCodec.encode(event, out);
        end(out, s);
    }

    public static void writeSub(ByteBuf out, long sid, String pattern, String queueGroup) {
        writeSub(out, sid, pattern, queueGroup, null);
    }

    /**
     * A SUB; {@code filter} (protocol {@value #FILTER_VERSION}: an event filter, a bare CESQL expression or
     * the JSON list of Subscriptions API filters) goes last and only when given, so the frame without one is
     * what older brokers read.
     */
    public static void writeSub(ByteBuf out, long sid, String pattern, String queueGroup, String filter) {
        int s = begin(out, FrameType.SUB);
        out.writeInt((int) sid);
        Wire.writeStr16(out, pattern);
        Wire.writeStr16(out, queueGroup);
        if (filter != null) {
            Wire.writeStr16(out, filter);
        }
        end(out, s);
    }

    public static void writeUnsub(ByteBuf out, long sid) {
        int s = begin(out, FrameType.UNSUB);
        out.writeInt((int) sid);
        end(out, s);
    }

    /**
     * Writes the header of a MSG frame whose body continues with {@code payloadBytes} bytes of a PUB
     * body ({@code str16 topic, event}), so one encoded PUB body can be sent to many subscribers.
     */
    public static ByteBuf msgHeader(ByteBufAllocator alloc, long sid, int payloadBytes) {
        ByteBuf h = alloc.buffer(MSG_HEADER_BYTES);
        h.writeInt(1 + 4 + payloadBytes);
        h.writeByte(FrameType.MSG);
        h.writeInt((int) sid);
        return h;
    }

    /** Appends a whole MSG frame (header and payload) for one subscriber. */
    public static void writeMsg(ByteBuf out, long sid, ByteBuf pubBody) {
        out.writeInt(1 + 4 + pubBody.readableBytes());
        out.writeByte(FrameType.MSG);
        out.writeInt((int) sid);
        out.writeBytes(pubBody, pubBody.readerIndex(), pubBody.readableBytes());
    }

    public static void writePing(ByteBuf out, long token) {
        int s = begin(out, FrameType.PING);
        out.writeLong(token);
        end(out, s);
    }

    public static void writePong(ByteBuf out, long token) {
        int s = begin(out, FrameType.PONG);
        out.writeLong(token);
        end(out, s);
    }

    public static long readToken(ByteBuf body) {
        Wire.need(body, 8, "PING/PONG token");
        return body.readLong();
    }

    public static void writeOk(ByteBuf out, long ref) {
        int s = begin(out, FrameType.OK);
        out.writeInt((int) ref);
        end(out, s);
    }

    public static long readRef(ByteBuf body) {
        Wire.need(body, 4, "reference");
        return body.readUnsignedInt();
    }

    public static void writeErr(ByteBuf out, ErrorCode code, long ref, String message) {
        int s = begin(out, FrameType.ERR);
        out.writeShort(code.code());
        out.writeInt((int) ref);
        String m = message == null ? "" : message;
        Wire.writeStr16(out, m.length() > 4000 ? m.substring(0, 4000) : m);
        end(out, s);
    }

    public static ErrorFrame readErr(ByteBuf body) {
        Wire.need(body, 6, "ERR");
        ErrorCode code = ErrorCode.of(body.readUnsignedShort());
        long ref = body.readUnsignedInt();
        return new ErrorFrame(code, ref, Wire.readStr16(body));
    }

    /** A PUB_DURABLE frame: {@code ref} correlates the PUB_ACK. */
    public static void writePubDurable(ByteBuf out, long ref, String topic, CloudEvent event) {
        int s = begin(out, FrameType.PUB_DURABLE);
        out.writeLong(ref);
        Wire.writeStr16(out, topic);
        EventCodec.encode(event, out);
        end(out, s);
    }

    /** Status of a {@link PubAck}. */
    public static final int ACK_STORED = 0;
    public static final int ACK_DUPLICATE = 1;
    public static final int ACK_FAILED = 2;
    /**
     * The outcome is not known: the event may have been stored (an entry was submitted to Raft and
     * its fate is open, the link to the leader broke with the event on it, no ack came in time). A
     * retry of the same event is safe: the stream dedupes by source and id. Clients that predate
     * this status treat it as failed.
     */
    public static final int ACK_UNKNOWN = 3;

    /**
     * A PUB_ACK: {@code detail} is the stream name, or the reason when {@code status} is failed or
     * unknown.
     */
    public record PubAck(long ref, int status, long seq, String detail) {
    }

    public static void writePubAck(ByteBuf out, long ref, int status, long seq, String detail) {
        int s = begin(out, FrameType.PUB_ACK);
        out.writeLong(ref);
        out.writeByte(status);
        out.writeLong(seq);
        Wire.writeStr16(out, detail.length() > 4000 ? detail.substring(0, 4000) : detail);
        end(out, s);
    }

    public static PubAck readPubAck(ByteBuf body) {
        Wire.need(body, 17, "PUB_ACK");
        long ref = body.readLong();
        int status = body.readUnsignedByte();
        long seq = body.readLong();
        return new PubAck(ref, status, seq, Wire.readStr16(body));
    }

    /** A REQUEST: an admin call with a method and a JSON body (may be empty). */
    public record Request(long ref, String method, String path, byte[] body) {
    }

    public static void writeRequest(ByteBuf out, long ref, String method, String path, byte[] body) {
        int s = begin(out, FrameType.REQUEST);
        out.writeInt((int) ref);
        Wire.writeStr16(out, method);
        Wire.writeStr16(out, path);
        out.writeInt(body.length);
        out.writeBytes(body);
        end(out, s);
    }

    public static Request readRequest(ByteBuf body) {
        Wire.need(body, 4, "REQUEST ref");
        long ref = body.readUnsignedInt();
        String method = Wire.readStr16(body);
        String path = Wire.readStr16(body);
        Wire.need(body, 4, "REQUEST body length");
        int len = body.readInt();
        if (len < 0 || len != body.readableBytes()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "REQUEST body length " + len + " does not match the frame");
        }
        byte[] b = new byte[len];
        body.readBytes(b);
        return new Request(ref, method, path, b);
    }

    public static void writeAdmin(ByteBuf out, long ref, String path) {
        int s = begin(out, FrameType.ADMIN);
        out.writeInt((int) ref);
        Wire.writeStr16(out, path);
        end(out, s);
    }

    /** An ADMIN request's fields. */
    public record Admin(long ref, String path) {
    }

    public static Admin readAdmin(ByteBuf body) {
        Wire.need(body, 4, "ADMIN ref");
        return new Admin(body.readUnsignedInt(), Wire.readStr16(body));
    }

    public static void writeAdminReply(ByteBuf out, long ref, int status, byte[] json) {
        int s = begin(out, FrameType.ADMIN_REPLY);
        out.writeInt((int) ref);
        out.writeShort(status);
        out.writeInt(json.length);
        out.writeBytes(json);
        end(out, s);
    }

    /** An ADMIN_REPLY's fields: HTTP-like status and a JSON document. */
    public record AdminReply(long ref, int status, String json) {
    }

    public static AdminReply readAdminReply(ByteBuf body) {
        Wire.need(body, 10, "ADMIN_REPLY");
        long ref = body.readUnsignedInt();
        int status = body.readUnsignedShort();
        int len = body.readInt();
        if (len < 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "negative ADMIN_REPLY length");
        }
        Wire.need(body, len, "ADMIN_REPLY JSON");
        String json = body.toString(body.readerIndex(), len, java.nio.charset.StandardCharsets.UTF_8);
        body.skipBytes(len);
        return new AdminReply(ref, status, json);
    }

    /** A SUB frame's fields. */
    /** A SUB; {@code filter} is null when none was given (or it was empty). */
    public record Sub(long sid, String pattern, String queueGroup, String filter) {
    }

    public static Sub readSub(ByteBuf body) {
        Wire.need(body, 4, "SUB sid");
        long sid = body.readUnsignedInt();
        String pattern = Wire.readStr16(body);
        String group = Wire.readStr16(body);
        String filter = body.isReadable() ? Wire.readStr16(body) : "";
        return new Sub(sid, pattern, group.isEmpty() ? null : group, filter.isEmpty() ? null : filter);
    }

    /** A READ: up to {@code maxEvents} stored events of {@code stream} from sequence {@code fromSeq}. */
    public record Read(long ref, String stream, long fromSeq, int maxEvents) {
    }

    public static void writeRead(ByteBuf out, long ref, String stream, long fromSeq, int maxEvents) {
        int s = begin(out, FrameType.READ);
        out.writeInt((int) ref);
        Wire.writeStr16(out, stream);
        out.writeLong(fromSeq);
        out.writeInt(maxEvents);
        end(out, s);
    }

    public static Read readRead(ByteBuf body) {
        Wire.need(body, 4, "READ ref");
        long ref = body.readUnsignedInt();
        String stream = Wire.readStr16(body);
        Wire.need(body, 12, "READ position");
        long from = body.readLong();
        long max = body.readUnsignedInt();
        if (from < 1 || max < 1) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    "READ needs a sequence and a count of at least 1, got " + from + " and " + max);
        }
        return new Read(ref, stream, from, (int) Math.min(max, Integer.MAX_VALUE));
    }

    /** Appends an EVENTS frame: {@code body} is an {@link EventPage} (2xx) or a JSON error document. */
    public static void writeEvents(ByteBuf out, long ref, int status, byte[] body) {
        int s = begin(out, FrameType.EVENTS);
        out.writeInt((int) ref);
        out.writeShort(status);
        out.writeInt(body.length);
        out.writeBytes(body);
        end(out, s);
    }

    /** An EVENTS frame's reference and status; the frame's reader index is left at its body. */
    public record EventsHeader(long ref, int status, int length) {
    }

    public static EventsHeader readEventsHeader(ByteBuf body) {
        Wire.need(body, 10, "EVENTS");
        long ref = body.readUnsignedInt();
        int status = body.readUnsignedShort();
        int len = body.readInt();
        if (len < 0 || len != body.readableBytes()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "EVENTS length " + len + " does not match the frame");
        }
        return new EventsHeader(ref, status, len);
    }
}
