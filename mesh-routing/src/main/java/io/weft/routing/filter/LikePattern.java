package io.weft.routing.filter;

import java.util.Arrays;

/**
 * A LIKE pattern, compiled once when the expression is parsed (CESQL v1.0.0 section 3.4.3):
 * {@code %} matches any run of characters, {@code _} exactly one, {@code \%} and {@code \_} the
 * character itself, and every other character itself, case-sensitive. A backslash before any other
 * character is a literal backslash ({@code 'ab\c' LIKE 'ab\c'} is true). Characters are Unicode code
 * points, so {@code _} matches one emoji.
 *
 * <p>The shapes filters use most (no wildcard, {@code abc%}, {@code %abc}, {@code %abc%}) match
 * with {@code equals}, {@code startsWith}, {@code endsWith} and {@code contains}; the rest with a
 * greedy scan that backtracks to the last {@code %} only, O(text x pattern) at worst. Neither
 * allocates.
 */
final class LikePattern {
    private static final int ANY_ONE = -1;
    private static final int ANY_RUN = -2;

    private enum Shape { EXACT, PREFIX, SUFFIX, CONTAINS, GENERAL }

    private final Shape shape;
    private final String literal;
    private final int[] codePoints;

    private LikePattern(Shape shape, String literal, int[] codePoints) {
        this.shape = shape;
        this.literal = literal;
        this.codePoints = codePoints;
    }

    static LikePattern compile(String pattern) {
        int[] compiled = new int[pattern.length()];
        int n = 0;
        for (int i = 0; i < pattern.length(); ) {
            int cp = pattern.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\\' && i < pattern.length() && (pattern.charAt(i) == '%' || pattern.charAt(i) == '_')) {
                compiled[n++] = pattern.charAt(i++);
            } else if (cp == '%') {
                if (n == 0 || compiled[n - 1] != ANY_RUN) {
                    compiled[n++] = ANY_RUN;
                }
            } else if (cp == '_') {
                compiled[n++] = ANY_ONE;
            } else {
                compiled[n++] = cp;
            }
        }
        int[] codePoints = Arrays.copyOf(compiled, n);
        int wildcards = 0;
        int anyOne = 0;
        for (int cp : codePoints) {
            wildcards += cp == ANY_RUN ? 1 : 0;
            anyOne += cp == ANY_ONE ? 1 : 0;
        }
        boolean leading = n > 0 && codePoints[0] == ANY_RUN;
        boolean trailing = n > 0 && codePoints[n - 1] == ANY_RUN;
        Shape shape = Shape.GENERAL;
        if (anyOne == 0 && wildcards == 0) {
            shape = Shape.EXACT;
        } else if (anyOne == 0 && wildcards == 1 && trailing) {
            shape = Shape.PREFIX;
        } else if (anyOne == 0 && wildcards == 1 && leading) {
            shape = Shape.SUFFIX;
        } else if (anyOne == 0 && wildcards == 2 && leading && trailing) {
            shape = Shape.CONTAINS;
        }
        String literal = shape == Shape.GENERAL ? null : literalOf(codePoints);
        return new LikePattern(shape, literal, codePoints);
    }

    private static String literalOf(int[] codePoints) {
        StringBuilder out = new StringBuilder();
        for (int cp : codePoints) {
            if (cp >= 0) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    boolean matches(String text) {
        switch (shape) {
            case EXACT:
                return text.equals(literal);
            case PREFIX:
                return text.startsWith(literal);
            case SUFFIX:
                return text.endsWith(literal);
            case CONTAINS:
                return text.contains(literal);
            default:
                return matchesGeneral(text);
        }
    }

    private boolean matchesGeneral(String text) {
        int p = 0;
        int s = 0;
        int runAt = -1;
        int runFrom = 0;
        while (s < text.length()) {
            if (p < codePoints.length && codePoints[p] == ANY_RUN) {
                runAt = p++;
                runFrom = s;
                continue;
            }
            int cp = text.codePointAt(s);
            if (p < codePoints.length && (codePoints[p] == ANY_ONE || codePoints[p] == cp)) {
                p++;
                s += Character.charCount(cp);
                continue;
            }
            if (runAt < 0) {
                return false;
            }
            p = runAt + 1;
            runFrom += Character.charCount(text.codePointAt(runFrom));
            s = runFrom;
        }
        while (p < codePoints.length && codePoints[p] == ANY_RUN) {
            p++;
        }
        return p == codePoints.length;
    }
}
