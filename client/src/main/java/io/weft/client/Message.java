package io.weft.client;


/** One delivered event: its topic, the subscription it matched, and the CloudEvent (decoded on demand). */
public final class Message extends EncodedEvent {
    private final Subscription subscription;
    private final String topic;

    Message(Subscription subscription, String topic, byte[] encodedEvent) {
        super(encodedEvent);
        this.subscription = subscription;
        this.topic = topic;
    }

    /** The topic the event was published to. */
    public String topic() {
        return topic;
    }

    /** The subscription that matched. */
    public Subscription subscription() {
        return subscription;
    }

    @Override
    public String toString() {
        return "Message[topic=" + topic + ", " + event() + "]";
    }
}
