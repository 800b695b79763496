package io.weft.broker.rules;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

/**
 * The event published on a subscription's dead-letter topic: the original event, unchanged (id, source,
 * type, data and every attribute, so a stream capturing the topic can replay it and drops a second dead
 * letter of the same event by source and id), plus four extension attributes saying what happened:
 * <ul>
 *   <li>{@value #SUBSCRIPTION}: the subscription's id;</li>
 *   <li>{@value #STATUS}: the last attempt's HTTP status in decimal, or {@code timeout} or {@code connect}
 *       (a string always, so one type whatever happened);</li>
 *   <li>{@value #ATTEMPTS}: attempts made (an Integer);</li>
 *   <li>{@value #REASON}: {@code retries-exhausted} or {@code not-retriable}.</li>
 * </ul>
 * Names follow the CloudEvents rule for extensions (a-z and 0-9, at most 20 characters) and the
 * {@code weft} prefix of the broker's other extensions ({@code weftstream}, {@code weftseq}). Values an
 * original event already had under these names are replaced.
 */
public final class DeadLetters {
    public static final String SUBSCRIPTION = "weftsubscription";
    public static final String STATUS = "weftstatus";
    public static final String ATTEMPTS = "weftattempts";
    public static final String REASON = "weftreason";

    private DeadLetters() {
    }

    /** The dead letter of {@code original}, given up by subscription {@code subscriptionId} as {@code outcome} says. */
    public static CloudEvent event(CloudEvent original, String subscriptionId, DeliveryOutcome.DeadLetter outcome) {
        if (subscriptionId == null || subscriptionId.isEmpty()) {
            throw new IllegalArgumentException("a dead letter names its subscription");
        }
        return CloudEventBuilder.v1(original)
                .withExtension(SUBSCRIPTION, subscriptionId)
                .withExtension(STATUS, outcome.lastStatus())
                .withExtension(ATTEMPTS, outcome.attempts())
                .withExtension(REASON, outcome.reason().token())
                .build();
    }
}
