package io.weft.broker.rules;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * The retry rules of HTTP delivery, as a pure function: an attempt's result in, a {@link DeliveryOutcome}
 * out. No clock or randomness of its own: {@code now} and the jitter's random generator are passed in,
 * so a test with a fixed instant and a seeded generator gets the same answer every time.
 *
 * <h2>Statuses</h2>
 * The Knative data-plane table, the webhook spec and issue 15:
 * <table>
 *   <caption>classification</caption>
 *   <tr><th>result</th><th>outcome</th></tr>
 *   <tr><td>2xx</td><td>{@link DeliveryOutcome.Success}</td></tr>
 *   <tr><td>404, 408, 409, 429, 5xx, timeout, no connection, a code outside 100..599</td>
 *       <td>retried with backoff; after {@link DeliveryPolicy#retry()} retries, dead letter or drop</td></tr>
 *   <tr><td>410</td><td>{@link DeliveryOutcome.Pause}</td></tr>
 *   <tr><td>1xx, 3xx (redirects are not followed), other 4xx</td>
 *       <td>not retried: dead letter at once, or drop</td></tr>
 * </table>
 *
 * <h2>Delay before retry n (n = 1 for the first retry)</h2>
 * {@code d = backoffDelay * n} (linear) or {@code backoffDelay * 2^(n-1)} (exponential), at most
 * {@code backoffMax}; then <b>equal jitter</b>: the wait is uniform in {@code [d/2, d]}. Equal rather
 * than full jitter ({@code [0, d]}): full jitter spreads best but may retry a sink that has just
 * failed at once, and blurs the difference between the two policies; equal jitter keeps half the
 * configured wait as a floor and still spreads the retries of the many events that failed in the same
 * outage over half a window, so they do not return in one burst. Knative's docs write the exponential
 * step as {@code 2^n}; here the first retry waits {@code backoffDelay}, as its name says.
 *
 * <p>A 429 or 503 with a {@code Retry-After} (delta-seconds or HTTP-date) waits
 * {@code max(jittered backoff, min(Retry-After, retryAfterMax))}: the sink's wish is honoured up to the cap,
 * and never shortens the backoff. A Retry-After that is in the past, zero or unparsable leaves the
 * backoff alone.
 */
public final class RetryDecision {
    /** The classes of an attempt's result. */
    public enum Verdict {
        SUCCESS, RETRIABLE, NOT_RETRIABLE, GONE
    }

    private static final DateTimeFormatter RFC_850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC);
    /** Delta-seconds with more digits than this are "very long" (and get capped anyway). */
    private static final int MAX_DELTA_DIGITS = 12;

    private RetryDecision() {
    }

    /**
     * Decides what follows attempt number {@code attempt} (1 for the first) of one event.
     *
     * @param policy  the subscription's delivery policy
     * @param attempt the attempt that just finished, 1 for the first
     * @param result  what it got
     * @param random  the jitter's source (consumed only when a backoff is computed)
     * @param now     the current time; a retry's instant is {@code now + delay}
     */
    public static DeliveryOutcome decide(DeliveryPolicy policy, int attempt, AttemptResult result,
            RandomGenerator random, Instant now) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempts are numbered from 1, got " + attempt);
        }
        String label = result.label();
        Verdict verdict = classify(result);
        if (verdict == Verdict.SUCCESS) {
            return new DeliveryOutcome.Success(attempt);
        }
        if (verdict == Verdict.GONE) {
            return new DeliveryOutcome.Pause(label, attempt);
        }
        if (verdict == Verdict.NOT_RETRIABLE) {
            return giveUp(policy, DeliveryOutcome.Reason.NOT_RETRIABLE, label, attempt);
        }
        // attempt n failed: the next one is retry n. An attempt past the policy's last (its retry was
        // lowered while the event waited) gives up as the last one would have
        int retryNumber = attempt;
        if (retryNumber > policy.retry()) {
            return giveUp(policy, DeliveryOutcome.Reason.RETRIES_EXHAUSTED, label, attempt);
        }
        Duration delay = backoff(policy, retryNumber, random);
        if (result instanceof AttemptResult.Status s && (s.status() == 429 || s.status() == 503)) {
            Duration asked = retryAfter(s.retryAfter(), now);
            if (asked != null) {
                Duration honoured = asked.compareTo(policy.retryAfterMax()) > 0 ? policy.retryAfterMax() : asked;
                if (honoured.compareTo(delay) > 0) {
                    delay = honoured;
                }
            }
        }
        return new DeliveryOutcome.RetryAt(now.plus(delay), delay, attempt + 1, label);
    }

    /** The class of a result; see the table in the class comment. */
    public static Verdict classify(AttemptResult result) {
        if (!(result instanceof AttemptResult.Status s)) {
            return Verdict.RETRIABLE; // timeout, no connection
        }
        int code = s.status();
        if (code >= 200 && code < 300) {
            return Verdict.SUCCESS;
        }
        if (code == 410) {
            return Verdict.GONE;
        }
        if (code == 404 || code == 408 || code == 409 || code == 429 || code >= 500 && code < 600) {
            return Verdict.RETRIABLE;
        }
        if (code >= 100 && code < 500) {
            return Verdict.NOT_RETRIABLE; // 1xx, 3xx, the other 4xx
        }
        return Verdict.RETRIABLE; // not in Knative's table: "treat as retriable"
    }

    /**
     * The jittered delay before retry {@code retryNumber} (1 for the first): see the class comment.
     * Consumes one value of {@code random} unless the un-jittered delay is under 2 ns.
     */
    public static Duration backoff(DeliveryPolicy policy, int retryNumber, RandomGenerator random) {
        if (retryNumber < 1) {
            throw new IllegalArgumentException("retry numbers start at 1, got " + retryNumber);
        }
        long d = backoffNanos(policy, retryNumber);
        long half = d / 2;
        long jittered = d - half + (half > 0 ? random.nextLong(half + 1) : 0);
        return Duration.ofNanos(jittered);
    }

    /** The longest {@link #backoff} can be before retry {@code retryNumber}: the delay before jitter. */
    public static Duration longestBackoff(DeliveryPolicy policy, int retryNumber) {
        return Duration.ofNanos(backoffNanos(policy, retryNumber));
    }

    /** The delay before retry {@code retryNumber} without jitter, capped at backoffMax, in nanoseconds. */
    static long backoffNanos(DeliveryPolicy policy, int retryNumber) {
        long base = policy.backoffDelay().toNanos();
        long max = policy.backoffMax().toNanos();
        int shift = retryNumber - 1;
        long d = switch (policy.backoffPolicy()) {
            case LINEAR -> retryNumber > max / base ? max : base * retryNumber;
            case EXPONENTIAL -> shift >= Long.SIZE - 2 || base > max >> shift ? max : base << shift;
        };
        return Math.min(d, max);
    }

    /**
     * How long a {@code Retry-After} value asks to wait from {@code now}: delta-seconds ({@code 120}) or
     * an HTTP-date (IMF-fixdate {@code Sun, 06 Nov 1994 08:49:37 GMT}, and the obsolete RFC 850 and
     * asctime forms RFC 9110 says to accept). Null when absent, unparsable, zero or in the past.
     */
    public static Duration retryAfter(String header, Instant now) {
        if (header == null) {
            return null;
        }
        String v = header.trim();
        if (v.isEmpty()) {
            return null;
        }
        Duration d;
        if (isDigits(v)) {
            d = v.length() > MAX_DELTA_DIGITS ? Duration.ofSeconds(Long.parseLong("9".repeat(MAX_DELTA_DIGITS)))
                    : Duration.ofSeconds(Long.parseLong(v));
        } else {
            Instant at = httpDate(v, now);
            d = at == null ? null : Duration.between(now, at);
        }
        return d == null || d.isNegative() || d.isZero() ? null : d;
    }

    private static boolean isDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static Instant httpDate(String v, Instant now) {
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeException ignored) {
            // not IMF-fixdate; try the obsolete forms
        }
        try {
            ZonedDateTime t = ZonedDateTime.parse(v, RFC_850);
            // a two-digit year more than 50 years ahead is in the past century (RFC 9110 5.6.7)
            return t.toInstant().isAfter(now.plus(Duration.ofDays(50L * 366))) ? t.minusYears(100).toInstant()
                    : t.toInstant();
        } catch (DateTimeException ignored) {
            // not RFC 850 either
        }
        try {
            return ZonedDateTime.parse(v, ASCTIME).toInstant();
        } catch (DateTimeException ignored) {
            return null;
        }
    }

    private static DeliveryOutcome giveUp(DeliveryPolicy policy, DeliveryOutcome.Reason reason, String label,
            int attempts) {
        return policy.deadLetterTopic() != null
                ? new DeliveryOutcome.DeadLetter(policy.deadLetterTopic(), reason, label, attempts)
                : new DeliveryOutcome.Drop(reason, label, attempts);
    }
}
