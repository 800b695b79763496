package io.weft.storage;

/**
 * One event handed to a consumer.
 *
 * @param event         the event (its {@code seq} is the stream sequence to ack)
 * @param deliveryCount 1 for the first delivery, then 2, 3, ...
 */
public record Delivery(StoredEvent event, int deliveryCount) {
    /** The stream sequence. */
    public long seq() {
        return event.seq();
    }

    /** True when this event was delivered before and not acked in time. */
    public boolean redelivered() {
        return deliveryCount > 1;
    }
}
