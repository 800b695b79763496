package io.weft.protocol;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.types.Time;
import io.netty.buffer.ByteBuf;
import java.net.URI;
import java.time.OffsetDateTime;

/**
 * CloudEvents in binary mode on the wire: context attributes, extensions and data, with no JSON.
 *
 * <pre>
 * u8    specversion         1 = "1.0" (the only one accepted)
 * str16 id, str16 source, str16 type
 * u8    flags               1 subject, 2 time, 4 datacontenttype, 8 dataschema, 16 data
 * [str16 subject] [str16 time, RFC 3339] [str16 datacontenttype] [str16 dataschema]
 * u16   extension count, then per extension: str16 name, u8 kind, value
 *       kind 0 string, 1 boolean (u8), 2 integer (i32), 3 uri, 4 uri-ref, 5 binary (u32 len + bytes),
 *       6 timestamp (str16 RFC 3339); string-valued kinds are str16
 * [u32 data length, data bytes]
 * </pre>
 *
 * <p>The broker never decodes events on its hot path: it {@link #validate validates} the structure
 * without allocating and forwards the same bytes.
 */
public final class EventCodec {
    public static final byte SPEC_1_0 = 1;
    static final int F_SUBJECT = 1;
    static final int F_TIME = 2;
    static final int F_CONTENT_TYPE = 4;
    static final int F_SCHEMA = 8;
    static final int F_DATA = 16;
    static final byte K_STRING = 0;
    static final byte K_BOOLEAN = 1;
    static final byte K_INTEGER = 2;
    static final byte K_URI = 3;
    static final byte K_URI_REF = 4;
    static final byte K_BINARY = 5;
    static final byte K_TIMESTAMP = 6;

    private EventCodec() {
    }

