package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.broker.rules.DeliveryOutcome.DeadLetter;
import io.weft.broker.rules.DeliveryOutcome.Drop;
import io.weft.broker.rules.DeliveryOutcome.Pause;
import io.weft.broker.rules.DeliveryOutcome.Reason;
import io.weft.broker.rules.DeliveryOutcome.RetryAt;
import io.weft.broker.rules.DeliveryOutcome.Success;
import io.weft.broker.rules.DeliveryPolicy.BackoffPolicy;
import io.weft.broker.rules.RetryDecision.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryDecisionTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final long SEED = 42;
    private static final DeliveryPolicy DEFAULTS = DeliveryPolicy.defaults();
    private static final DeliveryPolicy WITH_DLT = policy(3, BackoffPolicy.EXPONENTIAL, "PT1S", "PT10S", "orders.dead",
            "PT10S");

    // ------------------------------------------------------------ statuses

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "100, NOT_RETRIABLE", "200, SUCCESS", "201, SUCCESS", "202, SUCCESS", "204, SUCCESS", "299, SUCCESS",
        "301, NOT_RETRIABLE", "302, NOT_RETRIABLE", "307, NOT_RETRIABLE",
        "400, NOT_RETRIABLE", "401, NOT_RETRIABLE", "403, NOT_RETRIABLE", "404, RETRIABLE", "405, NOT_RETRIABLE",
        "408, RETRIABLE", "409, RETRIABLE", "410, GONE", "413, NOT_RETRIABLE", "415, NOT_RETRIABLE",
        "422, NOT_RETRIABLE", "429, RETRIABLE", "499, NOT_RETRIABLE",
        "500, RETRIABLE", "502, RETRIABLE", "503, RETRIABLE", "504, RETRIABLE", "599, RETRIABLE",
        "600, RETRIABLE", "99, RETRIABLE"})
    void statusTable(int status, Verdict verdict) {
        assertEquals(verdict, RetryDecision.classify(AttemptResult.status(status)));
    }

    @Test
    void timeoutsAndConnectionFailuresAreRetried() {
        assertEquals(Verdict.RETRIABLE, RetryDecision.classify(AttemptResult.TIMEOUT));
        assertEquals(Verdict.RETRIABLE, RetryDecision.classify(AttemptResult.CONNECT_FAILED));
        RetryAt t = (RetryAt) decide(WITH_DLT, 1, AttemptResult.TIMEOUT);
        assertEquals("timeout", t.lastStatus());
        RetryAt c = (RetryAt) decide(WITH_DLT, 2, AttemptResult.CONNECT_FAILED);
        assertEquals("connect", c.lastStatus());
        assertEquals(3, c.nextAttempt());
    }

    @Test
    void successReportsTheAttempts() {
        assertEquals(new Success(1), decide(WITH_DLT, 1, AttemptResult.status(200)));
        assertEquals(new Success(4), decide(WITH_DLT, 4, AttemptResult.status(204)));
    }

    @Test
    void goneAlwaysPauses() {
        assertEquals(new Pause("410", 1), decide(WITH_DLT, 1, AttemptResult.status(410)));
        assertEquals(new Pause("410", 4), decide(DEFAULTS, 4, AttemptResult.status(410)));
    }

    @Test
    void notRetriableGoesToTheDeadLetterAtOnceOrIsDropped() {
        assertEquals(new DeadLetter("orders.dead", Reason.NOT_RETRIABLE, "400", 1),
                decide(WITH_DLT, 1, AttemptResult.status(400)));
        assertEquals(new DeadLetter("orders.dead", Reason.NOT_RETRIABLE, "301", 2),
                decide(WITH_DLT, 2, AttemptResult.status(301)));
        assertEquals(new Drop(Reason.NOT_RETRIABLE, "403", 1), decide(DEFAULTS, 1, AttemptResult.status(403)));
    }

    @Test
    void afterRetryRetriesTheEventIsGivenUp() {
        // retry = 3: attempts 1..3 fail and are retried, attempt 4 is the last
        for (int attempt = 1; attempt <= 3; attempt++) {
            RetryAt r = (RetryAt) decide(WITH_DLT, attempt, AttemptResult.status(500));
            assertEquals(attempt + 1, r.nextAttempt());
        }
        assertEquals(new DeadLetter("orders.dead", Reason.RETRIES_EXHAUSTED, "500", 4),
                decide(WITH_DLT, 4, AttemptResult.status(500)));
        DeliveryPolicy noDlt = policy(3, BackoffPolicy.EXPONENTIAL, "PT1S", "PT10S", null, "PT10S");
        assertEquals(new Drop(Reason.RETRIES_EXHAUSTED, "timeout", 4), decide(noDlt, 4, AttemptResult.TIMEOUT));
        // an attempt past the last (the policy's retry was lowered meanwhile) gives up too
        assertEquals(new Drop(Reason.RETRIES_EXHAUSTED, "503", 9), decide(noDlt, 9, AttemptResult.status(503)));
        DeliveryPolicy never = policy(0, BackoffPolicy.LINEAR, "PT1S", "PT10S", "dead", "PT10S");
        assertEquals(new DeadLetter("dead", Reason.RETRIES_EXHAUSTED, "404", 1),
                decide(never, 1, AttemptResult.status(404)));
    }

    @Test
    void attemptsAreNumberedFromOne() {
        assertThrows(IllegalArgumentException.class, () -> decide(DEFAULTS, 0, AttemptResult.status(500)));
    }

    // ------------------------------------------------------------ backoff

    @Test
    void exponentialDoublesFromTheDelayUpToTheCap() {
        List<Long> millis = new ArrayList<>();
        for (int n = 1; n <= 10; n++) {
            millis.add(RetryDecision.backoffNanos(DEFAULTS, n) / 1_000_000);
        }
        assertEquals(List.of(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 32000L, 60000L, 60000L, 60000L), millis);
        assertEquals(60_000_000_000L, RetryDecision.backoffNanos(DEFAULTS, 64), "no overflow past 2^63");
        assertEquals(60_000_000_000L, RetryDecision.backoffNanos(DEFAULTS, 200));
    }

    @Test
    void linearGrowsByTheDelayUpToTheCap() {
        DeliveryPolicy p = policy(200, BackoffPolicy.LINEAR, "PT0.5S", "PT2S", null, "PT2S");
        List<Long> millis = new ArrayList<>();
        for (int n = 1; n <= 6; n++) {
            millis.add(RetryDecision.backoffNanos(p, n) / 1_000_000);
        }
        assertEquals(List.of(500L, 1000L, 1500L, 2000L, 2000L, 2000L), millis);
        DeliveryPolicy wide = policy(200, BackoffPolicy.LINEAR, "PT1H", "PT1H", null, "PT0S");
        assertEquals(Duration.ofHours(1).toNanos(), RetryDecision.backoffNanos(wide, 200));
    }

    @Test
    void equalJitterStaysInTheUpperHalfAndCoversIt() {
        SplittableRandom random = new SplittableRandom(SEED);
        long d = RetryDecision.backoffNanos(DEFAULTS, 4); // 4 s
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 2000; i++) {
            long j = RetryDecision.backoff(DEFAULTS, 4, random).toNanos();
            assertTrue(j >= d / 2 && j <= d, "jittered " + j + " outside [" + d / 2 + ", " + d + "]");
            min = Math.min(min, j);
            max = Math.max(max, j);
        }
        assertTrue(min < d * 0.55 && max > d * 0.95, "spread over the window: " + min + ".." + max);
    }

    @Test
    void theSameSeedGivesTheSameDecisions() {
        List<DeliveryOutcome> a = run(new SplittableRandom(SEED));
        List<DeliveryOutcome> b = run(new SplittableRandom(SEED));
        assertEquals(a, b);
        RetryAt first = (RetryAt) a.get(0);
        assertEquals(NOW.plus(first.delay()), first.at());
        assertTrue(first.delay().compareTo(Duration.ofMillis(250)) >= 0
                && first.delay().compareTo(Duration.ofMillis(500)) <= 0, first.delay().toString());
    }

    private static List<DeliveryOutcome> run(SplittableRandom random) {
        List<DeliveryOutcome> out = new ArrayList<>();
        for (int attempt = 1; attempt <= DEFAULTS.maxAttempts(); attempt++) {
            out.add(RetryDecision.decide(DEFAULTS, attempt, AttemptResult.status(502), random, NOW));
        }
        assertEquals(new Drop(Reason.RETRIES_EXHAUSTED, "502", 11), out.get(out.size() - 1));
        return out;
    }

    // ------------------------------------------------------------ Retry-After

    @Test
    void retryAfterSecondsIsHonouredUpToTheCap() {
        // default cap: retryAfterMax = backoffMax = 60 s
        assertEquals(Duration.ofSeconds(30), delay(DEFAULTS, 1, 429, "30"));
        assertEquals(Duration.ofSeconds(30), delay(DEFAULTS, 1, 503, " 30 "));
        assertEquals(Duration.ofSeconds(60), delay(DEFAULTS, 1, 429, "120"));
        assertEquals(Duration.ofSeconds(60), delay(DEFAULTS, 1, 429, "99999999999999999999"));
        DeliveryPolicy patient = policy(3, BackoffPolicy.EXPONENTIAL, "PT1S", "PT10S", null, "PT5M");
        assertEquals(Duration.ofSeconds(240), delay(patient, 1, 503, "240"));
        assertEquals(Duration.ofMinutes(5), delay(patient, 1, 503, "600"));
    }

    @Test
    void retryAfterHttpDateInEveryFormRfc9110Accepts() {
        Instant at = NOW.plusSeconds(45);
        String imf = DateTimeFormatter.RFC_1123_DATE_TIME.format(at.atOffset(ZoneOffset.UTC));
        assertEquals("Sun, 1 Mar 2026 12:00:45 GMT", imf);
        assertEquals(Duration.ofSeconds(45), delay(DEFAULTS, 1, 503, "Sun, 01 Mar 2026 12:00:45 GMT"));
        assertEquals(Duration.ofSeconds(45), delay(DEFAULTS, 1, 503, "Sunday, 01-Mar-26 12:00:45 GMT"));
        assertEquals(Duration.ofSeconds(45), delay(DEFAULTS, 1, 429, "Sun Mar  1 12:00:45 2026"));
        assertEquals(Duration.ofSeconds(45), RetryDecision.retryAfter("Sun, 01 Mar 2026 12:00:45 GMT", NOW));
    }

    @Test
    void retryAfterInThePastZeroOrUnparsableFallsBackToTheBackoff() {
        Duration backoff = RetryDecision.backoff(DEFAULTS, 1, new SplittableRandom(SEED));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, "Sun, 01 Mar 2026 11:59:00 GMT"));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, "0"));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, "-5"));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, "soon"));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, "Mon, 01 Mar 2026 12:00:45 GMT"), "wrong day of week");
        assertEquals(backoff, delay(DEFAULTS, 1, 503, ""));
        assertEquals(backoff, delay(DEFAULTS, 1, 503, null));
        assertNull(RetryDecision.retryAfter("1.5", NOW));
    }

    @Test
    void retryAfterNeverShortensTheBackoffAndCountsOnlyFor429And503() {
        // attempt 8: the backoff is 60 s jittered into [30 s, 60 s]; the sink asks for 1 s
        Duration backoff = RetryDecision.backoff(DEFAULTS, 8, new SplittableRandom(SEED));
        assertEquals(backoff, delay(DEFAULTS, 8, 429, "1"));
        Duration first = RetryDecision.backoff(DEFAULTS, 1, new SplittableRandom(SEED));
        assertEquals(first, delay(DEFAULTS, 1, 500, "30"), "a 500's Retry-After is not honoured");
        DeliveryPolicy ignore = policy(3, BackoffPolicy.EXPONENTIAL, "PT0.5S", "PT60S", null, "PT0S");
        assertEquals(first, delay(ignore, 1, 429, "30"), "retryAfterMax PT0S ignores the header");
    }

    private static Duration delay(DeliveryPolicy p, int attempt, int status, String retryAfter) {
        RetryAt r = (RetryAt) RetryDecision.decide(p, attempt, AttemptResult.status(status, retryAfter),
                new SplittableRandom(SEED), NOW);
        assertEquals(NOW.plus(r.delay()), r.at());
        return r.delay();
    }

    private static DeliveryOutcome decide(DeliveryPolicy p, int attempt, AttemptResult result) {
        return RetryDecision.decide(p, attempt, result, new SplittableRandom(SEED), NOW);
    }

    private static DeliveryPolicy policy(int retry, BackoffPolicy bp, String delay, String max, String topic,
            String retryAfterMax) {
        return new DeliveryPolicy(retry, bp, Duration.parse(delay), Duration.parse(max), Duration.ofSeconds(10), topic,
                Duration.parse(retryAfterMax));
    }
}
