package io.weft.broker.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.types.Time;
import java.net.URI;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a subscription's events become HTTP requests: the CloudEvents HTTP protocol binding plus the
 * subscription's {@code protocolsettings}. Pure: an event in, a method, headers and body out; sending
 * is the caller's.
 *
 * <pre>
 * "protocolsettings": {
 *   "method": "POST",                             // POST (default), PUT or PATCH
 *   "headers": {"Authorization": "Bearer ..."},   // added to every request
 *   "contentmode": "binary"                       // binary (default) or structured
 * }
 * </pre>
 *
 * <ul>
 *   <li><b>binary</b> (default): every attribute but {@code datacontenttype} is a {@code ce-<name>}
 *       header (core attributes first, then extensions by name), percent-encoded as the binding requires
 *       ({@link #percentEncode}); {@code datacontenttype} is {@code Content-Type} (absent when the event
 *       has none); the data is the body, as is.</li>
 *   <li><b>structured</b>: the whole event in the CloudEvents JSON format (the SDK's
 *       {@link JsonFormat}) with {@code Content-Type: application/cloudevents+json; charset=UTF-8}. JSON
 *       data is inlined as {@code data}, text ({@code text/*}, XML) as a string, other data as
 *       {@code data_base64}.</li>
 * </ul>
 * The user's headers follow the binding's. They may not set what the binding or the HTTP client owns:
 * {@code ce-*}, {@code Content-Type}, and the framing and connection headers ({@code Content-Length},
 * {@code Transfer-Encoding}, {@code Host}, {@code Connection} ...); such a header, a name that is not an
 * HTTP token, and a value with characters other than visible ASCII, space and tab are refused at
 * validation with the header's path ({@code protocolsettings.headers.Content-Type}). At most
 * {@value #MAX_HEADERS} headers of at most {@value #MAX_HEADER_VALUE_CHARS} characters.
 *
 * @param method      POST, PUT or PATCH: the event travels in the body
 * @param headers     the user's headers, in the order given
 * @param contentMode binary or structured
 */
public record HttpBinding(String method, List<Header> headers, ContentMode contentMode) {
    public static final String STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    public static final int MAX_HEADERS = 64;
    public static final int MAX_HEADER_NAME_CHARS = 256;
    public static final int MAX_HEADER_VALUE_CHARS = 8192;
    static final List<String> METHODS = List.of("POST", "PUT", "PATCH");
    /** Headers the binding or the HTTP client sets; lower case. */
    static final Set<String> RESERVED_HEADERS = Set.of("content-type", "content-length", "transfer-encoding",
            "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect");

    private static final String PATH = "protocolsettings";
    private static final List<String> MEMBERS = List.of("method", "headers", "contentmode");
    private static final JsonFormat FORMAT = new JsonFormat();
    /** The SDK writes all non-JSON data as data_base64 unless told; text is more useful as a string. */
    private static final JsonFormat FORMAT_TEXT_DATA = new JsonFormat().withForceNonJsonDataToString();
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The CloudEvents HTTP binding's content modes Weft sends (batched is never sent unsolicited). */
    public enum ContentMode {
        BINARY, STRUCTURED;

        /** The JSON name: {@code binary}, {@code structured}. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One request header. */
    public record Header(String name, String value) {
    }

    /**
     * An encoded request. {@code body} is not copied (it may be the event's data array): do not modify it.
     * Records compare arrays by identity, so compare bodies with {@code Arrays.equals}.
     */
    public record Request(String method, List<Header> headers, byte[] body) {
        /** The first value of header {@code name} (case-insensitive), or null. */
        public String header(String name) {
            for (Header h : headers) {
                if (h.name().equalsIgnoreCase(name)) {
                    return h.value();
                }
            }
            return null;
        }
    }

    public HttpBinding {
        if (!METHODS.contains(method)) {
            throw new InvalidRuleException(PATH + ".method", "'" + RuleJson.printable(String.valueOf(method))
                    + "' is not allowed; use POST, PUT or PATCH (the event travels in the body)");
        }
        if (contentMode == null) {
            throw new InvalidRuleException(PATH + ".contentmode", "is required");
        }
        headers = List.copyOf(headers);
        if (headers.size() > MAX_HEADERS) {
            throw new InvalidRuleException(PATH + ".headers", headers.size() + " headers are more than the limit of "
                    + MAX_HEADERS);
        }
        Set<String> seen = new HashSet<>();
        for (Header h : headers) {
            checkHeader(h.name(), h.value());
            if (!seen.add(h.name().toLowerCase(Locale.ROOT))) {
                throw new InvalidRuleException(PATH + ".headers." + h.name(), "given twice (header names are "
                        + "case-insensitive)");
            }
        }
    }

    /** POST, no headers, binary mode: what a subscription without {@code protocolsettings} gets. */
    public static HttpBinding defaults() {
        return new HttpBinding("POST", List.of(), ContentMode.BINARY);
    }

    /**
     * Parses a subscription's {@code protocolsettings} for protocol HTTP; absent or null gives
     * {@link #defaults()}. Unknown members are errors.
     *
     * @throws InvalidRuleException naming the member ({@code protocolsettings.<member>})
     */
    public static HttpBinding fromJson(JsonNode protocolsettings) {
        JsonNode p = RuleJson.object(protocolsettings, PATH);
        if (p == null) {
            return defaults();
        }
        RuleJson.onlyMembers(p, PATH, MEMBERS, Map.of());
        String method = RuleJson.string(p.get("method"), PATH + ".method");
        List<Header> headers = new ArrayList<>();
        JsonNode h = RuleJson.object(p.get("headers"), PATH + ".headers");
        if (h != null) {
            Iterator<Map.Entry<String, JsonNode>> it = h.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = PATH + ".headers." + RuleJson.printable(e.getKey());
                JsonNode v = e.getValue();
                if (v == null || !v.isTextual()) {
                    throw new InvalidRuleException(path, "a header value must be a string, not "
                            + RuleJson.kind(v));
                }
                headers.add(new Header(e.getKey(), v.textValue()));
            }
        }
        return new HttpBinding(method == null ? "POST" : method, headers,
                contentMode(RuleJson.string(p.get("contentmode"), PATH + ".contentmode")));
    }

    /** The realized settings, as the API returns them; {@link #fromJson} reads them back. */
    public ObjectNode toJson() {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("method", method);
        ObjectNode h = o.putObject("headers");
        for (Header header : headers) {
            h.put(header.name(), header.value());
        }
        o.put("contentmode", contentMode.jsonName());
        return o;
    }

    /** The request for {@code original} after {@code transform}, in the content mode the transform asks for. */
    public Request encode(CloudEvent original, Transform transform) {
        return encode(transform.apply(original), transform.contentMode(contentMode));
    }

    /** The request for {@code event} in this binding's content mode. */
    public Request encode(CloudEvent event) {
        return encode(event, contentMode);
    }

    /** The request for {@code event} in {@code mode}. */
    public Request encode(CloudEvent event, ContentMode mode) {
        List<Header> out = new ArrayList<>(8 + event.getExtensionNames().size() + headers.size());
        CloudEventData data = event.getData();
        byte[] body;
        if (mode == ContentMode.STRUCTURED) {
            out.add(new Header("Content-Type", STRUCTURED_CONTENT_TYPE));
            boolean text = data != null && EventJson.isText(event.getDataContentType())
                    && EventJson.utf8(data.toBytes()) != null;
            body = (text ? FORMAT_TEXT_DATA : FORMAT).serialize(event);
        } else {
            binaryHeaders(event, out);
            body = data == null ? new byte[0] : data.toBytes();
        }
        out.addAll(headers);
        return new Request(method, List.copyOf(out), body);
    }

    private static void binaryHeaders(CloudEvent e, List<Header> out) {
        out.add(ce("specversion", e.getSpecVersion().toString()));
        out.add(ce("id", e.getId()));
        out.add(ce("source", e.getSource().toString()));
        out.add(ce("type", e.getType()));
        if (e.getSubject() != null) {
            out.add(ce("subject", e.getSubject()));
        }
        if (e.getTime() != null) {
            out.add(ce("time", Time.writeTime(e.getTime())));
        }
        if (e.getDataSchema() != null) {
            out.add(ce("dataschema", e.getDataSchema().toString()));
        }
        for (String name : new TreeSet<>(e.getExtensionNames())) {
            Object v = e.getExtension(name);
            if (v != null) {
                out.add(ce(name, canonical(v)));
            }
        }
        if (e.getDataContentType() != null) {
            out.add(new Header("Content-Type", e.getDataContentType()));
        }
    }

    private static Header ce(String name, String value) {
        return new Header("ce-" + name, percentEncode(value));
    }

    /** The canonical string of an extension value (CloudEvents type system). */
    static String canonical(Object v) {
        if (v instanceof OffsetDateTime t) {
            return Time.writeTime(t);
        }
        if (v instanceof byte[] b) {
            return Base64.getEncoder().encodeToString(b);
        }
        if (v instanceof URI || v instanceof String || v instanceof Integer || v instanceof Boolean) {
            return v.toString();
        }
        throw new IllegalArgumentException("extension value of type " + v.getClass().getName()
                + " is not in the CloudEvents type system");
    }

    /**
     * Percent-encodes a header value as the HTTP binding requires (3.1.3.2): space, {@code "}, {@code %}
     * and every character outside U+0021..U+007E become the {@code %XX} escapes of their UTF-8 bytes, upper
     * case, one code point at a time ({@code Euro € 😀} gives {@code Euro%20%E2%82%AC%20%F0%9F%98%80}).
     * A lone surrogate, which UTF-8 cannot carry, is sent as U+FFFD.
     */
    public static String percentEncode(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && !mustEncode(s.charAt(i))) {
            i++;
        }
        if (i == n) {
            return s;
        }
        StringBuilder b = new StringBuilder(n + 16).append(s, 0, i);
        while (i < n) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 0x80 && !mustEncode((char) cp)) {
                b.append((char) cp);
            } else {
                utf8Escaped(cp <= 0xFFFF && Character.isSurrogate((char) cp) ? 0xFFFD : cp, b);
            }
        }
        return b.toString();
    }

    private static boolean mustEncode(char c) {
        return c <= 0x20 || c == '"' || c == '%' || c >= 0x7F;
    }

    private static void utf8Escaped(int cp, StringBuilder b) {
        if (cp < 0x80) {
            hex(cp, b);
        } else if (cp < 0x800) {
            hex(0xC0 | cp >> 6, b);
            hex(0x80 | cp & 0x3F, b);
        } else if (cp < 0x10000) {
            hex(0xE0 | cp >> 12, b);
            hex(0x80 | cp >> 6 & 0x3F, b);
            hex(0x80 | cp & 0x3F, b);
        } else {
            hex(0xF0 | cp >> 18, b);
            hex(0x80 | cp >> 12 & 0x3F, b);
            hex(0x80 | cp >> 6 & 0x3F, b);
            hex(0x80 | cp & 0x3F, b);
        }
    }

    private static void hex(int octet, StringBuilder b) {
        b.append('%').append(HEX[octet >> 4]).append(HEX[octet & 0xF]);
    }

    private static ContentMode contentMode(String s) {
        if (s == null) {
            return ContentMode.BINARY;
        }
        for (ContentMode m : ContentMode.values()) {
            if (m.jsonName().equals(s)) {
                return m;
            }
        }
        throw new InvalidRuleException(PATH + ".contentmode", "'" + RuleJson.printable(s)
                + "' is not a content mode; use binary or structured");
    }

    private static void checkHeader(String name, String value) {
        String path = PATH + ".headers." + RuleJson.printable(name);
        if (name.isEmpty() || name.length() > MAX_HEADER_NAME_CHARS || !isToken(name)) {
            throw new InvalidRuleException(path, "not a valid header name (an HTTP token of at most "
                    + MAX_HEADER_NAME_CHARS + " characters: letters, digits and !#$%&'*+-.^_`|~)");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("ce-")) {
            throw new InvalidRuleException(path, "ce- headers carry the event's attributes and are set from the "
                    + "event; a subscription may not override them");
        }
        if (RESERVED_HEADERS.contains(lower)) {
            throw new InvalidRuleException(path, lower.equals("content-type")
                    ? "Content-Type is set from the event's datacontenttype (or the structured format); a "
                            + "subscription may not override it"
                    : "set by the HTTP client; a subscription may not set it");
        }
        if (value == null) {
            throw new InvalidRuleException(path, "a header value must be a string");
        }
        if (value.length() > MAX_HEADER_VALUE_CHARS) {
            throw new InvalidRuleException(path, "value longer than " + MAX_HEADER_VALUE_CHARS + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c == '\t' || c >= 0x20 && c < 0x7F)) {
                throw new InvalidRuleException(path, "character U+" + String.format("%04X", (int) c)
                        + " at index " + i + " of the value; use visible ASCII, space and tab (percent-encode the"
                        + " rest)");
            }
        }
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