    /** Encodes {@code event} at the writer index of {@code out}. */
    public static void encode(CloudEvent event, ByteBuf out) {
        if (event.getSpecVersion() != SpecVersion.V1) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT,
                    "specversion " + event.getSpecVersion() + " is not supported; use 1.0");
        }
        requireAttr(event.getId(), "id");
        requireAttr(event.getType(), "type");
        if (event.getSource() == null || event.getSource().toString().isEmpty()) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "event attribute 'source' is required");
        }
        out.writeByte(SPEC_1_0);
        Wire.writeStr16(out, event.getId());
        Wire.writeStr16(out, event.getSource().toString());
        Wire.writeStr16(out, event.getType());
        CloudEventData data = event.getData();
        int flags = (event.getSubject() != null ? F_SUBJECT : 0)
                | (event.getTime() != null ? F_TIME : 0)
                | (event.getDataContentType() != null ? F_CONTENT_TYPE : 0)
                | (event.getDataSchema() != null ? F_SCHEMA : 0)
                | (data != null ? F_DATA : 0);
        out.writeByte(flags);
        if (event.getSubject() != null) {
            Wire.writeStr16(out, event.getSubject());
        }
        if (event.getTime() != null) {
            Wire.writeStr16(out, Time.writeTime(event.getTime()));
        }
        if (event.getDataContentType() != null) {
            Wire.writeStr16(out, event.getDataContentType());
        }
        if (event.getDataSchema() != null) {
            Wire.writeStr16(out, event.getDataSchema().toString());
        }
        int countAt = out.writerIndex();
        out.writeShort(0);
        int count = 0;
        for (String name : event.getExtensionNames()) {
            if (++count > 0xffff) {
                throw new ProtocolException(ErrorCode.INVALID_EVENT, "more than 65535 extension attributes");
            }
            writeExtension(out, name, event.getExtension(name));
        }
        out.setShort(countAt, count);
        if (data != null) {
            byte[] bytes = data.toBytes();
            out.writeInt(bytes.length);
            out.writeBytes(bytes);
        }
    }

    private static void requireAttr(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "event attribute '" + name + "' is required");
        }
    }

    private static void writeExtension(ByteBuf out, String name, Object value) {
        Wire.writeStr16(out, name);
        if (value instanceof Boolean) {
            out.writeByte(K_BOOLEAN);
            out.writeByte((Boolean) value ? 1 : 0);
        } else if (value instanceof Integer) {
            out.writeByte(K_INTEGER);
            out.writeInt((Integer) value);
        } else if (value instanceof URI) {
            URI uri = (URI) value;
            out.writeByte(uri.isAbsolute() ? K_URI : K_URI_REF);
            Wire.writeStr16(out, uri.toString());
        } else if (value instanceof byte[]) {
            byte[] b = (byte[]) value;
            out.writeByte(K_BINARY);
            out.writeInt(b.length);
            out.writeBytes(b);
        } else if (value instanceof OffsetDateTime) {
            out.writeByte(K_TIMESTAMP);
            Wire.writeStr16(out, Time.writeTime((OffsetDateTime) value));
        } else {
            out.writeByte(K_STRING);
            Wire.writeStr16(out, String.valueOf(value));
        }
    }

    /** Decodes one event from the reader index of {@code in}, consuming its bytes. */
    public static CloudEvent decode(ByteBuf in) {
        try {
            Wire.need(in, 1, "specversion");
            byte spec = in.readByte();
            if (spec != SPEC_1_0) {
                throw new ProtocolException(ErrorCode.INVALID_EVENT, "unsupported specversion code " + spec);
            }
            CloudEventBuilder b = CloudEventBuilder.v1()
                    .withId(Wire.readStr16(in))
                    .withSource(URI.create(Wire.readStr16(in)))
                    .withType(Wire.readStr16(in));
            Wire.need(in, 1, "flags");
            int flags = in.readUnsignedByte();
            if ((flags & F_SUBJECT) != 0) {
                b.withSubject(Wire.readStr16(in));
            }
            if ((flags & F_TIME) != 0) {
                b.withTime(Time.parseTime(Wire.readStr16(in)));
            }
            if ((flags & F_CONTENT_TYPE) != 0) {
                b.withDataContentType(Wire.readStr16(in));
            }
            if ((flags & F_SCHEMA) != 0) {
                b.withDataSchema(URI.create(Wire.readStr16(in)));
            }
            Wire.need(in, 2, "extension count");
            int count = in.readUnsignedShort();
            for (int i = 0; i < count; i++) {
                readExtension(in, b);
            }
            if ((flags & F_DATA) != 0) {
                Wire.need(in, 4, "data length");
                int len = in.readInt();
                if (len < 0) {
                    throw new ProtocolException(ErrorCode.INVALID_EVENT, "negative data length");
                }
                Wire.need(in, len, "data");
                byte[] data = new byte[len];
                in.readBytes(data);
                b.withData(data);
            }
            return b.build();
        } catch (IllegalArgumentException | IllegalStateException | java.time.DateTimeException e) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "invalid event: " + e.getMessage());
        }
    }

    private static void readExtension(ByteBuf in, CloudEventBuilder b) {
        String name = Wire.readStr16(in);
        Wire.need(in, 1, "extension kind");
        byte kind = in.readByte();
        switch (kind) {
            case K_STRING:
                b.withExtension(name, Wire.readStr16(in));
                break;
            case K_BOOLEAN:
                Wire.need(in, 1, "boolean extension");
                b.withExtension(name, in.readByte() != 0);
                break;
            case K_INTEGER:
                Wire.need(in, 4, "integer extension");
                b.withExtension(name, in.readInt());
                break;
            case K_URI:
            case K_URI_REF:
                b.withExtension(name, URI.create(Wire.readStr16(in)));
                break;
            case K_BINARY:
                Wire.need(in, 4, "binary extension length");
                int len = in.readInt();
                if (len < 0) {
                    throw new ProtocolException(ErrorCode.INVALID_EVENT, "negative extension length");
                }
                Wire.need(in, len, "binary extension");
                byte[] bytes = new byte[len];
                in.readBytes(bytes);
                b.withExtension(name, bytes);
                break;
            case K_TIMESTAMP:
                b.withExtension(name, Time.parseTime(Wire.readStr16(in)));
                break;
            default:
                throw new ProtocolException(ErrorCode.INVALID_EVENT, "unknown extension kind " + kind);
        }
    }

    /**
     * Checks the structure of the event starting at the reader index without allocating: every length
     * in bounds, required attributes non-empty, nothing left over within {@code length} bytes. Leaves
     * the reader index where it was.
     */
    public static void validate(ByteBuf in, int length) {
        if (length == in.readableBytes()) {
            // the usual call: the event runs to the end of the frame, so read it in place (no slice
            // per event on the publish path) and put the reader index back
            int start = in.readerIndex();
            try {
                check(in);
            } finally {
                in.readerIndex(start);
            }
        } else {
            check(in.slice(in.readerIndex(), length));
        }
    }

    /** Reads {@code v} to its end, throwing on the first rule the event breaks. */
    private static void check(ByteBuf v) {
        Wire.need(v, 1, "specversion");
        if (v.readByte() != SPEC_1_0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "unsupported specversion");
        }
        if (Wire.skipStr16(v) == 0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "event attribute 'id' is required");
        }
        if (Wire.skipStr16(v) == 0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "event attribute 'source' is required");
        }
        if (Wire.skipStr16(v) == 0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "event attribute 'type' is required");
        }
        Wire.need(v, 1, "flags");
        int flags = v.readUnsignedByte();
        if ((flags & ~(F_SUBJECT | F_TIME | F_CONTENT_TYPE | F_SCHEMA | F_DATA)) != 0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "unknown attribute flags " + flags);
        }
        for (int f = F_SUBJECT; f <= F_SCHEMA; f <<= 1) {
            if ((flags & f) != 0) {
                Wire.skipStr16(v);
            }
        }
        Wire.need(v, 2, "extension count");
        int count = v.readUnsignedShort();
        for (int i = 0; i < count; i++) {
            Wire.skipStr16(v);
            Wire.need(v, 1, "extension kind");
            byte kind = v.readByte();
            if (kind == K_BOOLEAN) {
                Wire.need(v, 1, "boolean extension");
                v.skipBytes(1);
            } else if (kind == K_INTEGER) {
                Wire.need(v, 4, "integer extension");
                v.skipBytes(4);
            } else if (kind == K_BINARY) {
                skipBytes32(v, "binary extension");
            } else if (kind >= K_STRING && kind <= K_TIMESTAMP) {
                Wire.skipStr16(v);
            } else {
                throw new ProtocolException(ErrorCode.INVALID_EVENT, "unknown extension kind " + kind);
            }
        }
        if ((flags & F_DATA) != 0) {
            skipBytes32(v, "data");
        }
        if (v.isReadable()) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, v.readableBytes() + " bytes after the event");
        }
    }

    /**
     * The data of the valid event at the reader index of {@code in}, without building the event
     * (null when it has none). Leaves the reader index where it was.
     */
    public static byte[] readData(ByteBuf in) {
        ByteBuf v = in.duplicate();
        v.skipBytes(1);
        Wire.skipStr16(v);
        Wire.skipStr16(v);
        Wire.skipStr16(v);
        int flags = v.readUnsignedByte();
        for (int f = F_SUBJECT; f <= F_SCHEMA; f <<= 1) {
            if ((flags & f) != 0) {
                Wire.skipStr16(v);
            }
        }
        int count = v.readUnsignedShort();
        for (int i = 0; i < count; i++) {
            Wire.skipStr16(v);
            byte kind = v.readByte();
            if (kind == K_BOOLEAN) {
                v.skipBytes(1);
            } else if (kind == K_INTEGER) {
                v.skipBytes(4);
            } else if (kind == K_BINARY) {
                v.skipBytes(v.readInt());
            } else {
                Wire.skipStr16(v);
            }
        }
        if ((flags & F_DATA) == 0) {
            return null;
        }
        byte[] data = new byte[v.readInt()];
        v.readBytes(data);
        return data;
    }

    /**
     * One context attribute or extension of the valid event that starts at {@code index} of {@code buf},
     * as CESQL sees it: a String, or an Integer or Boolean for extensions of those kinds; URIs and
     * timestamps as their text, binary as base64; null when the event does not have it.
     * {@code specversion} is "1.0". {@code data} is not an attribute (null). Reads in place, without
     * decoding the event; the indexes of {@code buf} are not changed.
     *
     * @param name a lower-case attribute name
     */
    public static Object attribute(ByteBuf buf, int index, String name) {
        switch (name) {
            case "specversion":
                return "1.0";
            case "id":
                return str16At(buf, index + 1);
            case "source":
                return str16At(buf, skip16(buf, index + 1));
            case "type":
                return str16At(buf, skip16(buf, skip16(buf, index + 1)));
            default:
                break;
        }
        int at = skip16(buf, skip16(buf, skip16(buf, index + 1)));
        int flags = buf.getUnsignedByte(at++);
        int want = switch (name) {
            case "subject" -> F_SUBJECT;
            case "time" -> F_TIME;
            case "datacontenttype" -> F_CONTENT_TYPE;
            case "dataschema" -> F_SCHEMA;
            default -> 0;
        };
        for (int f = F_SUBJECT; f <= F_SCHEMA; f <<= 1) {
            if ((flags & f) != 0) {
                if (f == want) {
                    return str16At(buf, at);
                }
                at = skip16(buf, at);
            }
        }
        if (want != 0) {
            return null;
        }
        int count = buf.getUnsignedShort(at);
        at += 2;
        for (int i = 0; i < count; i++) {
            boolean match = str16Equals(buf, at, name);
            at = skip16(buf, at);
            byte kind = buf.getByte(at++);
            switch (kind) {
                case K_BOOLEAN:
                    if (match) {
                        return buf.getByte(at) != 0;
                    }
                    at += 1;
                    break;
                case K_INTEGER:
                    if (match) {
                        return buf.getInt(at);
                    }
                    at += 4;
                    break;
                case K_BINARY:
                    int len = buf.getInt(at);
                    if (match) {
                        byte[] bytes = new byte[len];
                        buf.getBytes(at + 4, bytes);
                        return java.util.Base64.getEncoder().encodeToString(bytes);
                    }
                    at += 4 + len;
                    break;
                default:
                    if (match) {
                        return str16At(buf, at);
                    }
                    at = skip16(buf, at);
                    break;
            }
        }
        return null;
    }

    private static int skip16(ByteBuf buf, int at) {
        return at + 2 + buf.getUnsignedShort(at);
    }

    private static String str16At(ByteBuf buf, int at) {
        return buf.toString(at + 2, buf.getUnsignedShort(at), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Whether the str16 at {@code at} is {@code ascii} (attribute names are lower-case ASCII). */
    private static boolean str16Equals(ByteBuf buf, int at, String ascii) {
        int len = buf.getUnsignedShort(at);
        if (len != ascii.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (buf.getByte(at + 2 + i) != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void skipBytes32(ByteBuf v, String what) {
        Wire.need(v, 4, what + " length");
        int len = v.readInt();
        if (len < 0) {
            throw new ProtocolException(ErrorCode.INVALID_EVENT, "negative " + what + " length");
        }
        Wire.need(v, len, what);
        v.skipBytes(len);
    }
}
