package io.weft.broker.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads the structured ({@code application/cloudevents+json}) and batched
 * ({@code application/cloudevents-batch+json}) content modes: the CloudEvents JSON event format, with
 * an error naming the attribute (and the batch index) for every way an event can be wrong.
 */
final class JsonEventReader {
    private static final String DEFAULT_DATA_CONTENT_TYPE = "application/json";

    private JsonEventReader() {
    }

    /** One event. */
    static CloudEvent readEvent(ByteBuf body) {
        JsonNode node = parse(body);
        if (!node.isObject()) {
            throw HttpProblem.malformedBody("a structured-mode body must be a JSON object, not " + kind(node));
        }
        return toEvent(node);
    }

    /** A non-empty batch, every element checked. */
    static List<CloudEvent> readBatch(ByteBuf body) {
        JsonNode node = parse(body);
        if (!node.isArray()) {
            throw HttpProblem.malformedBody("a batch body must be a JSON array of events, not " + kind(node));
        }
        if (node.isEmpty()) {
            throw HttpProblem.malformedBody("a batch must hold at least one event");
        }
        List<CloudEvent> events = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode element = node.get(i);
            try {
                if (!element.isObject()) {
                    throw HttpProblem.malformedBody("must be a JSON object, not " + kind(element));
                }
                events.add(toEvent(element));
            } catch (HttpProblem p) {
                throw p.at(i);
            }
        }
        return events;
    }

    private static JsonNode parse(ByteBuf body) {
        if (!body.isReadable()) {
            throw HttpProblem.malformedBody("the body is empty");
        }
        try (ByteBufInputStream in = new ByteBufInputStream(body.duplicate())) {
            JsonNode node = Json.MAPPER.readTree(in);
            if (node == null || node.isMissingNode()) {
                throw HttpProblem.malformedBody("the body holds no JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw HttpProblem.malformedBody("malformed JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw HttpProblem.malformedBody("unreadable JSON: " + e.getMessage());
        }
    }

    static CloudEvent toEvent(JsonNode obj) {
        EventRules.specVersion(string(obj, "specversion"));
        CloudEventBuilder b = CloudEventBuilder.v1()
                .withId(EventRules.required("id", string(obj, "id")))
                .withSource(EventRules.uri("source", EventRules.required("source", string(obj, "source"))))
                .withType(EventRules.required("type", string(obj, "type")));
        String subject = EventRules.nonEmpty("subject", string(obj, "subject"));
        if (subject != null) {
            b.withSubject(subject);
        }
        String time = string(obj, "time");
        if (time != null) {
            b.withTime(EventRules.time(time));
        }
        String schema = string(obj, "dataschema");
        if (schema != null) {
            b.withDataSchema(EventRules.uri("dataschema", schema));
        }
        String contentType = EventRules.nonEmpty("datacontenttype", string(obj, "datacontenttype"));
        if (contentType != null) {
            b.withDataContentType(contentType);
        }
        data(obj, contentType, b);
        extensions(obj, b);
        return b.build();
    }

    private static void data(JsonNode obj, String contentType, CloudEventBuilder b) {
        JsonNode data = present(obj.get("data"));
        JsonNode base64 = present(obj.get("data_base64"));
        if (data != null && base64 != null) {
            throw HttpProblem.invalidEvent("data", "an event has either 'data' or 'data_base64', not both");
        }
        if (base64 != null) {
            if (!base64.isTextual()) {
                throw HttpProblem.invalidEvent("data_base64", "'data_base64' must be a string, not " + kind(base64));
            }
            try {
                b.withData(Base64.getDecoder().decode(base64.textValue()));
            } catch (IllegalArgumentException e) {
                throw HttpProblem.invalidEvent("data_base64", "'data_base64' is not valid base64: " + e.getMessage());
            }
        } else if (data != null) {
            if (MediaType.isJson(contentType)) {
                if (contentType == null) {
                    b.withDataContentType(DEFAULT_DATA_CONTENT_TYPE);
                }
                b.withData(jsonBytes(data));
            } else if (data.isTextual()) {
                b.withData(data.textValue().getBytes(StandardCharsets.UTF_8));
            } else {
                throw HttpProblem.invalidEvent("data", "'data' must be a string when datacontenttype '"
                        + EventRules.printable(contentType) + "' is not JSON; use data_base64 for binary data");
            }
        }
    }

    private static void extensions(JsonNode obj, CloudEventBuilder b) {
        Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> member = it.next();
            String name = member.getKey();
            JsonNode value = present(member.getValue());
            if (EventRules.RESERVED.contains(name) || value == null) {
                continue;
            }
            EventRules.extensionName(name);
            if (value.isTextual()) {
                b.withExtension(name, value.textValue());
            } else if (value.isBoolean()) {
                b.withExtension(name, value.booleanValue());
            } else if (value.isIntegralNumber() && value.canConvertToInt()) {
                b.withExtension(name, value.intValue());
            } else {
                throw HttpProblem.invalidEvent(name, "extension attribute '" + name
                        + "' must be a string, a boolean or a 32-bit integer, not " + kind(value));
            }
        }
    }

    private static byte[] jsonBytes(JsonNode data) {
        try {
            return Json.MAPPER.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot re-serialize parsed JSON", e);
        }
    }

    /** A string attribute: absent or null gives null; any other JSON type is an error naming it. */
    private static String string(JsonNode obj, String name) {
        JsonNode v = present(obj.get(name));
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw HttpProblem.invalidEvent(name, "event attribute '" + name + "' must be a string, not " + kind(v));
        }
        return v.textValue();
    }

    /** JSON null means absent, as the JSON event format says. */
    private static JsonNode present(JsonNode v) {
        return v == null || v.isNull() ? null : v;
    }

    private static String kind(JsonNode v) {
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
}
