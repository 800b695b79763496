package io.weft.broker.rules;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A template of a {@code template} transform, split once into literal text and slots where the inputs'
 * values go: a slot is {@code <name>} where {@code name} is one of the inputs; any other {@code <...>} is
 * literal text (so XML and HTML text templates work).
 *
 * <p>In a JSON template each slot is either inside a JSON string or in the place of a value, and
 * renders so that the result is always valid JSON, whatever the data holds:
 * <ul>
 *   <li>inside a string ({@code "Order <id> shipped"}): the value's text, JSON-escaped (quotes,
 *       backslashes, control characters, lone surrogates, U+2028/U+2029): strings as they are, numbers
 *       and booleans as written, objects and arrays as compact JSON, null or missing as nothing;</li>
 *   <li>as a value ({@code "total": <total>}): the value as JSON; a string is quoted and escaped, missing
 *       is {@code null}.</li>
 * </ul>
 * EventBridge inserts values unescaped, so a quote in the data breaks its output. The template is checked
 * at creation with every slot replaced by stand-ins of the same width (letters in a string; in a value's
 * place once {@code 0} and once {@code ""}, since a number could merge with a neighbouring {@code -} or
 * digit where a string cannot): both parse exactly when every rendering does, and the error points at
 * the line and column of the template. Each rendering is also checked (an invariant: a failure is a bug).
 *
 * <p>In a text template a value is inserted as its text (as inside a JSON string, unescaped).
 */
final class CompiledTemplate {
    static final int MAX_CHARS = 65_536;
    /** For validation only: no duplicate-member check (a value rendered into a key may repeat one). */
    private static final JsonFactory CHECK = JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

    private sealed interface Part {
    }

    private record Literal(String text) implements Part {
    }

    /** {@code input} indexes the inputs; {@code width} is the placeholder's length in the template. */
    private record Slot(int input, boolean inString, int width) implements Part {
    }

    private final boolean json;
    private final List<Part> parts;
    private final int literalChars;

    private CompiledTemplate(boolean json, List<Part> parts, int literalChars) {
        this.json = json;
        this.parts = List.copyOf(parts);
        this.literalChars = literalChars;
    }

    /**
     * Splits {@code template} and, for a JSON template, proves it renders valid JSON.
     *
     * @param inputs the input names, in the order {@link #render} gets their values
     * @param field  the template's member, named in errors ({@code transform.template})
     */
    static CompiledTemplate compile(String template, boolean json, List<String> inputs, String field) {
        if (template.length() > MAX_CHARS) {
            throw new InvalidRuleException(field, "a template of more than " + MAX_CHARS + " characters");
        }
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int literalChars = 0;
        String unknown = null;
        boolean inString = false;
        int n = template.length();
        for (int i = 0; i < n; i++) {
            char c = template.charAt(i);
            if (c == '<') {
                int end = nameEnd(template, i + 1);
                if (end > i + 1 && end < n && template.charAt(end) == '>') {
                    String name = template.substring(i + 1, end);
                    int input = inputs.indexOf(name);
                    if (input >= 0) {
                        literalChars += literal.length();
                        flush(literal, parts);
                        parts.add(new Slot(input, inString, end + 1 - i));
                        i = end;
                        continue;
                    }
                    if (!inString && unknown == null) {
                        unknown = name;
                    }
                }
            }
            literal.append(c);
            if (json) {
                if (inString && c == '\\' && i + 1 < n) {
                    literal.append(template.charAt(++i)); // an escaped character, perhaps a quote
                } else if (c == '"') {
                    inString = !inString;
                }
            }
        }
        literalChars += literal.length();
        flush(literal, parts);
        CompiledTemplate t = new CompiledTemplate(json, parts, literalChars);
        if (json) {
            t.checkStandIn(field, unknown, inputs);
        }
        return t;
    }

