package io.weft.broker.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.Topics;
import io.weft.routing.filter.EventFilter;
import io.weft.routing.filter.EventFilters;
import io.weft.routing.filter.InvalidFilterException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * One event rule: a subscription of the CloudEvents Subscriptions API ({@code POST /v1/subscriptions}),
 * parsed, validated and with every default filled in. Immutable; stored as mesh state in the form of
 * {@link #toJson toJson(true)} and read back with {@link #fromStored}.
 *
 * <pre>
 * {
 *   "id": "k3v9x0q2m7c4h8w1z5ab",                 // assigned by the server; ignored on create
 *   "types": ["com.shop.order.created"],          // CE type is one of them (absent: any type)
 *   "source": "/shop",                            // CE source equals it (absent: any source)
 *   "filters": [{"sql": "amount &gt; 100"}],         // Subscriptions API filters, ANDed (default [])
 *   "sink": "https://hooks.example.com/orders",   // required: http or https, with a host
 *   "sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "..."},  // or PLAIN
 *   "protocol": "HTTP",                           // required, exactly HTTP
 *   "protocolsettings": {...},                    // HttpBinding
 *   "topic": "orders.&gt;",                          // Weft: the pattern subscribed to (default &gt;)
 *   "mode": "best-effort",                        // or durable
 *   "site": "eu-1",                               // where the delivery runs (default the creating node's)
 *   "delivery": {...},                            // DeliveryPolicy
 *   "transform": {...},                           // Transform
 *   "ordered": false,                             // true: one delivery in flight, in order
 *   "concurrency": 16                             // deliveries in flight, 1..256 (1 when ordered)
 * }
 * </pre>
 *
 * <p><b>What is refused</b>, each as an {@link InvalidRuleException} whose field is the member's JSON
 * path: a body that is not an object ({@code body}), unknown members (named, with a hint for the usual
 * mistakes), a {@code protocol} other than {@code HTTP} (case-sensitive, as the spec requires), a
 * non-empty {@code config} (Weft routes events, it does not generate them), the {@code REFRESHTOKEN}
 * credential, an {@code ordered} subscription with {@code concurrency} above 1, an internal
 * {@code _weft} topic pattern, and a routing filter over {@value #MAX_ROUTING_FILTER_BYTES} bytes.
 *
 * <p><b>Secrets are write-only</b> (the spec's SHOULD): {@link #toJson toJson(false)}, what the API
 * returns, <em>omits</em> {@code accesstoken} and {@code secret} and keeps the rest of the credential
 * ({@code credentialtype}, {@code identifier}, {@code accesstokentype}, {@code accesstokenexpiresutc}),
 * so a reader sees that a credential is set and of which kind. Omitting rather than masking as
 * {@code "***"} makes a client that PUTs back what it GOT fail loudly
 * ({@code sinkcredential.accesstoken: is required}) instead of silently replacing the token with three
 * stars. Error messages never quote a secret. Headers in {@code protocolsettings} are not secret and are
 * returned as given: a credential belongs in {@code sinkcredential}.
 *
 * <p><b>Routing</b>: {@link #routingFilter()} is what the mesh evaluates and gossips with the
 * subscription's interest in {@link #topic()}: the types, the source and the filters ANDed into one
 * {@link EventFilters}, deterministic, so that equal specs join the interest gossip with the same
 * canonical text.
 *
 * <p>Equality is that of the stored form ({@code toJson(true)}), secrets included, so an unchanged
 * {@code meshctl apply} compares equal and a changed token does not.
 */
public final class SubscriptionSpec {
    public static final String PROTOCOL = "HTTP";
    public static final String DEFAULT_TOPIC = ">";
    public static final int DEFAULT_CONCURRENCY = 16;
    public static final int MAX_CONCURRENCY = 256;
    /** Length of a {@link #newId} id: 20 of 36 symbols, about 103 random bits. */
    public static final int NEW_ID_CHARS = 20;
    public static final int MAX_ID_CHARS = 64;
    /** The URL length every HTTP client and proxy accepts; a longer sink is almost surely a mistake. */
    public static final int MAX_SINK_CHARS = 2048;
    /**
     * Bound on the routing filter's canonical UTF-8 text. It travels in every interest gossip message
     * that carries the subscription's entry (as a str16, at most 65535 bytes) and is parsed by every
     * node; 16 KiB holds a long CESQL expression or a few hundred types, and keeps a node's full
     * gossip state of many rules well under a 1 MiB link frame.
     */
    public static final int MAX_ROUTING_FILTER_BYTES = 16 * 1024;

    private static final List<String> MEMBERS = List.of("id", "types", "source", "filters", "sink", "sinkcredential",
            "protocol", "protocolsettings", "config", "topic", "mode", "site", "delivery", "transform", "ordered",
            "concurrency");
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("filter", "use filters: an array of filters, all of which must accept the event"),
            Map.entry("retry", "belongs in delivery: {\"delivery\": {\"retry\": ...}}"),
            Map.entry("backoffPolicy", "belongs in delivery"),
            Map.entry("backoffDelay", "belongs in delivery"),
            Map.entry("backoffMax", "belongs in delivery"),
            Map.entry("timeout", "belongs in delivery"),
            Map.entry("deadLetterTopic", "belongs in delivery: {\"delivery\": {\"deadLetterTopic\": ...}}"),
            Map.entry("headers", "belongs in protocolsettings: {\"protocolsettings\": {\"headers\": ...}}"),
            Map.entry("method", "belongs in protocolsettings"),
            Map.entry("contentmode", "belongs in protocolsettings"));
    private static final String CREDENTIAL = "sinkcredential";
    private static final List<String> ACCESS_TOKEN_MEMBERS = List.of("credentialtype", "accesstoken",
            "accesstokentype", "accesstokenexpiresutc");
    private static final List<String> PLAIN_MEMBERS = List.of("credentialtype", "identifier", "secret");
    private static final Pattern ID = Pattern.compile("[a-z0-9-]{1," + MAX_ID_CHARS + "}");
    /** The rule of meshd's {@code --site}. */
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final char[] ID_SYMBOLS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** How events reach the delivery. */
    public enum Mode {
        /** From core routing: what is in flight when the delivering node dies is lost (counted). */
        BEST_EFFORT("best-effort"),
        /** From a stream consumer: at least once, resumes from the acked cursor on another node. */
        DURABLE("durable");

        private final String jsonName;

        Mode(String jsonName) {
            this.jsonName = jsonName;
        }

        /** The JSON name: {@code best-effort}, {@code durable}. */
        public String jsonName() {
            return jsonName;
        }
    }

    /** The {@code sinkcredential}: how deliveries authenticate to the sink. toString never shows a secret. */
    public sealed interface SinkCredential {
        /** {@code ACCESSTOKEN} or {@code PLAIN}. */
        String credentialType();

        /** The {@code Authorization} header every delivery carries. */
        HttpBinding.Header header();

        /** The credential's JSON; without secrets, the write-only members are left out. */
        ObjectNode toJson(boolean withSecrets);

        /**
         * {@code ACCESSTOKEN}: sent as {@code Authorization: Bearer <token>}. Weft does not refresh it:
         * replace it (PUT) before {@code expiresUtc}, which is kept and shown but not acted on.
         *
         * @param token      visible ASCII, no spaces
         * @param tokenType  {@code bearer}, the only kind sent (the OpenAPI default)
         * @param expiresUtc when the token expires, or null when not given
         */
        record AccessToken(String token, String tokenType, Instant expiresUtc) implements SinkCredential {
            @Override
            public String credentialType() {
                return "ACCESSTOKEN";
            }

            @Override
            public HttpBinding.Header header() {
                return new HttpBinding.Header("Authorization", "Bearer " + token);
            }

            @Override
            public ObjectNode toJson(boolean withSecrets) {
                ObjectNode o = RuleJson.MAPPER.createObjectNode();
                o.put("credentialtype", credentialType());
                if (withSecrets) {
                    o.put("accesstoken", token);
                }
                o.put("accesstokentype", tokenType);
                if (expiresUtc != null) {
                    o.put("accesstokenexpiresutc", expiresUtc.toString());
                }
                return o;
            }

            @Override
            public String toString() {
                return toJson(false).toString();
            }
        }

        /**
         * {@code PLAIN}: sent as HTTP Basic ({@code Authorization: Basic base64(identifier:secret)}, UTF-8,
         * RFC 7617).
         *
         * @param identifier the user name: not empty, no {@code :} (Basic cannot carry it), no control characters
         * @param secret     the password, possibly empty (an API key as the identifier), no control characters
         */
        record Plain(String identifier, String secret) implements SinkCredential {
            @Override
            public String credentialType() {
                return "PLAIN";
            }

            @Override
            public HttpBinding.Header header() {
                byte[] pair = (identifier + ":" + secret).getBytes(StandardCharsets.UTF_8);
                return new HttpBinding.Header("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair));
            }

            @Override
            public ObjectNode toJson(boolean withSecrets) {
                ObjectNode o = RuleJson.MAPPER.createObjectNode();
                o.put("credentialtype", credentialType());
                o.put("identifier", identifier);
                if (withSecrets) {
                    o.put("secret", secret);
                }
                return o;
            }

            @Override
            public String toString() {
                return toJson(false).toString();
            }
        }
    }

    private final String id;
    private final List<String> types;
    private final String source;
    private final EventFilters filters;
    private final URI sink;
    private final SinkCredential sinkCredential;
    private final HttpBinding protocolSettings;
    private final String topic;
    private final Mode mode;
    private final String site;
    private final DeliveryPolicy delivery;
    private final Transform transform;
    private final boolean ordered;
    private final int concurrency;
    private final EventFilters routingFilter;
    private final List<HttpBinding.Header> credentialHeaders;
    /** toJson(true), built once; handed out as copies only. */
    private final ObjectNode stored;

    private SubscriptionSpec(String id, List<String> types, String source, EventFilters filters, URI sink,
            SinkCredential sinkCredential, HttpBinding protocolSettings, String topic, Mode mode, String site,
            DeliveryPolicy delivery, Transform transform, boolean ordered, int concurrency) {
        this.id = id;
        this.types = List.copyOf(types);
        this.source = source;
        this.filters = filters;
        this.sink = sink;
        this.sinkCredential = sinkCredential;
        this.protocolSettings = protocolSettings;
        this.topic = topic;
        this.mode = mode;
        this.site = site;
        this.delivery = delivery;
        this.transform = transform;
        this.ordered = ordered;
        this.concurrency = concurrency;
        this.routingFilter = joinFilters(this.types, source, filters);
        this.credentialHeaders = sinkCredential == null ? List.of() : List.of(sinkCredential.header());
        if (sinkCredential != null) {
            for (HttpBinding.Header h : protocolSettings.headers()) {
                if (h.name().equalsIgnoreCase("Authorization")) {
                    throw new InvalidRuleException("protocolsettings.headers." + h.name(), "sinkcredential sets the "
                            + "Authorization header: give the credential once, in sinkcredential (write-only)");
                }
            }
        }
        this.stored = json(true);
    }

    /**
     * Reads a create (or update) request. The body's {@code id}, if any, is ignored, as the spec requires:
     * the subscription gets {@code id}.
     *
     * @param id          the server-assigned id ({@link #newId}) or, for an update, the path's id
     * @param defaultSite the site when the body gives none: the creating node's
     * @throws InvalidRuleException naming the member's JSON path ({@code body} when it is not an object)
     */
    public static SubscriptionSpec fromJson(JsonNode body, String id, String defaultSite) {
        Objects.requireNonNull(defaultSite, "defaultSite");
        checkId(id);
        return parse(body, id, defaultSite);
    }

    /**
     * Reads what {@link #toJson toJson(true)} wrote: {@code id} and {@code site} required, the rest as on
     * create. {@code fromStored(s.toJson(true))} equals {@code s}. The JSON without secrets does not read
     * back when there is a credential (its secret is missing).
     *
     * @throws InvalidRuleException naming the member's JSON path
     */
    public static SubscriptionSpec fromStored(JsonNode stored) {
        requireObject(stored);
        String id = RuleJson.string(stored.get("id"), "id");
        if (id == null) {
            throw new InvalidRuleException("id", "is required in a stored subscription");
        }
        checkId(id);
        String site = RuleJson.string(stored.get("site"), "site");
        if (site == null) {
            throw new InvalidRuleException("site", "is required in a stored subscription");
        }
        return parse(stored, id, site);
    }

    /** A new random id: {@value #NEW_ID_CHARS} lower-case letters and digits. */
    public static String newId(RandomGenerator random) {
        char[] c = new char[NEW_ID_CHARS];
        for (int i = 0; i < c.length; i++) {
            c[i] = ID_SYMBOLS[random.nextInt(ID_SYMBOLS.length)];
        }
        return new String(c);
    }

    /** Whether {@code id} is a subscription id: 1 to {@value #MAX_ID_CHARS} of {@code a-z}, {@code 0-9}, {@code -}. */
    public static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    private static SubscriptionSpec parse(JsonNode body, String id, String defaultSite) {
        requireObject(body);
        onlyMembers(body, "", MEMBERS, HINTS);
        List<String> types = types(body.get("types"));
        String source = source(body.get("source"));
        EventFilters filters = filters(body.get("filters"));
        URI sink = sink(body.get("sink"));
        SinkCredential credential = credential(body.get(CREDENTIAL));
        protocol(body.get("protocol"));
        HttpBinding settings = HttpBinding.fromJson(body.get("protocolsettings"));
        config(body.get("config"));
        String topic = topic(body.get("topic"));
        Mode mode = mode(body.get("mode"));
        String site = site(body.get("site"), defaultSite);
        DeliveryPolicy delivery = DeliveryPolicy.fromJson(body.get("delivery"));
        Transform transform = Transform.fromJson(body.get("transform"));
        boolean ordered = bool(body.get("ordered"), "ordered");
        int concurrency = concurrency(body.get("concurrency"), ordered);
        return new SubscriptionSpec(id, types, source, filters, sink, credential, settings, topic, mode, site,
                delivery, transform, ordered, concurrency);
    }

    /**
     * The realized subscription, members in a fixed order (id, types, source, filters, sink,
     * sinkcredential, protocol, protocolsettings, topic, mode, site, delivery, transform, ordered,
     * concurrency); {@code types}, {@code source} and {@code sinkcredential} only when given. The
     * filters are in their canonical form ({@code cesql} written {@code sql}, keys sorted).
     *
     * @param withSecrets true for storage ({@link #fromStored} reads it back); false for the API, which
     *                    leaves out the credential's token or secret
     */
    public ObjectNode toJson(boolean withSecrets) {
        return withSecrets ? stored.deepCopy() : json(false);
    }

    private ObjectNode json(boolean withSecrets) {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("id", id);
        if (!types.isEmpty()) {
            ArrayNode a = o.putArray("types");
            types.forEach(a::add);
        }
        if (source != null) {
            o.put("source", source);
        }
        o.set("filters", filtersJson(filters));
        o.put("sink", sink.toString());
        if (sinkCredential != null) {
            o.set(CREDENTIAL, sinkCredential.toJson(withSecrets));
        }
        o.put("protocol", PROTOCOL);
        o.set("protocolsettings", protocolSettings.toJson());
        o.put("topic", topic);
        o.put("mode", mode.jsonName());
        o.put("site", site);
        o.set("delivery", delivery.toJson());
        o.set("transform", transform.toJson());
        o.put("ordered", ordered);
        o.put("concurrency", concurrency);
        return o;
    }

    /** The server-assigned id. */
    public String id() {
        return id;
    }

    /** The CE types an event must have one of, in the order given; empty for any type. */
    public List<String> types() {
        return types;
    }

    /** The CE source an event must have, or null for any source. */
    public String source() {
        return source;
    }

    /** The user's filters, ANDed; accept-all when none. */
    public EventFilters filters() {
        return filters;
    }

    /** The absolute http or https URL deliveries go to. */
    public URI sink() {
        return sink;
    }

    /** The credential, or null when deliveries carry none. */
    public SinkCredential sinkCredential() {
        return sinkCredential;
    }

    /** Always {@value #PROTOCOL}. */
    public String protocol() {
        return PROTOCOL;
    }

    public HttpBinding protocolSettings() {
        return protocolSettings;
    }

    /** The topic pattern the rule subscribes to; {@value #DEFAULT_TOPIC} by default. */
    public String topic() {
        return topic;
    }

    public Mode mode() {
        return mode;
    }

    /** {@code mode() == DURABLE}: the delivery reads a stream consumer. */
    public boolean durable() {
        return mode == Mode.DURABLE;
    }

    /** The site whose nodes run the delivery (exactly one of them at a time). */
    public String site() {
        return site;
    }

    public DeliveryPolicy delivery() {
        return delivery;
    }

    public Transform transform() {
        return transform;
    }

    /** True: one delivery in flight at a time, in the order events arrive. */
    public boolean ordered() {
        return ordered;
    }

    /** Deliveries in flight at once for this subscription: 1 when ordered, else 1..{@value #MAX_CONCURRENCY}. */
    public int concurrency() {
        return concurrency;
    }

    /**
     * The filter the mesh routes with, joined to the interest in {@link #topic()}: the AND of
     * {@code exact {type}} (one type) or {@code any} of them (several, sorted), {@code exact {source}}, and
     * the user's filters in their order. It accepts an event exactly when its type is one of
     * {@link #types()}, its source is {@link #source()} and every filter accepts it. Accept-all when the
     * spec has none of the three (route it without a filter then).
     */
    public EventFilters routingFilter() {
        return routingFilter;
    }

    /** The headers the credential adds to every delivery: empty, or {@code Authorization}. */
    public List<HttpBinding.Header> credentialHeaders() {
        return credentialHeaders;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SubscriptionSpec s && s.stored.equals(stored);
    }

    @Override
    public int hashCode() {
        return stored.hashCode();
    }

    /** The JSON without secrets. */
    @Override
    public String toString() {
        return json(false).toString();
    }

    private static EventFilters joinFilters(List<String> types, String source, EventFilters filters) {
        List<EventFilter> parts = new ArrayList<>();
        if (!types.isEmpty()) {
            List<EventFilter> exact = new ArrayList<>();
            for (String type : new TreeSet<>(types)) {
                exact.add(EventFilter.exact(Map.of("type", type)));
            }
            parts.add(exact.size() == 1 ? exact.get(0) : EventFilter.any(exact));
        }
        if (source != null) {
            parts.add(EventFilter.exact(Map.of("source", source)));
        }
        parts.addAll(filters.filters());
        EventFilters routing = EventFilters.of(parts);
        int bytes = routing.canonical().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ROUTING_FILTER_BYTES) {
            String field = !filters.isAcceptAll() ? "filters" : !types.isEmpty() ? "types" : "source";
            throw new InvalidRuleException(field, "types, source and filters together make a routing filter of "
                    + bytes + " bytes, more than the limit of " + MAX_ROUTING_FILTER_BYTES + " (it travels in the "
                    + "interest gossip)");
        }
        return routing;
    }

    private static ArrayNode filtersJson(EventFilters filters) {
        try {
            return (ArrayNode) RuleJson.MAPPER.readTree(filters.canonical());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a filter's canonical text is not JSON: " + filters.canonical(), e);
        }
    }

    // ---- reading the members

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidRuleException("body", "a subscription is a JSON object, not "
                    + (body == null ? "nothing" : RuleJson.kind(body)));
        }
    }

    /** As {@link RuleJson#onlyMembers}, at the top level too, and with a hint for a member in camel case. */
    private static void onlyMembers(JsonNode obj, String prefix, List<String> known, Map<String, String> hints) {
        Iterator<String> names = obj.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (known.contains(name)) {
                continue;
            }
            String lower = name.toLowerCase(Locale.ROOT);
            String hint = known.contains(lower) ? "member names are lower case: use " + lower : hints.get(name);
            throw new InvalidRuleException(prefix + RuleJson.printable(name), hint != null ? hint
                    : "unknown member; expected " + String.join(", ", known));
        }
    }

    private static void checkId(String id) {
        if (!validId(id)) {
            throw new InvalidRuleException("id", "'" + RuleJson.printable(String.valueOf(id)) + "' is not a "
                    + "subscription id: 1 to " + MAX_ID_CHARS + " lower-case letters, digits and '-'");
        }
    }

    private static List<String> types(JsonNode n) {
        if (RuleJson.absent(n)) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new InvalidRuleException("types", "must be an array of strings such as [\"com.example.created\"], "
                    + "not " + RuleJson.kind(n));
        }
        if (n.isEmpty()) {
            throw new InvalidRuleException("types", "must hold at least one type (no event would match); omit "
                    + "types to accept every type");
        }
        List<String> types = new ArrayList<>(n.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n.size(); i++) {
            String path = "types[" + i + "]";
            String type = RuleJson.string(n.get(i), path);
            if (type == null) {
                throw new InvalidRuleException(path, "must be a string, not null");
            }
            if (type.isEmpty()) {
                throw new InvalidRuleException(path, "must not be empty");
            }
            if (!seen.add(type)) {
                throw new InvalidRuleException(path, "'" + RuleJson.printable(type) + "' is given twice");
            }
            types.add(type);
        }
        return types;
    }

    private static String source(JsonNode n) {
        String source = RuleJson.string(n, "source");
        if (source == null) {
            return null;
        }
        if (source.isEmpty()) {
            throw new InvalidRuleException("source", "must not be empty; omit source to accept every source");
        }
        try {
            new URI(source);
        } catch (URISyntaxException e) {
            throw new InvalidRuleException("source", "'" + RuleJson.printable(source) + "' is not a URI-reference "
                    + "(a CloudEvents source): " + e.getReason() + " at index " + e.getIndex());
        }
        return source;
    }

    private static EventFilters filters(JsonNode n) {
        if (RuleJson.absent(n)) {
            return EventFilters.acceptAll();
        }
        try {
            return EventFilters.fromJson(n);
        } catch (InvalidFilterException e) {
            throw new InvalidRuleException(e.path(), e.reason());
        }
    }

    private static URI sink(JsonNode n) {
        String sink = RuleJson.string(n, "sink");
        if (sink == null) {
            throw new InvalidRuleException("sink", "is required: the http or https URL events are delivered to");
        }
        if (sink.length() > MAX_SINK_CHARS) {
            throw new InvalidRuleException("sink", sink.length() + " characters are more than the limit of "
                    + MAX_SINK_CHARS);
        }
        URI uri;
        try {
            uri = new URI(sink);
        } catch (URISyntaxException e) {
            throw new InvalidRuleException("sink", "'" + RuleJson.printable(sink) + "' is not a URL: " + e.getReason()
                    + " at index " + e.getIndex());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            throw new InvalidRuleException("sink", "'" + RuleJson.printable(sink) + "' is not an absolute http or "
                    + "https URL (protocol HTTP)");
        }
        if (uri.getRawUserInfo() != null) {
            // not quoted: it holds a password
            throw new InvalidRuleException("sink", "user information in the URL would be shown to anyone who can "
                    + "read the subscription: use sinkcredential (PLAIN) instead");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidRuleException("sink", "'" + RuleJson.printable(sink) + "' has no valid host name "
                    + "(letters, digits, '-' and '.'; an IPv6 address in brackets)");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new InvalidRuleException("sink", "port " + uri.getPort() + " is out of range: 1..65535");
        }
        return uri;
    }

    private static void protocol(JsonNode n) {
        String protocol = RuleJson.string(n, "protocol");
        if (protocol == null) {
            throw new InvalidRuleException("protocol", "is required: HTTP");
        }
        if (!protocol.equals(PROTOCOL)) {
            throw new InvalidRuleException("protocol", "'" + RuleJson.printable(protocol) + "' is not supported: "
                    + "only HTTP is supported" + (protocol.equalsIgnoreCase(PROTOCOL)
                            ? " (protocol names are case-sensitive)" : ""));
        }
    }

    private static void config(JsonNode n) {
        if (!RuleJson.absent(n) && !(n.isObject() && n.isEmpty())) {
            throw new InvalidRuleException("config", "Weft does not generate events: config is not supported");
        }
    }

    private static String topic(JsonNode n) {
        String topic = RuleJson.string(n, "topic");
        if (topic == null) {
            return DEFAULT_TOPIC;
        }
        try {
            Topics.validatePattern(topic);
        } catch (InvalidTopicException e) {
            throw new InvalidRuleException("topic", e.getMessage());
        }
        if (Topics.isInternal(topic)) {
            throw new InvalidRuleException("topic", "'" + RuleJson.printable(topic) + "' is an internal pattern "
                    + "(first token " + Topics.INTERNAL_TOKEN + "): rules deliver application events only");
        }
        return topic;
    }

    private static Mode mode(JsonNode n) {
        String mode = RuleJson.string(n, "mode");
        if (mode == null) {
            return Mode.BEST_EFFORT;
        }
        for (Mode m : Mode.values()) {
            if (m.jsonName().equals(mode)) {
                return m;
            }
        }
        throw new InvalidRuleException("mode", "'" + RuleJson.printable(mode) + "' is not a mode; use best-effort "
                + "or durable");
    }

    private static String site(JsonNode n, String defaultSite) {
        String site = RuleJson.string(n, "site");
        if (site == null) {
            return defaultSite;
        }
        if (!SITE.matcher(site).matches()) {
            throw new InvalidRuleException("site", "'" + RuleJson.printable(site) + "' is not a site name: 1-63 "
                    + "letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return site;
    }

    private static boolean bool(JsonNode n, String path) {
        if (RuleJson.absent(n)) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new InvalidRuleException(path, "must be true or false, not " + RuleJson.kind(n));
        }
        return n.booleanValue();
    }

    private static int concurrency(JsonNode n, boolean ordered) {
        int c = RuleJson.integer(n, "concurrency", 1, MAX_CONCURRENCY, ordered ? 1 : DEFAULT_CONCURRENCY);
        if (ordered && c != 1) {
            throw new InvalidRuleException("concurrency", "must be 1 (or absent) when ordered is true: an ordered "
                    + "subscription has one delivery in flight");
        }
        return c;
    }

    // ---- sinkcredential

    private static SinkCredential credential(JsonNode n) {
        JsonNode c = RuleJson.object(n, CREDENTIAL);
        if (c == null) {
            return null;
        }
        String type = RuleJson.string(c.get("credentialtype"), CREDENTIAL + ".credentialtype");
        if (type == null) {
            throw new InvalidRuleException(CREDENTIAL + ".credentialtype", "is required: ACCESSTOKEN or PLAIN");
        }
        switch (type) {
            case "ACCESSTOKEN":
                onlyMembers(c, CREDENTIAL + ".", ACCESS_TOKEN_MEMBERS, Map.of());
                return accessToken(c);
            case "PLAIN":
                onlyMembers(c, CREDENTIAL + ".", PLAIN_MEMBERS, Map.of());
                return plain(c);
            case "REFRESHTOKEN":
                throw new InvalidRuleException(CREDENTIAL + ".credentialtype", "REFRESHTOKEN is not supported: Weft "
                        + "does not refresh tokens; use ACCESSTOKEN (and replace it before it expires) or PLAIN");
            default:
                throw new InvalidRuleException(CREDENTIAL + ".credentialtype", "'" + RuleJson.printable(type)
                        + "' is not a credential type; use ACCESSTOKEN or PLAIN");
        }
    }

    private static SinkCredential.AccessToken accessToken(JsonNode c) {
        String path = CREDENTIAL + ".accesstoken";
        String token = RuleJson.string(c.get("accesstoken"), path);
        if (token == null || token.isEmpty()) {
            throw new InvalidRuleException(path, "is required for ACCESSTOKEN");
        }
        int max = HttpBinding.MAX_HEADER_VALUE_CHARS - "Bearer ".length();
        if (token.length() > max) {
            throw new InvalidRuleException(path, "longer than " + max + " characters");
        }
        for (int i = 0; i < token.length(); i++) {
            char ch = token.charAt(i);
            if (ch <= 0x20 || ch >= 0x7F) {
                throw new InvalidRuleException(path, "character " + i + " is not visible ASCII (a token has no "
                        + "spaces or other characters)");
            }
        }
        String typePath = CREDENTIAL + ".accesstokentype";
        String tokenType = RuleJson.string(c.get("accesstokentype"), typePath);
        if (tokenType != null && !tokenType.equalsIgnoreCase("bearer")) {
            throw new InvalidRuleException(typePath, "'" + RuleJson.printable(tokenType) + "' is not supported: "
                    + "only bearer tokens are sent");
        }
        return new SinkCredential.AccessToken(token, "bearer", expires(c.get("accesstokenexpiresutc")));
    }

    private static Instant expires(JsonNode n) {
        String path = CREDENTIAL + ".accesstokenexpiresutc";
        String s = RuleJson.string(n, path);
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidRuleException(path, "'" + RuleJson.printable(s) + "' is not an RFC 3339 timestamp "
                    + "with an offset, such as 2026-01-31T12:00:00Z");
        }
    }

    private static SinkCredential.Plain plain(JsonNode c) {
        String idPath = CREDENTIAL + ".identifier";
        String identifier = RuleJson.string(c.get("identifier"), idPath);
        if (identifier == null || identifier.isEmpty()) {
            throw new InvalidRuleException(idPath, "is required for PLAIN");
        }
        if (identifier.indexOf(':') >= 0) {
            throw new InvalidRuleException(idPath, "must not contain ':' (HTTP Basic cannot carry it)");
        }
        noControl(identifier, idPath);
        String secretPath = CREDENTIAL + ".secret";
        String secret = RuleJson.string(c.get("secret"), secretPath);
        if (secret == null) {
            throw new InvalidRuleException(secretPath, "is required for PLAIN (it may be empty)");
        }
        noControl(secret, secretPath);
        SinkCredential.Plain plain = new SinkCredential.Plain(identifier, secret);
        if (plain.header().value().length() > HttpBinding.MAX_HEADER_VALUE_CHARS) {
            throw new InvalidRuleException(CREDENTIAL, "identifier and secret make an Authorization header longer "
                    + "than " + HttpBinding.MAX_HEADER_VALUE_CHARS + " characters");
        }
        return plain;
    }

    /** Never quotes the value: it may be a secret. */
    private static void noControl(String s, String path) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7F) {
                throw new InvalidRuleException(path, "character " + i + " is a control character");
            }
        }
    }
}
