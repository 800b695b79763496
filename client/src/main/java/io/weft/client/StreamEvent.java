package io.weft.client;

import java.time.Instant;

/**
 * One stored event of a durable stream, as {@link MeshClient#read} returns it: its sequence in the
 * stream, when the stream stored it, the topic it was published to and the CloudEvent (decoded the
 * first time it is asked for).
 */
public final class StreamEvent extends EncodedEvent {
    private final long seq;
    private final long storedMillis;
    private final String topic;

    StreamEvent(long seq, long storedMillis, String topic, byte[] encodedEvent) {
        super(encodedEvent);
        this.seq = seq;
        this.storedMillis = storedMillis;
        this.topic = topic;
    }

    /** The event's sequence in the stream (the first is 1). */
    public long seq() {
        return seq;
    }

    /** When the stream stored the event (its leader's clock). */
    public Instant stored() {
        return Instant.ofEpochMilli(storedMillis);
    }

    /** The topic the event was published to. */
    public String topic() {
        return topic;
    }

    @Override
    public String toString() {
        return "StreamEvent[seq=" + seq + ", topic=" + topic + ", " + event() + "]";
    }
}
