package io.weft.protocol;

/**
 * Syntax of topics and subscription patterns.
 *
 * <ul>
 *   <li>A topic is one or more tokens separated by {@code .}: {@code orders.eu.created}. Tokens are
 *       non-empty and hold no white space, control characters, {@code *} or {@code >}.</li>
 *   <li>A pattern is a topic whose tokens may also be {@code *} (exactly one token) or, as the last
 *       token only, {@code >} (one or more tokens). Partial wildcards such as {@code ord*} are
 *       rejected rather than silently treated as literals.</li>
 *   <li>At most {@link #MAX_LENGTH} characters and {@link #MAX_TOKENS} tokens.</li>
 *   <li>Topics whose first token is {@value #INTERNAL_TOKEN} are the mesh's own traffic (stream API
 *       calls, acks, replies). A wildcard in the first position does not match them, as nats-server
 *       keeps {@code $}-subjects out of {@code >}: a subscriber to {@code >} or {@code *.inbox.>}
 *       sees application events only, attracts no internal traffic to its node, and a stream cannot
 *       capture it. A pattern that starts with the literal token does match them.</li>
 * </ul>
 */
public final class Topics {
    public static final int MAX_LENGTH = 512;
    public static final int MAX_TOKENS = 32;
    /** The first token of the mesh's internal topics. */
    public static final String INTERNAL_TOKEN = "_weft";

    private Topics() {
    }

    /** Throws {@link InvalidTopicException} naming the rule when {@code topic} is not a valid topic. */
    public static void validateTopic(String topic) {
        check(topic, false);
    }

    /** Throws {@link InvalidTopicException} naming the rule when {@code pattern} is not a valid pattern. */
    public static void validatePattern(String pattern) {
        check(pattern, true);
    }

    /** True when {@code topic} is a valid topic. */
    public static boolean isValidTopic(String topic) {
        return problem(topic, false) == null;
    }

    /** True when {@code pattern} holds a wildcard token. Assumes a valid pattern. */
    public static boolean hasWildcard(String pattern) {
        int n = pattern.length();
        for (int i = 0; i < n; i++) {
            char c = pattern.charAt(i);
            if ((c == '*' || c == '>') && (i == 0 || pattern.charAt(i - 1) == '.')) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code topic} (or pattern) is internal: its first token is {@value #INTERNAL_TOKEN}. */
    public static boolean isInternal(String topic) {
        return topic.startsWith(INTERNAL_TOKEN)
                && (topic.length() == INTERNAL_TOKEN.length() || topic.charAt(INTERNAL_TOKEN.length()) == '.');
    }

    /** True when {@code token} is the pattern token {@code *} or {@code >}. */
    public static boolean isWildcard(String token) {
        return token.equals("*") || token.equals(">");
    }

    /** Reference matcher (slow, obviously correct): does valid {@code pattern} match valid {@code topic}? */
    public static boolean matches(String pattern, String topic) {
        String[] p = pattern.split("\\.", -1);
        String[] t = topic.split("\\.", -1);
        if (isWildcard(p[0]) && t[0].equals(INTERNAL_TOKEN)) {
            return false; // internal topics are matched by name only
        }
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return t.length > i;
            }
            if (i >= t.length) {
                return false;
            }
            if (!p[i].equals("*") && !p[i].equals(t[i])) {
                return false;
            }
        }
        return p.length == t.length;
    }

    /**
     * Does valid pattern {@code p} cover valid pattern {@code q}: is every topic that {@code q} matches also
     * matched by {@code p}? A pattern covers itself.
     */
    public static boolean covers(String p, String q) {
        String[] pt = p.split("\\.");
        String[] qt = q.split("\\.");
        if (isWildcard(pt[0]) && qt[0].equals(INTERNAL_TOKEN)) {
            return false; // a wildcard does not match an internal first token
        }
        for (int i = 0; i < pt.length; i++) {
            if (pt[i].equals(">")) {
                return qt.length > i;
            }
            if (i >= qt.length || qt[i].equals(">")) {
                return false;
            }
            if (!pt[i].equals("*") && (qt[i].equals("*") || !pt[i].equals(qt[i]))) {
                return false;
            }
        }
        return pt.length == qt.length;
    }

    /** Does some topic match both valid patterns {@code a} and {@code b}? */
    public static boolean overlaps(String a, String b) {
        String[] at = a.split("\\.");
        String[] bt = b.split("\\.");
        boolean aInternal = !isWildcard(at[0]) && at[0].equals(INTERNAL_TOKEN);
        boolean bInternal = !isWildcard(bt[0]) && bt[0].equals(INTERNAL_TOKEN);
        if ((isWildcard(at[0]) && bInternal) || (isWildcard(bt[0]) && aInternal)) {
            return false; // wildcards never match an internal first token
        }
        for (int i = 0; ; i++) {
            boolean aEnd = i >= at.length;
            boolean bEnd = i >= bt.length;
            if (aEnd || bEnd) {
                return aEnd && bEnd;
            }
            if (at[i].equals(">") || bt[i].equals(">")) {
                return true; // the other still has a token here (or more), which ">" takes
            }
            if (!at[i].equals("*") && !bt[i].equals("*") && !at[i].equals(bt[i])) {
                return false;
            }
        }
    }

    private static void check(String s, boolean pattern) {
        String problem = problem(s, pattern);
        if (problem != null) {
            ErrorCode code = pattern ? ErrorCode.INVALID_PATTERN : ErrorCode.INVALID_TOPIC;
            throw new InvalidTopicException(code, (pattern ? "invalid pattern '" : "invalid topic '")
                    + printable(s) + "': " + problem);
        }
    }

    private static String problem(String s, boolean pattern) {
        if (s == null || s.isEmpty()) {
            return "must not be empty";
        }
        if (s.length() > MAX_LENGTH) {
            return "longer than " + MAX_LENGTH + " characters";
        }
        int tokens = 1;
        int tokenStart = 0;
        int n = s.length();
        for (int i = 0; i <= n; i++) {
            char c = i < n ? s.charAt(i) : '.';
            if (c == '.') {
                int len = i - tokenStart;
                if (len == 0) {
                    return "empty token at position " + i + " (tokens are separated by single dots)";
                }
                if (i < n && ++tokens > MAX_TOKENS) {
                    return "more than " + MAX_TOKENS + " tokens";
                }
                tokenStart = i + 1;
            } else if (c == '*' || c == '>') {
                boolean alone = i == tokenStart && (i + 1 == n || s.charAt(i + 1) == '.');
                if (!pattern) {
                    return "wildcard '" + c + "' is only allowed in subscription patterns";
                }
                if (!alone) {
                    return "wildcard '" + c + "' must be a whole token";
                }
                if (c == '>' && i + 1 != n) {
                    return "'>' is only allowed as the last token";
                }
            } else if (c <= ' ' || c == 0x7f || Character.isWhitespace(c)) {
                return "white space or control character at position " + i;
            }
        }
        return null;
    }

    /** Quotes user input safely into a message: at most 80 characters, control characters as '?'. */
    public static String printable(String s) {
        if (s == null) {
            return "null";
        }
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            b.append(c < ' ' || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
