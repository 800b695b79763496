package io.weft.client;

import io.cloudevents.CloudEvent;

/** One delivered event: its topic, the subscription it matched, and the CloudEvent (decoded on demand). */
public final class Message {
    private final Subscription subscription;
    private final String topic;
    private final byte[] encodedEvent;
    private CloudEvent event;

    Message(Subscription subscription, String topic, byte[] encodedEvent) {
        this.subscription = subscription;
        this.topic = topic;
        this.encodedEvent = encodedEvent;
    }

    /** The topic the event was published to. */
    public String topic() {
        return topic;
    }

    /** The subscription that matched. */
    public Subscription subscription() {
        return subscription;
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
        return "Message[topic=" + topic + ", " + event() + "]";
    }
}
