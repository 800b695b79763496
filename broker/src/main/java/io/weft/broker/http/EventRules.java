package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.cloudevents.types.Time;
import io.netty.buffer.ByteBufUtil;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.Topics;
import io.weft.protocol.Wire;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.util.Set;

/**
 * The checks on CloudEvent attributes shared by every content mode. Each failure is an
 * {@link HttpProblem} whose {@code field} names the attribute, so all modes answer alike.
 */
final class EventRules {
    static final String SPEC_VERSION = "1.0";
    /** Attribute names of CloudEvents 1.0 and its JSON format; extensions may not use them. */
    static final Set<String> RESERVED = Set.of("specversion", "id", "source", "type", "subject", "time",
            "datacontenttype", "dataschema", "data", "data_base64");
    /** The wire format counts extensions in a u16. */
    static final int MAX_EXTENSIONS = 0xffff;

    private EventRules() {
    }

    static void specVersion(String value) {
        required("specversion", value);
        if (!SPEC_VERSION.equals(value)) {
            throw HttpProblem.invalidEvent("specversion",
                    "specversion '" + printable(value) + "' is not supported; use 1.0");
        }
    }

    /** A required string attribute: present and non-empty. */
    static String required(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw HttpProblem.invalidEvent(field, "event attribute '" + field + "' is required");
        }
        return value;
    }

    /** An optional string attribute that, when present, must not be empty (subject, datacontenttype). */
    static String nonEmpty(String field, String value) {
        if (value != null && value.isEmpty()) {
            throw HttpProblem.invalidEvent(field, "event attribute '" + field + "' must not be empty");
        }
        return value;
    }

    /** {@code source} and {@code dataschema}: URI references. */
    static URI uri(String field, String value) {
        try {
            return new URI(value);
        } catch (URISyntaxException e) {
            throw HttpProblem.invalidEvent(field, "event attribute '" + field + "' is not a URI reference: "
                    + e.getReason() + " at index " + e.getIndex());
        }
    }

    /** {@code time}: an RFC 3339 timestamp. */
    static OffsetDateTime time(String value) {
        try {
            return Time.parseTime(value);
        } catch (DateTimeException e) {
            throw HttpProblem.invalidEvent("time",
                    "event attribute 'time' is not an RFC 3339 timestamp: '" + printable(value) + "'");
        }
    }

    /** Extension names are lower-case ASCII letters and digits and not a reserved attribute name. */
    static void extensionName(String name) {
        if (RESERVED.contains(name)) {
            throw HttpProblem.invalidEvent(name, "'" + name + "' is a reserved attribute name");
        }
        boolean ok = !name.isEmpty();
        for (int i = 0; ok && i < name.length(); i++) {
            char c = name.charAt(i);
            ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
        }
        if (!ok) {
            throw HttpProblem.invalidEvent(printable(name),
                    "extension attribute name '" + printable(name) + "' must be lower-case letters a-z and digits");
        }
    }

    /**
     * The topic an event is published on: {@code pathTopic} when given (already validated), otherwise
     * its {@code type}, which must then be a valid topic.
     */
    static String topicOf(CloudEvent event, String pathTopic) {
        if (pathTopic != null) {
            return pathTopic;
        }
        try {
            Topics.validateTopic(event.getType());
            return event.getType();
        } catch (InvalidTopicException e) {
            throw HttpProblem.invalidTopic("type", e.getMessage() + " (POST /v1/events publishes on the event "
                    + "type; use POST /v1/topics/{topic}/events to choose the topic)");
        }
    }

    /** Validates a topic taken from the request path. */
    static String pathTopic(String topic) {
        try {
            Topics.validateTopic(topic);
            return topic;
        } catch (InvalidTopicException e) {
            throw HttpProblem.invalidTopic("topic", e.getMessage());
        }
    }

    /**
     * Checks what the native wire format cannot carry, so that a batch fails before anything of it is
     * published: strings over {@link Wire#MAX_STR16_BYTES} UTF-8 bytes, more than
     * {@link #MAX_EXTENSIONS} extensions.
     */
    static void wireLimits(CloudEvent e) {
        str16("id", e.getId());
        str16("source", e.getSource().toString());
        str16("type", e.getType());
        str16("subject", e.getSubject());
        str16("datacontenttype", e.getDataContentType());
        str16("dataschema", e.getDataSchema() == null ? null : e.getDataSchema().toString());
        int count = 0;
        for (String name : e.getExtensionNames()) {
            str16(name, name);
            Object v = e.getExtension(name);
            if (v instanceof String || v instanceof URI) {
                str16(name, v.toString());
            }
            count++;
        }
        if (count > MAX_EXTENSIONS) {
            throw HttpProblem.invalidEvent(null, count + " extension attributes exceed the limit of " + MAX_EXTENSIONS);
        }
    }

    private static void str16(String field, String value) {
        if (value != null && value.length() > Wire.MAX_STR16_BYTES / 3 && ByteBufUtil.utf8Bytes(value) > Wire.MAX_STR16_BYTES) {
            throw HttpProblem.invalidEvent(field, "event attribute '" + field + "' is longer than "
                    + Wire.MAX_STR16_BYTES + " UTF-8 bytes");
        }
    }

    /** Quotes user input safely into a message: at most 80 characters, control characters as '?'. */
    static String printable(String s) {
        return io.weft.protocol.Topics.printable(s);
    }
}
