package io.weft.client;

import io.cloudevents.CloudEvent;
import java.time.Instant;

/**
 * One stored event of a durable stream, as {@link MeshClient#read} returns it: its sequence in the
 * stream, when the stream stored it, the topic it was published to and the CloudEvent (decoded the
 * first time it is asked for).
 */
public final class StreamEvent {
    private final long seq;
    private final long storedMillis;
    private final String topic;
    private final byte[] encodedEvent;
    private CloudEvent event;

    StreamEvent(long seq, long storedMillis, String topic, byte[] encodedEvent) {
        this.seq = seq;
        this.storedMillis = storedMillis;
        this.topic = topic;
        this.encodedEvent = encodedEvent;
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

    /** The event; decoded the first time it is asked for. */
    public CloudEvent event() {
        if (event == null) {
            event = EncodedEvents.decode(encodedEvent);
        }
        return event;
    }

    /** The event's data (null when it has none), read without decoding the rest of the event. */
    public byte[] data() {
        return EncodedEvents.data(encodedEvent, event);
    }

    /** Size of the event in its binary wire encoding. */
    public int encodedSize() {
        return encodedEvent.length;
    }

    @Override
    public String toString() {
        return "StreamEvent[seq=" + seq + ", topic=" + topic + ", " + event() + "]";
    }
}
