package io.weft.routing.filter;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@link Attributes} held in an immutable map, checked when built. */
public final class MapAttributes implements Attributes {
    private final Map<String, Object> values;

    private MapAttributes(Map<String, Object> values) {
        this.values = values;
    }

    /**
     * Copies a map of attributes.
     *
     * @param values attribute name (lower case) to a {@link String}, {@link Integer} or {@link Boolean}
     * @throws IllegalArgumentException when a name is empty or a value is {@code null} or of another type
     *                                  (give other kinds as their canonical string)
     */
    public static MapAttributes of(Map<String, ?> values) {
        Map<String, Object> copy = new LinkedHashMap<>(values.size() * 2);
        values.forEach((name, value) -> {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("attribute name must not be empty");
            }
            if (!(value instanceof String || value instanceof Integer || value instanceof Boolean)) {
                throw new IllegalArgumentException("attribute '" + name + "' must be a String, Integer or Boolean, got "
                        + (value == null ? "null" : value.getClass().getSimpleName())
                        + " (give other kinds as their canonical string)");
            }
            copy.put(name, value);
        });
        return new MapAttributes(Map.copyOf(copy));
    }

    @Override
    public Object get(String name) {
        return values.get(name);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
