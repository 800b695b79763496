package io.weft.broker.rules;

/**
 * What one HTTP delivery attempt came to, as the sender saw it: an answer with a status, no answer in
 * time, or no connection. The input of {@link RetryDecision}.
 */
public sealed interface AttemptResult {
    /** A timeout (no complete answer within {@link DeliveryPolicy#timeout()}). */
    AttemptResult TIMEOUT = new Timeout();
    /** No connection: refused, reset before an answer, DNS or TLS failure. */
    AttemptResult CONNECT_FAILED = new ConnectFailed();

    /**
     * The sink answered.
     *
     * @param status     the HTTP status code
     * @param retryAfter the {@code Retry-After} header's value, or null
     */
    record Status(int status, String retryAfter) implements AttemptResult {
        @Override
        public String label() {
            return Integer.toString(status);
        }
    }

    record Timeout() implements AttemptResult {
        @Override
        public String label() {
            return "timeout";
        }
    }

    record ConnectFailed() implements AttemptResult {
        @Override
        public String label() {
            return "connect";
        }
    }

    /** An answer without {@code Retry-After}. */
    static AttemptResult status(int status) {
        return new Status(status, null);
    }

    /** An answer with a {@code Retry-After} header (null when it had none). */
    static AttemptResult status(int status, String retryAfter) {
        return new Status(status, retryAfter);
    }

    /**
     * The status as reported (in the dead letter's {@code weftstatus}, the subscription's status): the
     * code in decimal ({@code "503"}), {@code "timeout"} or {@code "connect"}.
     */
    String label();
}
