package io.weft.broker.rules;

import io.cloudevents.CloudEvent;

/**
 * Where {@link SinkDispatcher} publishes a given-up event: in the broker, a local publish on the mesh,
 * so that a stream capturing the topic stores it. Called on a dispatcher thread with no lock held; it
 * should not block (a blocked publish holds one of the dispatcher's few threads). A thrown exception
 * counts the event as failed instead of dead-lettered and becomes the subscription's last error.
 */
@FunctionalInterface
public interface DeadLetterSink {
    /** Publishes {@code event} ({@link DeadLetters#event}) on {@code topic}. */
    void publish(String topic, CloudEvent event);
}
