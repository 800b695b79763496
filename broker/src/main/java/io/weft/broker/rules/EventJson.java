package io.weft.broker.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.types.Time;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A CloudEvent as the document a transform's JSONPaths read: the CloudEvents JSON format. Attributes are
 * top-level members (extensions too; Integer and Boolean extensions as JSON numbers and booleans, the
 * rest as their canonical strings); the data is {@code data}: a JSON value when the datacontenttype is
 * JSON (or absent, which the JSON format reads as JSON), a string when it is text
 * ({@code text/*}, XML) or JSON that does not parse but is UTF-8; otherwise the bytes are
 * {@code data_base64}.
 */
final class EventJson {
    private EventJson() {
    }

    /** The event's document; {@code withData} false leaves out the data, saving its parse. */
    static ObjectNode of(CloudEvent e, boolean withData) {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("specversion", e.getSpecVersion().toString());
        o.put("id", e.getId());
        o.put("source", e.getSource().toString());
        o.put("type", e.getType());
        putIfPresent(o, "datacontenttype", e.getDataContentType());
        putIfPresent(o, "dataschema", e.getDataSchema() == null ? null : e.getDataSchema().toString());
        putIfPresent(o, "subject", e.getSubject());
        putIfPresent(o, "time", e.getTime() == null ? null : Time.writeTime(e.getTime()));
        for (String name : new TreeSet<>(e.getExtensionNames())) {
            Object v = e.getExtension(name);
            if (v instanceof Integer n) {
                o.put(name, n);
            } else if (v instanceof Boolean b) {
                o.put(name, b);
            } else if (v != null) {
                o.put(name, HttpBinding.canonical(v));
            }
        }
        if (withData && e.getData() != null) {
            byte[] bytes = e.getData().toBytes();
            JsonNode data = data(e.getDataContentType(), bytes);
            if (data != null) {
                o.set("data", data);
            } else {
                o.put("data_base64", Base64.getEncoder().encodeToString(bytes));
            }
        }
        return o;
    }

    /** The data as a JSON value ({@code data} of the JSON format), or null when it is binary. */
    static JsonNode data(String contentType, byte[] bytes) {
        if (isJson(contentType)) {
            try {
                JsonNode tree = RuleJson.MAPPER.readTree(bytes);
                if (!tree.isMissingNode()) {
                    return tree;
                }
            } catch (IOException notJson) {
                // declared JSON but is not: read it as text below
            }
            String text = utf8(bytes);
            return text == null ? null : TextNode.valueOf(text);
        }
        if (isText(contentType)) {
            String text = utf8(bytes);
            return text == null ? null : TextNode.valueOf(text);
        }
        return null;
    }

    /** {@code application/json}, {@code text/json}, any {@code +json}, or absent. */
    static boolean isJson(String contentType) {
        String t = mediaType(contentType);
        return t == null || t.equals("application/json") || t.equals("text/json") || t.endsWith("+json");
    }

    /** {@code text/*}, {@code application/xml}, any {@code +xml}. */
    static boolean isText(String contentType) {
        String t = mediaType(contentType);
        return t != null && (t.startsWith("text/") || t.equals("application/xml") || t.endsWith("+xml"));
    }

    private static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** The bytes as a string when they are well-formed UTF-8, else null. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static void putIfPresent(ObjectNode o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }
}
