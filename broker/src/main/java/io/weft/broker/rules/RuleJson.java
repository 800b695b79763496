package io.weft.broker.rules;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.weft.protocol.Topics;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reading the rule JSON: typed members whose errors name the member's path, and the package's one
 * Jackson mapper.
 */
final class RuleJson {
    /**
     * Strict (duplicate members and trailing tokens are errors, messages never quote the input) and
     * faithful to numbers (decimals kept as written), like the HTTP ingress's mapper, so that a number in
     * an event's data comes out of a transform as it went in.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private RuleJson() {
    }

    /** Absent and JSON null are the same: the member is not given. */
    static boolean absent(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull();
    }

    /** Requires an object; absent gives null. */
    static JsonNode object(JsonNode n, String path) {
        if (absent(n)) {
            return null;
        }
        if (!n.isObject()) {
            throw new InvalidRuleException(path, "must be an object, not " + kind(n));
        }
        return n;
    }

    /**
     * Rejects members not in {@code known}, so a typo ({@code retries}) is an error rather than a silent
     * default. {@code hints} says what to use instead of a well-known foreign member.
     */
    static void onlyMembers(JsonNode obj, String path, List<String> known, Map<String, String> hints) {
        Iterator<String> names = obj.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = hints.get(name);
                throw new InvalidRuleException(path + "." + printable(name), hint != null ? hint
                        : "unknown member; expected " + String.join(", ", known));
            }
        }
    }

    /** A string member; absent gives null. */
    static String string(JsonNode n, String path) {
        if (absent(n)) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidRuleException(path, "must be a string, not " + kind(n));
        }
        return n.textValue();
    }

    /** An integer member in {@code [min, max]}; absent gives {@code dflt}. */
    static int integer(JsonNode n, String path, int min, int max, int dflt) {
        if (absent(n)) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
            throw new InvalidRuleException(path, "must be an integer in [" + min + ", " + max + "], not "
                    + (n.isNumber() ? n.asText() : kind(n)));
        }
        return n.intValue();
    }

    /**
     * An ISO-8601 duration string ({@code PT0.5S}, {@code PT10S}, {@code PT1M}, {@code P1D}); absent gives
     * {@code dflt}. Years, months and weeks are refused: their length in seconds is not fixed.
     */
    static Duration duration(JsonNode n, String path, Duration dflt) {
        if (absent(n)) {
            return dflt;
        }
        if (!n.isTextual()) {
            throw new InvalidRuleException(path, "must be an ISO-8601 duration string such as PT0.5S, not "
                    + kind(n));
        }
        try {
            return Duration.parse(n.textValue());
        } catch (DateTimeParseException e) {
            throw new InvalidRuleException(path, "not an ISO-8601 duration: '" + printable(n.textValue())
                    + "' (use days, hours, minutes and seconds, e.g. PT0.5S, PT10S, PT1M, P1D)");
        }
    }

    /** Fails unless {@code min <= d <= max}; {@code exclusiveMin} makes the lower bound strict. */
    static void range(Duration d, String path, Duration min, boolean exclusiveMin, Duration max) {
        if (d == null) {
            throw new InvalidRuleException(path, "is required");
        }
        int c = d.compareTo(min);
        if (c < 0 || (exclusiveMin && c == 0) || d.compareTo(max) > 0) {
            throw new InvalidRuleException(path, d + " is out of range: must be " + (exclusiveMin ? "> " : ">= ")
                    + min + " and <= " + max);
        }
    }

    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "nothing";
        };
    }

    /** User input quoted into a message: at most 80 characters, control characters as '?'. */
    static String printable(String s) {
        return Topics.printable(s);
    }
}
