package io.weft.routing.filter;

/**
 * The casts of CESQL v1.0.0 section 3.7, without exceptions: a failed cast reports
 * {@link CesqlErrorKind#CAST} and gives the zero value of the target type.
 */
final class Casts {
    /** What {@link #parseInt} returns for a string that is not a 32-bit base-10 integer. */
    static final long NOT_AN_INT = Long.MIN_VALUE;

    private Casts() {
    }

    static Node.Type typeOf(Object value) {
        if (value instanceof Boolean) {
            return Node.Type.BOOLEAN;
        }
        return value instanceof Integer ? Node.Type.INTEGER : Node.Type.STRING;
    }

    static boolean toBool(Object value, Eval ev) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Integer i) {
            return i != 0;
        }
        return toBool(value.toString(), ev);
    }

    static boolean toBool(String value, Eval ev) {
        int parsed = parseBool(value);
        if (parsed < 0) {
            ev.fail(CesqlErrorKind.CAST);
            return false;
        }
        return parsed == 1;
    }

    static int toInt(Object value, Eval ev) {
        if (value instanceof Integer i) {
            return i;
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return toInt(value.toString(), ev);
    }

    static int toInt(String value, Eval ev) {
        long parsed = parseInt(value);
        if (parsed == NOT_AN_INT) {
            ev.fail(CesqlErrorKind.CAST);
            return 0;
        }
        return (int) parsed;
    }

    static String toString(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Boolean b) {
            return toString(b.booleanValue());
        }
        return value.toString();
    }

    static String toString(boolean value) {
        return value ? "true" : "false";
    }

    /**
     * Base 10, an optional leading {@code +} or {@code -}, ASCII digits only, no spaces.
     *
     * @return the value, or {@link #NOT_AN_INT} when the string is not an integer or does not fit 32 bits
     */
    static long parseInt(String s) {
        int length = s.length();
        int i = 0;
        boolean negative = false;
        if (length > 0 && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (i == length) {
            return NOT_AN_INT;
        }
        long limit = negative ? -(long) Integer.MIN_VALUE : Integer.MAX_VALUE;
        long magnitude = 0;
        for (; i < length; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return NOT_AN_INT;
            }
            magnitude = magnitude * 10 + (c - '0');
            if (magnitude > limit) {
                return NOT_AN_INT;
            }
        }
        return negative ? -magnitude : magnitude;
    }

    /**
     * True when the lower-case form of the string is exactly {@code true}, false when exactly
     * {@code false}.
     *
     * @return 1 for true, 0 for false, -1 for neither
     */
    static int parseBool(String s) {
        if (equalsLowerCase(s, "true")) {
            return 1;
        }
        return equalsLowerCase(s, "false") ? 0 : -1;
    }

    private static boolean equalsLowerCase(String s, String lower) {
        if (s.length() != lower.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.toLowerCase(s.charAt(i)) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
