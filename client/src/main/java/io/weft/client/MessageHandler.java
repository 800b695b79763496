package io.weft.client;

/**
 * Receives the events of one subscription, one at a time, on the client's dispatcher thread. A
 * handler that blocks holds up every subscription of its client and, past the client's inbound bound,
 * makes the broker treat the connection as a slow consumer.
 */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(Message message);
}
