package io.weft.routing.filter;

/**
 * The context attributes of one event, as the filter engine reads them.
 *
 * <p>Names are CloudEvents attribute names, lower case: {@code specversion}, {@code id},
 * {@code source}, {@code type}, {@code subject}, {@code time}, {@code datacontenttype},
 * {@code dataschema} and the extensions. A value is a {@link String}, an {@link Integer} or a
 * {@link Boolean}, or {@code null} when the event has no such attribute. Values of other
 * CloudEvents types (URI, URI-reference, Timestamp, Binary) are given as their canonical string
 * form, as the CloudEvents specification writes them; the engine treats any other object as the
 * string of its {@code toString()}.
 *
 * <p>The engine only reads, and may read the same attribute more than once during one evaluation:
 * {@link #get} should be cheap (a field or a hash lookup) and must return the same value each
 * time. {@link MapAttributes} is the simple implementation for tests and callers that hold a map.
 */
public interface Attributes {
    /**
     * The value of an attribute.
     *
     * @param name a lower-case CloudEvents attribute name
     * @return a {@link String}, {@link Integer} or {@link Boolean}, or {@code null} when absent
     */
    Object get(String name);
}
