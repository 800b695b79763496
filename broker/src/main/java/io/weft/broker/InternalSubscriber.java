package io.weft.broker;

import io.netty.buffer.ByteBuf;

/** A subscriber inside the broker (stream capture, reply inbox, stream API). */
@FunctionalInterface
public interface InternalSubscriber {
    /**
     * Receives an event on the routing thread (an IO thread): copy what is needed and return quickly.
     *
     * @param topic   the event's topic
     * @param pubBody the PUB body ({@code str16 topic, event}), shared: do not keep or release it
     * @param replyTo where an answer should be published, or null
     */
    void deliver(String topic, ByteBuf pubBody, String replyTo);
}
