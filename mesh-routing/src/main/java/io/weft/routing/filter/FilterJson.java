package io.weft.routing.filter;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON form of filters: reading (with Jackson, every error naming the field path) and the
 * pieces of the canonical writer (by hand, so its bytes depend on no library's settings).
 */
final class FilterJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private FilterJson() {
    }

    static JsonNode readTree(String json, String path) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new InvalidFilterException(path, "not valid JSON: " + e.getOriginalMessage() + where);
        }
    }

    static List<EventFilter> readList(JsonNode node, String path, int depth) {
        if (!node.isArray()) {
            throw new InvalidFilterException(path, "expected an array of filters, found " + kind(node));
        }
        List<EventFilter> filters = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            filters.add(readFilter(node.get(i), path + "[" + i + "]", depth));
        }
        return filters;
    }

    static EventFilter readFilter(JsonNode node, String path, int depth) {
        if (depth > EventFilter.MAX_DEPTH) {
            throw new InvalidFilterException(path, "filters nested more than " + EventFilter.MAX_DEPTH + " levels deep");
        }
        if (!node.isObject()) {
            throw new InvalidFilterException(path, "expected a filter object, found " + kind(node));
        }
        if (node.size() != 1) {
            List<String> keys = new ArrayList<>();
            node.properties().forEach(property -> keys.add(property.getKey()));
            throw new InvalidFilterException(path, "a filter object has exactly one key, its dialect; found "
                    + (keys.isEmpty() ? "none" : keys.size() + ": " + String.join(", ", keys)));
        }
        Map.Entry<String, JsonNode> only = node.properties().iterator().next();
        String dialect = only.getKey();
        JsonNode value = only.getValue();
        String at = path + "." + dialect;
        switch (dialect) {
            case "exact":
                return AttributeFilter.of(AttributeFilter.Match.EXACT, readAttributes(value, at), at);
            case "prefix":
                return AttributeFilter.of(AttributeFilter.Match.PREFIX, readAttributes(value, at), at);
            case "suffix":
                return AttributeFilter.of(AttributeFilter.Match.SUFFIX, readAttributes(value, at), at);
            case "all":
                return new AllFilter(readList(value, at, depth + 1), at);
            case "any":
                return new AnyFilter(readList(value, at, depth + 1), at);
            case "not":
                return new NotFilter(readFilter(value, at, depth + 1), at);
            case "sql":
            case "cesql":
                if (!value.isTextual()) {
                    throw new InvalidFilterException(at, "expected a string (a CESQL expression), found " + kind(value));
                }
                return SqlFilter.of(value.textValue(), at);
            default:
                throw new InvalidFilterException(path, "unknown dialect '" + dialect
                        + "' (expected exact, prefix, suffix, all, any, not, sql or cesql)");
        }
    }

    private static Map<String, String> readAttributes(JsonNode node, String path) {
        if (!node.isObject()) {
            throw new InvalidFilterException(path, "expected an object of attribute names to strings, found " + kind(node));
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            AttributeFilter.checkName(field.getKey(), path);
            if (!field.getValue().isTextual()) {
                throw new InvalidFilterException(path + "." + field.getKey(), "expected a string, found "
                        + kind(field.getValue()));
            }
            attributes.put(field.getKey(), field.getValue().textValue());
        }
        return attributes;
    }

    private static String kind(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT:
                return "an object";
            case ARRAY:
                return "an array";
            case STRING:
                return "a string";
            case NUMBER:
                return "a number";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            case MISSING:
                return "nothing";
            default:
                return node.getNodeType().toString().toLowerCase(Locale.ROOT);
        }
    }

    // ---- canonical writing

    static void appendList(StringBuilder out, List<EventFilter> filters) {
        out.append('[');
        for (int i = 0; i < filters.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            filters.get(i).appendCanonical(out);
        }
        out.append(']');
    }

    /**
     * A JSON string: {@code "} and {@code \} escaped with a backslash, control characters as
     * {@code \b \t \n \f \r} or a six-character {@code &#92;u} escape (lower-case hex), a lone surrogate as
     * a {@code &#92;u} escape too, every other character as itself.
     */
    static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\b':
                    out.append("\\b");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\f':
                    out.append("\\f");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                default:
                    if (c < 0x20 || isLoneSurrogate(s, i)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private static boolean isLoneSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }
}
