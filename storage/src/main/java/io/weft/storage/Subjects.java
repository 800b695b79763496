package io.weft.storage;

import io.weft.protocol.Topics;

/**
 * Pure relations between subscription patterns (syntax: {@link io.weft.protocol.Topics}).
 *
 * <p>Two streams must not capture the same topic, so creating a stream checks its subjects against
 * every other stream's with {@link #overlap(String, String)}.
 */
public final class Subjects {
    private Subjects() {
    }

    /**
     * True when some topic matches both valid patterns {@code a} and {@code b}: {@code orders.>}
     * overlaps {@code orders.eu.*}, {@code orders.*} does not overlap {@code orders.eu.created}.
     *
     * <p>Walks both token lists together: a {@code >} in either matches whatever remains of the
     * other (which holds at least one token there), a {@code *} matches any single token, and literal
     * tokens must be equal; without a {@code >} both must have the same number of tokens.
     */
    public static boolean overlap(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        if (internalVersusWildcard(x[0], y[0]) || internalVersusWildcard(y[0], x[0])) {
            return false; // a wildcard does not match an internal first token (Topics)
        }
        for (int i = 0; ; i++) {
            if (i == x.length || i == y.length) {
                return x.length == y.length;
            }
            if (x[i].equals(">") || y[i].equals(">")) {
                return true; // both still hold a token at i, and '>' takes one or more
            }
            if (!x[i].equals("*") && !y[i].equals("*") && !x[i].equals(y[i])) {
                return false;
            }
        }
    }

    private static boolean internalVersusWildcard(String first, String other) {
        return first.equals(Topics.INTERNAL_TOKEN) && Topics.isWildcard(other);
    }
}
