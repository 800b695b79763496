package io.weft.broker.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a subscription sends of each event: the subscription's {@code transform} object (EventBridge's
 * input transformer and RocketMQ EventBridge's four kinds). A transform replaces the event's data and
 * {@code datacontenttype}; the other attributes are kept, except {@code dataschema}, which described
 * the data it replaced and is dropped. Parsed and checked once, at creation; {@link #apply} is pure.
 *
 * <table>
 *   <caption>kinds</caption>
 *   <tr><th>kind</th><th>members</th><th>data sent</th><th>datacontenttype</th></tr>
 *   <tr><td>{@code original}</td><td></td><td>the event unchanged (the default)</td><td>kept</td></tr>
 *   <tr><td>{@code data}</td><td></td><td>the payload alone as the body: always binary mode, even when
 *       the subscription asks for structured</td><td>kept</td></tr>
 *   <tr><td>{@code constant}</td><td>{@code value}: any JSON</td><td>the value: a string as its text,
 *       anything else as JSON</td><td>{@value #TEXT} for a string, else {@value #JSON}</td></tr>
 *   <tr><td>{@code jsonpath}</td><td>{@code path}; {@code default} (JSON, null when not given)</td>
 *       <td>the value at the path, as JSON; {@code default} when the path selects nothing</td>
 *       <td>{@value #JSON}</td></tr>
 *   <tr><td>{@code template}</td><td>{@code inputs}: name to path; {@code template}; {@code format}:
 *       {@code json} (default) or {@code text}</td><td>the template with each {@code <name>} replaced
 *       by its input's value ({@link CompiledTemplate} has the escaping rules); a path that selects
 *       nothing gives null (JSON) or nothing (text)</td><td>{@value #JSON} or {@value #TEXT}</td></tr>
 * </table>
 *
 * <p>Paths ({@link JsonPath}) read the event in the CloudEvents JSON format ({@link EventJson}): attributes
 * at the top ({@code $.id}, {@code $.source}, {@code $.myextension}), the data under {@code $.data}
 * ({@code $.data.order.id}), binary data as {@code $.data_base64}, {@code $} the whole event. The
 * document and paths of RocketMQ EventBridge's transforms (and EventBridge's, rooted at the event).
 */
public abstract sealed class Transform {
    /** The datacontenttype of JSON output. */
    public static final String JSON = "application/json";
    /** The datacontenttype of text output. */
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final int MAX_INPUTS = 100;
    public static final int MAX_INPUT_NAME_CHARS = 64;

    private static final String PATH = "transform";

    /** The kinds, by their JSON name. */
    public enum Kind {
        ORIGINAL, DATA, CONSTANT, JSONPATH, TEMPLATE;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private Transform() {
    }

    /** The event to send for {@code event}. */
    public abstract CloudEvent apply(CloudEvent event);

    public abstract Kind kind();

    /** The transform as the API returns it; {@link #fromJson} reads it back. */
    public abstract ObjectNode toJson();

    /** The content mode to send in, given the subscription's: {@code data} forces binary. */
    public HttpBinding.ContentMode contentMode(HttpBinding.ContentMode configured) {
        return configured;
    }

    /** The identity transform: what a subscription without {@code transform} gets. */
    public static Transform original() {
        return Original.INSTANCE;
    }

    /**
     * Parses a subscription's {@code transform}; absent or null gives {@link #original()}.
     *
     * @throws InvalidRuleException naming the member ({@code transform.<member>})
     */
    public static Transform fromJson(JsonNode transform) {
        JsonNode t = RuleJson.object(transform, PATH);
        if (t == null) {
            return original();
        }
        String kind = RuleJson.string(t.get("kind"), PATH + ".kind");
        if (kind == null) {
            throw new InvalidRuleException(PATH + ".kind", "is required: original, data, constant, jsonpath or "
                    + "template");
        }
        switch (kind) {
            case "original":
                RuleJson.onlyMembers(t, PATH, List.of("kind"), Map.of());
                return original();
            case "data":
                RuleJson.onlyMembers(t, PATH, List.of("kind"), Map.of());
                return Data.INSTANCE;
            case "constant":
                RuleJson.onlyMembers(t, PATH, List.of("kind", "value"), Map.of());
                if (!t.has("value")) {
                    throw new InvalidRuleException(PATH + ".value", "is required: the string or JSON value to send");
                }
                return new Constant(t.get("value"));
            case "jsonpath":
                RuleJson.onlyMembers(t, PATH, List.of("kind", "path", "default"), Map.of());
                return new Path(JsonPath.parse(RuleJson.string(t.get("path"), PATH + ".path"), PATH + ".path"),
                        t.has("default") ? t.get("default") : NullNode.getInstance());
            case "template":
                RuleJson.onlyMembers(t, PATH, List.of("kind", "inputs", "template", "format"), Map.of());
                return Template.parse(t);
            default:
                throw new InvalidRuleException(PATH + ".kind", "'" + RuleJson.printable(kind)
                        + "' is not a transform kind; use original, data, constant, jsonpath or template");
        }
    }

    /** Equal when their JSON is: transforms are compared rarely (an unchanged apply). */
    @Override
    public final boolean equals(Object o) {
        return o instanceof Transform t && t.toJson().equals(toJson());
    }

    @Override
    public final int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public final String toString() {
        return toJson().toString();
    }

    /** {@code event} with new data: attributes kept, dataschema dropped. */
    static CloudEvent withData(CloudEvent event, String contentType, byte[] data) {
        return CloudEventBuilder.v1(event).withoutDataSchema().withData(contentType, data).build();
    }

    private ObjectNode kindJson() {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("kind", kind().jsonName());
        return o;
    }

    /** The event unchanged. */
    public static final class Original extends Transform {
        static final Original INSTANCE = new Original();

        private Original() {
        }

        @Override
        public CloudEvent apply(CloudEvent event) {
            return event;
        }

        @Override
        public Kind kind() {
            return Kind.ORIGINAL;
        }

        @Override
        public ObjectNode toJson() {
            return super.kindJson();
        }
    }

    /** The payload alone as the body: the event unchanged, sent in binary mode. */
    public static final class Data extends Transform {
        static final Data INSTANCE = new Data();

        private Data() {
        }

        @Override
        public CloudEvent apply(CloudEvent event) {
            return event;
        }

        @Override
        public Kind kind() {
            return Kind.DATA;
        }

        @Override
        public HttpBinding.ContentMode contentMode(HttpBinding.ContentMode configured) {
            return HttpBinding.ContentMode.BINARY;
        }

        @Override
        public ObjectNode toJson() {
            return super.kindJson();
        }
    }

    /** The same data for every event, encoded once. */
    public static final class Constant extends Transform {
        private final JsonNode value;
        private final String contentType;
        private final byte[] body;

        Constant(JsonNode value) {
            this.value = value.deepCopy();
            this.contentType = value.isTextual() ? TEXT : JSON;
            this.body = (value.isTextual() ? value.textValue() : json(value)).getBytes(StandardCharsets.UTF_8);
        }

        public JsonNode value() {
            return value.deepCopy();
        }

        @Override
        public CloudEvent apply(CloudEvent event) {
            return withData(event, contentType, body);
        }

        @Override
        public Kind kind() {
            return Kind.CONSTANT;
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode o = super.kindJson();
            o.set("value", value.deepCopy());
            return o;
        }
    }

    /** The value at one path, as JSON. */
    public static final class Path extends Transform {
        private final JsonPath path;
        private final JsonNode dflt;

        Path(JsonPath path, JsonNode dflt) {
            this.path = path;
            this.dflt = dflt.deepCopy();
        }

        public JsonPath path() {
            return path;
        }

        /** The value sent when the path selects nothing. */
        public JsonNode defaultValue() {
            return dflt.deepCopy();
        }

        @Override
        public CloudEvent apply(CloudEvent event) {
            JsonNode v = path.select(EventJson.of(event, needsData(path)));
            return withData(event, JSON, json(v == null ? dflt : v).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Kind kind() {
            return Kind.JSONPATH;
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode o = super.kindJson();
            o.put("path", path.toString());
            o.set("default", dflt.deepCopy());
            return o;
        }
    }

    /** Named inputs placed into a JSON or text template. */
    public static final class Template extends Transform {
        private final Map<String, JsonPath> inputs;
        private final String template;
        private final boolean json;
        private final JsonPath[] paths;
        private final CompiledTemplate compiled;
        private final boolean needsData;

        private Template(Map<String, JsonPath> inputs, String template, boolean json) {
            this.inputs = inputs;
            this.template = template;
            this.json = json;
            this.paths = inputs.values().toArray(new JsonPath[0]);
            this.compiled = CompiledTemplate.compile(template, json, new ArrayList<>(inputs.keySet()),
                    PATH + ".template");
            boolean data = false;
            for (JsonPath p : paths) {
                data |= needsData(p);
            }
            this.needsData = data;
        }

        static Template parse(JsonNode t) {
            String format = RuleJson.string(t.get("format"), PATH + ".format");
            if (format != null && !format.equals("json") && !format.equals("text")) {
                throw new InvalidRuleException(PATH + ".format", "'" + RuleJson.printable(format)
                        + "' is not a template format; use json or text");
            }
            String template = RuleJson.string(t.get("template"), PATH + ".template");
            if (template == null) {
                throw new InvalidRuleException(PATH + ".template", "is required: the text with <name> "
                        + "placeholders for the inputs");
            }
            Map<String, JsonPath> inputs = new LinkedHashMap<>();
            JsonNode in = RuleJson.object(t.get("inputs"), PATH + ".inputs");
            if (in != null) {
                if (in.size() > MAX_INPUTS) {
                    throw new InvalidRuleException(PATH + ".inputs", in.size() + " inputs are more than the limit of "
                            + MAX_INPUTS);
                }
                Iterator<Map.Entry<String, JsonNode>> it = in.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String field = PATH + ".inputs." + RuleJson.printable(e.getKey());
                    checkInputName(e.getKey(), field);
                    inputs.put(e.getKey(), JsonPath.parse(RuleJson.string(e.getValue(), field), field));
                }
            }
            return new Template(inputs, template, !"text".equals(format));
        }

        public Map<String, JsonPath> inputs() {
            return inputs;
        }

        public String template() {
            return template;
        }

        /** True for a JSON template, false for text. */
        public boolean isJson() {
            return json;
        }

        @Override
        public CloudEvent apply(CloudEvent event) {
            ObjectNode doc = EventJson.of(event, needsData);
            JsonNode[] values = new JsonNode[paths.length];
            for (int i = 0; i < paths.length; i++) {
                values[i] = paths[i].select(doc);
            }
            return withData(event, json ? JSON : TEXT, compiled.render(values).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Kind kind() {
            return Kind.TEMPLATE;
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode o = super.kindJson();
            ObjectNode in = o.putObject("inputs");
            inputs.forEach((name, path) -> in.put(name, path.toString()));
            o.put("template", template);
            o.put("format", json ? "json" : "text");
            return o;
        }

        private static void checkInputName(String name, String field) {
            boolean ok = !name.isEmpty() && name.length() <= MAX_INPUT_NAME_CHARS;
            for (int i = 0; ok && i < name.length(); i++) {
                ok = CompiledTemplate.isNameChar(name.charAt(i));
            }
            if (!ok) {
                throw new InvalidRuleException(field, "an input name is 1 to " + MAX_INPUT_NAME_CHARS
                        + " ASCII letters, digits, _, - and .");
            }
        }
    }

    /** Does {@code path} read the data (or the whole event)? Otherwise the data is not parsed. */
    private static boolean needsData(JsonPath path) {
        String first = path.firstMember();
        return path.isRoot() || "data".equals(first) || "data_base64".equals(first);
    }

    private static String json(JsonNode v) {
        try {
            return RuleJson.MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a parsed JSON value", e);
        }
    }
}
