package io.weft.storage;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Where a new consumer starts, resolved once against the stream when the consumer is created.
 *
 * @param kind  which rule
 * @param value the sequence of {@link Kind#SEQ} or the epoch millis of {@link Kind#TIME}; else 0
 */
public record StartPosition(Kind kind, long value) {

    /** The start rules (as NATS JetStream's deliver policies). */
    public enum Kind {
        /** The oldest event still stored. */
        FIRST,
        /** The newest event stored at creation, then everything after it. */
        LAST,
        /** Only events stored after creation. */
        NEW,
        /** The event with this sequence (or the oldest stored, if it was removed). */
        SEQ,
        /** The first event stored at or after this time. */
        TIME
    }

    /** Validates the value. */
    public StartPosition {
        if (kind == null) {
            throw new InvalidStreamConfigException("start", "must be first, last, new, seq:N or time:T");
        }
        if (kind == Kind.SEQ && value < 1) {
            throw new InvalidStreamConfigException("start", "seq:" + value + " must be at least 1");
        }
    }

    /** {@link Kind#FIRST}. */
    public static StartPosition first() {
        return new StartPosition(Kind.FIRST, 0);
    }

    /** {@link Kind#LAST}. */
    public static StartPosition last() {
        return new StartPosition(Kind.LAST, 0);
    }

    /** {@link Kind#NEW}. */
    public static StartPosition newOnly() {
        return new StartPosition(Kind.NEW, 0);
    }

    /** {@link Kind#SEQ}. */
    public static StartPosition seq(long seq) {
        return new StartPosition(Kind.SEQ, seq);
    }

    /** {@link Kind#TIME}. */
    public static StartPosition time(long epochMillis) {
        return new StartPosition(Kind.TIME, epochMillis);
    }

    /**
     * Parses {@code first}, {@code last}, {@code new}, {@code seq:N}, {@code time:MILLIS} or
     * {@code time:2024-05-01T10:00:00Z}.
     */
    public static StartPosition parse(String s) {
        String t = s == null ? "" : s.trim();
        try {
            if (t.equals("first")) {
                return first();
            } else if (t.equals("last")) {
                return last();
            } else if (t.equals("new")) {
                return newOnly();
            } else if (t.startsWith("seq:")) {
                return seq(Long.parseLong(t.substring(4)));
            } else if (t.startsWith("time:")) {
                String v = t.substring(5);
                return time(v.chars().allMatch(Character::isDigit) && !v.isEmpty()
                        ? Long.parseLong(v) : Instant.parse(v).toEpochMilli());
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            // fall through to the error below
        }
        throw new InvalidStreamConfigException("start", "'" + s + "' must be first, last, new, seq:N, "
                + "time:EPOCH_MILLIS or time:ISO-8601-INSTANT");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case SEQ -> "seq:" + value;
            case TIME -> "time:" + value;
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
