package io.weft.broker.rules;

import java.time.Duration;
import java.time.Instant;

/** What to do with an event after an attempt to deliver it: {@link RetryDecision}'s answer. */
public sealed interface DeliveryOutcome {
    /** Why an event is given up: the {@code weftreason} of its dead letter. */
    enum Reason {
        /** The last attempt failed with a retriable status (or timed out, or did not connect). */
        RETRIES_EXHAUSTED("retries-exhausted"),
        /** A status that is never retried: 1xx, 3xx (redirects are not followed), 4xx but 404, 408, 409, 410, 429. */
        NOT_RETRIABLE("not-retriable");

        private final String token;

        Reason(String token) {
            this.token = token;
        }

        /** The lower-case form carried in events and reports. */
        public String token() {
            return token;
        }
    }

    /**
     * A 2xx: delivered.
     *
     * @param attempts attempts it took, 1 for the first
     */
    record Success(int attempts) implements DeliveryOutcome {
    }

    /**
     * Try again at {@code at}.
     *
     * @param at          when to attempt again
     * @param delay       {@code at - now}: the backoff, or an honoured {@code Retry-After}
     * @param nextAttempt the number of that attempt (2 for the first retry)
     * @param lastStatus  what the failed attempt got ({@link AttemptResult#label()})
     */
    record RetryAt(Instant at, Duration delay, int nextAttempt, String lastStatus) implements DeliveryOutcome {
    }

    /**
     * Give the event up and publish it on {@code topic} ({@link DeadLetters#event}).
     *
     * @param topic      the policy's dead-letter topic
     * @param reason     why
     * @param lastStatus what the last attempt got ({@link AttemptResult#label()})
     * @param attempts   attempts made
     */
    record DeadLetter(String topic, Reason reason, String lastStatus, int attempts) implements DeliveryOutcome {
    }

    /** Give the event up; there is no dead-letter topic. The caller counts it as failed. */
    record Drop(Reason reason, String lastStatus, int attempts) implements DeliveryOutcome {
    }

    /**
     * 410 Gone: the sink is retired (webhook spec: stop sending). Pause the subscription and report it;
     * the event is not given up (a durable subscription keeps it at its cursor until resumed).
     */
    record Pause(String lastStatus, int attempts) implements DeliveryOutcome {
    }
}
