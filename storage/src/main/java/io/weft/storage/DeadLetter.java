package io.weft.storage;

/**
 * An event a consumer gave up on after {@code maxDeliver} deliveries; the broker publishes it.
 *
 * @param topic         the consumer's dead-letter topic, or null when it has none (the event is dropped)
 * @param consumer      the consumer's name
 * @param event         the event
 * @param deliveryCount how often it was delivered
 */
public record DeadLetter(String topic, String consumer, StoredEvent event, int deliveryCount) {
}
