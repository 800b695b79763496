package io.weft.routing.filter;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code exact}, {@code prefix} and {@code suffix} dialects: every listed attribute must be
 * present and its value must equal, start with or end with the given string, case-sensitive. An
 * Integer or Boolean attribute compares by its canonical string ({@code 42}, {@code true}), as
 * Knative does; a missing attribute fails the filter. Names are CloudEvents attribute names
 * (lower-case ASCII letters and digits) and values are not empty.
 */
public final class AttributeFilter extends EventFilter {
    /** How a value must relate to the filter's string. */
    public enum Match {
        EXACT("exact"), PREFIX("prefix"), SUFFIX("suffix");

        private final String dialect;

        Match(String dialect) {
            this.dialect = dialect;
        }

        /** The name of the dialect in JSON. */
        public String dialect() {
            return dialect;
        }
    }

    private final Match match;
    private final String[] names;
    private final String[] values;

    private AttributeFilter(Match match, String[] names, String[] values, String path) {
        super(1, path);
        this.match = match;
        this.names = names;
        this.values = values;
    }

    /**
     * @param path the field of the filter, for errors: {@code filters[0].exact}
     */
    static AttributeFilter of(Match match, Map<String, String> attributes, String path) {
        if (attributes.isEmpty()) {
            throw new InvalidFilterException(path, "must name at least one attribute");
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        attributes.forEach((name, value) -> {
            checkName(name, path);
            if (value == null) {
                throw new InvalidFilterException(path + "." + name, "expected a string, found null");
            }
            if (value.isEmpty()) {
                throw new InvalidFilterException(path + "." + name, "value must not be empty");
            }
            sorted.put(name, value);
        });
        return new AttributeFilter(match, sorted.keySet().toArray(new String[0]),
                sorted.values().toArray(new String[0]), path);
    }

    static void checkName(String name, String path) {
        if (name == null || name.isEmpty()) {
            throw new InvalidFilterException(path, "attribute name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                throw new InvalidFilterException(path, "attribute name '" + name
                        + "' is not a CloudEvents attribute name (lower-case letters a-z and digits 0-9)");
            }
        }
    }

    public Match match() {
        return match;
    }

    /** The attributes and their strings, sorted by name. */
    public Map<String, String> attributes() {
        TreeMap<String, String> map = new TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            map.put(names[i], values[i]);
        }
        return Collections.unmodifiableMap(map);
    }

    @Override
    public boolean test(Attributes event) {
        for (int i = 0; i < names.length; i++) {
            Object value = event.get(names[i]);
            if (value == null || !matches(value instanceof String s ? s : Casts.toString(value), values[i])) {
                return false;
            }
        }
        return true;
    }

    private boolean matches(String value, String expected) {
        switch (match) {
            case EXACT:
                return value.equals(expected);
            case PREFIX:
                return value.startsWith(expected);
            default:
                return value.endsWith(expected);
        }
    }

    @Override
    void appendCanonical(StringBuilder out) {
        out.append("{\"").append(match.dialect).append("\":{");
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            FilterJson.appendString(out, names[i]);
            out.append(':');
            FilterJson.appendString(out, values[i]);
        }
        out.append("}}");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AttributeFilter filter && filter.match == match && Arrays.equals(filter.names, names)
                && Arrays.equals(filter.values, values);
    }

    @Override
    public int hashCode() {
        return (match.hashCode() * 31 + Arrays.hashCode(names)) * 31 + Arrays.hashCode(values);
    }
}