    /** Renders with {@code values[i]} for input i (null: the path selected nothing). */
    String render(JsonNode[] values) {
        StringBuilder b = new StringBuilder(literalChars + 16 * parts.size());
        for (Part p : parts) {
            if (p instanceof Literal l) {
                b.append(l.text());
            } else {
                Slot s = (Slot) p;
                JsonNode v = values[s.input()];
                if (!json) {
                    b.append(text(v));
                } else if (s.inString()) {
                    escape(text(v), b);
                } else {
                    value(v, b);
                }
            }
        }
        String out = b.toString();
        if (json) {
            String problem = jsonProblem(out);
            if (problem != null) {
                throw new IllegalStateException("a JSON template rendered invalid JSON (" + problem + "): a bug");
            }
        }
        return out;
    }

    /** The text of a value: a string as it is, a number or boolean as written, null or missing as "". */
    static String text(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "";
        }
        if (v.isValueNode()) {
            return v.asText();
        }
        return compact(v);
    }

    /** Appends {@code s} escaped for the inside of a JSON string. */
    static void escape(String s, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    boolean lone = Character.isHighSurrogate(c)
                            ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                            : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || c == '\u2028' || c == '\u2029' || lone) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
    }

    private static void value(JsonNode v, StringBuilder b) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            b.append("null");
        } else if (v.isTextual()) {
            b.append('"');
            escape(v.textValue(), b);
            b.append('"');
        } else {
            b.append(compact(v));
        }
    }

    private static String compact(JsonNode v) {
        try {
            return RuleJson.MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a parsed JSON value", e);
        }
    }

    private void checkStandIn(String field, String unknown, List<String> inputs) {
        // a number stand-in catches a placeholder that is not in a value's place; a string stand-in one
        // that a number would merge with (-<x>, 1<x>): a place that takes both takes any value
        String problem = jsonProblem(standIn("0"));
        if (problem == null) {
            problem = jsonProblem(standIn("\"\""));
        }
        if (problem == null) {
            return;
        }
        if (unknown != null) {
            throw new InvalidRuleException(field, "placeholder <" + RuleJson.printable(unknown)
                    + "> names no input (inputs: " + String.join(", ", inputs) + ")");
        }
        throw new InvalidRuleException(field, "not valid JSON with every placeholder as a value: " + problem
                + " (a placeholder stands for a whole value or for text inside a string; set format to "
                + "\"text\" for a text template)");
    }

    /**
     * The template with {@code value} (padded with spaces) in each value slot and letters in each string
     * slot, each as wide as its placeholder so that a parser's column is the template's.
     */
    private String standIn(String value) {
        StringBuilder b = new StringBuilder(literalChars + 16 * parts.size());
        for (Part p : parts) {
            if (p instanceof Literal l) {
                b.append(l.text());
            } else {
                Slot s = (Slot) p;
                b.append(s.inString() ? "x".repeat(s.width()) : value + " ".repeat(s.width() - value.length()));
            }
        }
        return b.toString();
    }

    /** Why {@code s} is not exactly one JSON value, or null when it is. */
    static String jsonProblem(String s) {
        try (JsonParser p = CHECK.createParser(s)) {
            int depth = 0;
            int roots = 0;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (depth == 0 && ++roots > 1) {
                    return "more than one JSON value, the second at " + at(p.currentTokenLocation());
                }
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                }
            }
            return roots == 0 ? "empty" : null;
        } catch (JsonProcessingException e) {
            return e.getOriginalMessage() + " at " + at(e.getLocation());
        } catch (IOException e) {
            throw new IllegalStateException("reading a string failed", e);
        }
    }

    private static String at(JsonLocation l) {
        return l == null ? "?" : "line " + l.getLineNr() + " column " + l.getColumnNr();
    }

    private static int nameEnd(String s, int from) {
        int i = from;
        while (i < s.length() && isNameChar(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Input names: letters and digits of ASCII, {@code _}, {@code -} and {@code .}. */
    static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
                || c == '.';
    }

    private static void flush(StringBuilder literal, List<Part> parts) {
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
            literal.setLength(0);
        }
    }
}
