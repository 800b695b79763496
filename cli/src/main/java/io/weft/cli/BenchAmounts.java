package io.weft.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The integer extension {@code amount} that every event {@code meshctl bench} publishes carries, so that a
 * filter can pick a known share of them: event {@code i} of a publisher has amount {@code 0..99} when
 * {@code i} is even and {@code 100..199} when it is odd ({@link #of}), so {@code amount >= 100} passes every
 * second event, exactly half of an even count, and every value of {@code 0..199} comes once in 200 events.
 *
 * <p>{@link Comparison} is the one shape of filter whose count the bench computes itself ({@code amount OP N});
 * for any other expression the expected count is unknown (the bench has no CESQL engine of its own).
 */
final class BenchAmounts {
    /** The extension's name. */
    static final String EXTENSION = "amount";
    /** The amounts repeat every this many events. */
    static final int PERIOD = 200;

    private BenchAmounts() {
    }

    /** The amount of a publisher's event {@code i} (from 0): even events 0..99, odd events 100..199. */
    static int of(long i) {
        return (int) ((i & 1) * 100 + (i >> 1) % 100);
    }

    /**
     * {@code amount OP N}, where OP is one of {@code = != <> < <= > >=}: the filter whose matches the bench
     * counts. Immutable; {@link #countAmong} is a table look-up (the publishers ask once per event).
     */
    static final class Comparison {
        private static final Pattern SHAPE =
                Pattern.compile("\\s*amount\\s*(<>|!=|<=|>=|=|<|>)\\s*(-?\\d{1,10})\\s*");

        private final String op;
        private final long value;
        /** {@code passing[k]}: how many of events 0..k-1 pass, for k in 0..PERIOD. */
        private final long[] passing = new long[PERIOD + 1];

        private Comparison(String op, long value) {
            this.op = op;
            this.value = value;
            for (int i = 0; i < PERIOD; i++) {
                passing[i + 1] = passing[i] + (test(of(i)) ? 1 : 0);
            }
        }

        /** The comparison {@code expression} is, or null when it has another shape. */
        static Comparison parse(String expression) {
            if (expression == null) {
                return null;
            }
            Matcher m = SHAPE.matcher(expression);
            if (!m.matches()) {
                return null;
            }
            long v = Long.parseLong(m.group(2));
            // CESQL integers are 32-bit: a larger literal is an error there, not a comparison
            return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? null : new Comparison(m.group(1), v);
        }

        /** Whether an event with this amount passes. */
        boolean test(int amount) {
            switch (op) {
                case "=": return amount == value;
                case "!=": case "<>": return amount != value;
                case "<": return amount < value;
                case "<=": return amount <= value;
                case ">": return amount > value;
                case ">=": return amount >= value;
                default: throw new IllegalStateException("operator " + op);
            }
        }

        /** How many of a publisher's first {@code n} events pass. */
        long countAmong(long n) {
            return n / PERIOD * passing[PERIOD] + passing[(int) (n % PERIOD)];
        }

        /** The amount of the first event that passes, or -1 when none does. */
        int firstMatchingAmount() {
            for (int i = 0; i < PERIOD; i++) {
                if (test(of(i))) {
                    return of(i);
                }
            }
            return -1;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "amount %s %d", op, value);
        }
    }
}
