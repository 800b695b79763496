package io.weft.broker.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONPath that selects at most one value: the subset a transform needs, parsed once at creation and
 * evaluated over Jackson trees without a library.
 *
 * <pre>
 * path    = "$" *segment
 * segment = "." name                     ; name: letters, digits, '_' and '-'
 *         / "[" index "]"                ; index: an integer; negative counts from the end ([-1] is the last)
 *         / "[" quoted "]"               ; 'key' or "key"; \' \" and \\ escape
 * </pre>
 * Examples: {@code $}, {@code $.data.order.id}, {@code $.data.items[0].sku}, {@code $.data['first name']},
 * {@code $.data.items[-1]}. Wildcards, recursive descent ({@code ..}), filters, slices and unions
 * select several values and are refused with the position. At most {@value #MAX_CHARS} characters and
 * {@value #MAX_SEGMENTS} segments.
 *
 * <p>A path that meets a value of the wrong kind (a member of an array, an index into an object, a
 * step below a string) or an absent member or index selects nothing ({@link #select} gives null); a
 * present JSON {@code null} is selected as {@code NullNode}.
 */
public final class JsonPath {
    public static final int MAX_CHARS = 1024;
    public static final int MAX_SEGMENTS = 64;

    private sealed interface Segment {
    }

    private record Member(String name) implements Segment {
    }

    private record Index(int index) implements Segment {
    }

    private final String text;
    private final List<Segment> segments;

    private JsonPath(String text, List<Segment> segments) {
        this.text = text;
        this.segments = List.copyOf(segments);
    }

    /**
     * Parses {@code text}.
     *
     * @param field the member that holds the path, named in errors ({@code transform.path})
     * @throws InvalidRuleException naming {@code field} and the position of the problem
     */
    public static JsonPath parse(String text, String field) {
        if (text == null || text.isEmpty()) {
            throw new InvalidRuleException(field, "a JSONPath is required, e.g. $.data.order.id");
        }
        if (text.length() > MAX_CHARS) {
            throw new InvalidRuleException(field, "a JSONPath of more than " + MAX_CHARS + " characters");
        }
        return new Parser(text, field).parse();
    }

    /** The value at this path in {@code root}, or null when there is none. */
    public JsonNode select(JsonNode root) {
        JsonNode cur = root;
        for (Segment s : segments) {
            if (cur == null) {
                return null;
            }
            if (s instanceof Member m) {
                cur = cur.isObject() ? cur.get(m.name()) : null;
            } else {
                int i = ((Index) s).index();
                int at = i < 0 ? cur.size() + i : i;
                cur = cur.isArray() && at >= 0 && at < cur.size() ? cur.get(at) : null;
            }
        }
        return cur;
    }

    /** The name of the first step when it is a member ({@code data} for {@code $.data.x}), else null. */
    String firstMember() {
        return !segments.isEmpty() && segments.get(0) instanceof Member m ? m.name() : null;
    }

    /** True for {@code $} alone. */
    boolean isRoot() {
        return segments.isEmpty();
    }

    /** The path as written. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonPath p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    private static final class Parser {
        private final String text;
        private final String field;
        private final List<Segment> segments = new ArrayList<>();
        private int i;

        Parser(String text, String field) {
            this.text = text;
            this.field = field;
        }

        JsonPath parse() {
            if (text.charAt(0) != '$') {
                throw error(0, "must start with $ (the event; $.data is its data)");
            }
            i = 1;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (c == '.') {
                    member();
                } else if (c == '[') {
                    bracket();
                } else {
                    throw error(i, "unexpected '" + c + "'; expected . or [");
                }
                if (segments.size() > MAX_SEGMENTS) {
                    throw error(i, "more than " + MAX_SEGMENTS + " segments");
                }
            }
            return new JsonPath(text, segments);
        }

        private void member() {
            int dot = i++;
            if (i < text.length() && text.charAt(i) == '.') {
                throw error(dot, "recursive descent (..) is not supported: a path selects one value");
            }
            int start = i;
            while (i < text.length() && isNameChar(text.charAt(i))) {
                i++;
            }
            if (i == start) {
                if (i < text.length() && text.charAt(i) == '*') {
                    throw wildcard(i);
                }
                throw error(i, "expected a member name after '.' (letters, digits, _ and -; use ['...'] for "
                        + "other names)");
            }
            segments.add(new Member(text.substring(start, i)));
        }

        private void bracket() {
            int open = i++;
            if (i >= text.length()) {
                throw error(open, "unterminated [");
            }
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                segments.add(new Member(quoted(c)));
            } else if (c == '-' || c >= '0' && c <= '9') {
                segments.add(new Index(index()));
            } else if (c == '*') {
                throw wildcard(i);
            } else if (c == '?' || c == '(') {
                throw error(i, "filters and expressions are not supported: a path selects one value");
            } else {
                throw error(i, "expected an index or a quoted member name after [");
            }
            if (i >= text.length()) {
                throw error(open, "unterminated [");
            }
            char close = text.charAt(i);
            if (close == ':' || close == ',') {
                throw error(i, "slices and unions are not supported: a path selects one value");
            }
            if (close != ']') {
                throw error(i, "expected ]");
            }
            i++;
        }

        private String quoted(char quote) {
            int open = i++;
            StringBuilder b = new StringBuilder();
            while (i < text.length() && text.charAt(i) != quote) {
                char c = text.charAt(i++);
                if (c == '\\') {
                    if (i >= text.length()) {
                        break;
                    }
                    char e = text.charAt(i++);
                    if (e != '\'' && e != '"' && e != '\\') {
                        throw error(i - 2, "unknown escape \\" + e + " (only \\', \\\" and \\\\)");
                    }
                    b.append(e);
                } else {
                    b.append(c);
                }
            }
            if (i >= text.length()) {
                throw error(open, "unterminated quoted member name");
            }
            i++;
            return b.toString();
        }

        private int index() {
            int start = i;
            if (text.charAt(i) == '-') {
                i++;
            }
            int digits = i;
            while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
            if (i == digits) {
                throw error(start, "expected digits of an index");
            }
            try {
                return Integer.parseInt(text.substring(start, i));
            } catch (NumberFormatException e) {
                throw error(start, "index out of range");
            }
        }

        private static boolean isNameChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '-';
        }

        private InvalidRuleException wildcard(int at) {
            return error(at, "wildcards are not supported: a path selects one value");
        }

        private InvalidRuleException error(int at, String what) {
            return new InvalidRuleException(field, "invalid JSONPath '" + RuleJson.printable(text) + "': " + what
                    + " (at index " + at + ")");
        }
    }
}
