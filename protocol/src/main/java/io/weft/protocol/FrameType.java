package io.weft.protocol;

/** Frame type codes: the byte after the length prefix. Stable: never renumber. */
public final class FrameType {
    /** Client to broker, first frame: magic, supported version range, client name. */
    public static final byte HELLO = 0x01;
    /** Broker to client, answer to HELLO: chosen version, node, site, limits, known nodes. */
    public static final byte INFO = 0x02;
    /** Client to broker (version 3), after INFO when the broker requires it: method, user, secret. */
    public static final byte AUTH = 0x03;
    /** Client to broker: publish an event to a topic. */
    public static final byte PUB = 0x10;
    /** Client to broker: subscribe a subscription id to a pattern, optionally in a queue group. */
    public static final byte SUB = 0x11;
    /** Client to broker: remove a subscription id. */
    public static final byte UNSUB = 0x12;
    /** Broker to client: an event delivered to a subscription id. */
    public static final byte MSG = 0x13;
    /**
     * Client to broker: publish an event that a durable stream must store before the broker answers
     * ({@code u64 ref}, then a PUB body: {@code str16 topic, event}).
     */
    public static final byte PUB_DURABLE = 0x14;
    /**
     * Broker to client: answer to PUB_DURABLE ({@code u64 ref, u8 status (0 stored, 1 duplicate,
     * 2 failed, 3 unknown: maybe stored), i64 seq, str16 stream name or, when failed or unknown,
     * the reason}).
     */
    public static final byte PUB_ACK = 0x15;
    /** Either direction: liveness and round-trip probe; answered with PONG carrying the same token. */
    public static final byte PING = 0x20;
    /** Either direction: answer to PING. */
    public static final byte PONG = 0x21;
    /** Broker to client: a request (SUB) was accepted; carries the request's reference. */
    public static final byte OK = 0x30;
    /** Broker to client: an error with a stable {@link ErrorCode}; fatal codes close the connection. */
    public static final byte ERR = 0x31;

    /** Client to broker: read an admin document ({@code u32 ref, str16 path}, e.g. "/v1/interest"). */
    public static final byte ADMIN = 0x40;
    /** Broker to client: answer to ADMIN ({@code u32 ref, u16 status, u32 length, JSON}). */
    public static final byte ADMIN_REPLY = 0x41;

    /**
     * Client to broker: an admin request with a method and a body ({@code u32 ref, str16 method,
     * str16 path with query, u32 length, JSON body}); answered with ADMIN_REPLY, possibly later.
     */
    public static final byte REQUEST = 0x42;

    /**
     * Client to broker (protocol version 2): read stored events of a stream from a sequence
     * ({@code u32 ref, str16 stream, i64 from sequence, u32 max events}); answered with EVENTS.
     */
    public static final byte READ = 0x43;
    /**
     * Broker to client (protocol version 2): answer to READ ({@code u32 ref, u16 status, u32 length},
     * then an {@link EventPage} when the status is 2xx, else a JSON error document).
     */
    public static final byte EVENTS = 0x44;

    private FrameType() {
    }

    /** Human name of a frame type, for errors and logs. */
    public static String name(byte type) {
        switch (type) {
            case HELLO: return "HELLO";
            case INFO: return "INFO";
            case AUTH: return "AUTH";
            case PUB: return "PUB";
            case SUB: return "SUB";
            case UNSUB: return "UNSUB";
            case MSG: return "MSG";
            case PING: return "PING";
            case PONG: return "PONG";
            case OK: return "OK";
            case ERR: return "ERR";
            case ADMIN: return "ADMIN";
            case ADMIN_REPLY: return "ADMIN_REPLY";
            case PUB_DURABLE: return "PUB_DURABLE";
            case PUB_ACK: return "PUB_ACK";
            case REQUEST: return "REQUEST";
            case READ: return "READ";
            case EVENTS: return "EVENTS";
            default: return String.format("0x%02x", type & 0xff);
        }
    }
}
