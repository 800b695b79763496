package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.broker.rules.HttpBinding.Header;
import io.weft.broker.rules.SubscriptionSpec.SinkCredential;
import io.weft.routing.filter.EventFilters;
import io.weft.routing.filter.MapAttributes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SubscriptionSpecTest {
    private static final String ID = "k3v9x0q2m7c4h8w1z5ab";
    private static final String SITE = "eu-1";
    private static final String MINIMAL = """
            {"sink": "https://hooks.example.com/orders", "protocol": "HTTP"}""";
    private static final String FULL = """
            {
              "types": ["com.shop.order.created", "com.shop.order.paid"],
              "source": "/shop",
              "filters": [{"cesql": "amount > 100"}, {"prefix": {"subject": "eu/"}}],
              "sink": "https://hooks.example.com/orders",
              "sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "s3cr3t-t0ken",
                                 "accesstokenexpiresutc": "2026-01-31T13:00:00+01:00"},
              "protocol": "HTTP",
              "protocolsettings": {"headers": {"X-Tenant": "shop-1"}, "contentmode": "structured"},
              "config": {},
              "topic": "orders.>",
              "mode": "durable",
              "site": "us-2",
              "delivery": {"retry": 5, "deadLetterTopic": "orders.dead"},
              "transform": {"kind": "jsonpath", "path": "$.data.order"},
              "ordered": true
            }""";

    // ------------------------------------------------------------ defaults and ids

    @Test
    void aMinimalBodyGetsEveryDefault() throws Exception {
        SubscriptionSpec s = create(MINIMAL);
        assertEquals(ID, s.id());
        assertEquals(List.of(), s.types());
        assertNull(s.source());
        assertTrue(s.filters().isAcceptAll());
        assertEquals(URI.create("https://hooks.example.com/orders"), s.sink());
        assertNull(s.sinkCredential());
        assertEquals(List.of(), s.credentialHeaders());
        assertEquals("HTTP", s.protocol());
        assertEquals(HttpBinding.defaults(), s.protocolSettings());
        assertEquals(">", s.topic());
        assertEquals(SubscriptionSpec.Mode.BEST_EFFORT, s.mode());
        assertFalse(s.durable());
        assertEquals(SITE, s.site());
        assertEquals(DeliveryPolicy.defaults(), s.delivery());
        assertEquals(Transform.original(), s.transform());
        assertFalse(s.ordered());
        assertEquals(16, s.concurrency());
        assertTrue(s.routingFilter().isAcceptAll());
        assertEquals("{\"id\":\"k3v9x0q2m7c4h8w1z5ab\",\"filters\":[],\"sink\":\"https://hooks.example.com/orders\","
                + "\"protocol\":\"HTTP\",\"protocolsettings\":{\"method\":\"POST\",\"headers\":{},\"contentmode\":"
                + "\"binary\"},\"topic\":\">\",\"mode\":\"best-effort\",\"site\":\"eu-1\",\"delivery\":{\"retry\":10,"
                + "\"backoffPolicy\":\"exponential\",\"backoffDelay\":\"PT0.5S\",\"backoffMax\":\"PT1M\",\"timeout\":"
                + "\"PT10S\",\"retryAfterMax\":\"PT1M\"},\"transform\":{\"kind\":\"original\"},\"ordered\":false,"
                + "\"concurrency\":16}", s.toJson(false).toString());
        assertEquals(s.toJson(false), s.toJson(true), "no secrets, nothing hidden");
    }

    @Test
    void everyMemberIsReadAndRealizedInAFixedOrder() throws Exception {
        SubscriptionSpec s = create(FULL);
        assertEquals(List.of("com.shop.order.created", "com.shop.order.paid"), s.types());
        assertEquals("/shop", s.source());
        assertEquals(EventFilters.parse("[{\"sql\": \"amount > 100\"}, {\"prefix\": {\"subject\": \"eu/\"}}]"),
                s.filters());
        assertEquals(new SinkCredential.AccessToken("s3cr3t-t0ken", "bearer", Instant.parse("2026-01-31T12:00:00Z")),
                s.sinkCredential());
        assertEquals(HttpBinding.ContentMode.STRUCTURED, s.protocolSettings().contentMode());
        assertEquals("orders.>", s.topic());
        assertEquals(SubscriptionSpec.Mode.DURABLE, s.mode());
        assertTrue(s.durable());
        assertEquals("us-2", s.site());
        assertEquals(5, s.delivery().retry());
        assertEquals("orders.dead", s.delivery().deadLetterTopic());
        assertEquals(Transform.Kind.JSONPATH, s.transform().kind());
        assertTrue(s.ordered());
        assertEquals(1, s.concurrency(), "ordered: one in flight");
        assertEquals(List.of("id", "types", "source", "filters", "sink", "sinkcredential", "protocol",
                "protocolsettings", "topic", "mode", "site", "delivery", "transform", "ordered", "concurrency"),
                names(s.toJson(true)));
        assertEquals("[{\"sql\":\"amount > 100\"},{\"prefix\":{\"subject\":\"eu/\"}}]",
                s.toJson(false).get("filters").toString(), "filters in canonical form: cesql written sql");
    }

    @Test
    void theBodysIdIsIgnoredOnCreate() throws Exception {
        for (String id : List.of("\"evil\"", "42", "null", "\"k3v9x0q2m7c4h8w1z5ab\"", "{\"x\": 1}")) {
            SubscriptionSpec s = create("{\"id\": " + id + ", " + MINIMAL.substring(1));
            assertEquals(ID, s.id());
            assertEquals(create(MINIMAL), s);
        }
    }

    @Test
    void theAssignedIdIsChecked() throws Exception {
        for (String bad : new String[] {"", "UPPER", "with space", "a".repeat(65), "x_y", null}) {
            InvalidRuleException e = assertThrows(InvalidRuleException.class,
                    () -> SubscriptionSpec.fromJson(json(MINIMAL), bad, SITE));
            assertEquals("id", e.field());
            assertTrue(e.detail().contains("is not a subscription id: 1 to 64 lower-case letters, digits and '-'"),
                    e.getMessage());
        }
        assertEquals("orders-to-crm", SubscriptionSpec.fromJson(json(MINIMAL), "orders-to-crm", SITE).id());
        assertEquals("a".repeat(64), SubscriptionSpec.fromJson(json(MINIMAL), "a".repeat(64), SITE).id());
    }

    @Test
    void newIdsAreTwentyRandomLowerCaseCharactersFromTheGivenGenerator() {
        String a = SubscriptionSpec.newId(new SplittableRandom(1));
        assertEquals(a, SubscriptionSpec.newId(new SplittableRandom(1)), "the generator alone decides");
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 1000; i++) {
            String id = SubscriptionSpec.newId(random);
            assertTrue(id.matches("[a-z0-9]{20}"), id);
            assertTrue(SubscriptionSpec.validId(id));
            assertNotEquals(a, id);
        }
    }

    // ------------------------------------------------------------ validation

    @Test
    void aBodyThatIsNotAnObjectIsRefused() throws Exception {
        for (JsonNode body : new JsonNode[] {json("[]"), json("\"x\""), json("3"), NullNode.getInstance(), null}) {
            InvalidRuleException e = assertThrows(InvalidRuleException.class,
                    () -> SubscriptionSpec.fromJson(body, ID, SITE));
            assertEquals("body", e.field());
            assertTrue(e.detail().startsWith("a subscription is a JSON object, not "), e.getMessage());
        }
    }

    /** Each row is merged over {@link #MINIMAL}; a JSON null removes a member (null and absent are the same). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"types": "com.x"}                      | types            | must be an array of strings such as ["com.ex
            {"types": []}                           | types            | must hold at least one type (no event would match)
            {"types": ["a", ""]}                    | types[1]         | must not be empty
            {"types": ["a", 3]}                     | types[1]         | must be a string, not a number
            {"types": ["a", null]}                  | types[1]         | must be a string, not null
            {"types": ["a", "a"]}                   | types[1]         | 'a' is given twice
            {"source": ""}                          | source           | must not be empty; omit source to accept every
            {"source": "a b"}                       | source           | 'a b' is not a URI-reference (a CloudEvents source)
            {"source": 7}                           | source           | must be a string, not a number
            {"filters": {}}                         | filters          | expected an array of filters, found an object
            {"filters": [{"exact": {"type": ""}}]}  | filters[0].exact.type | value must not be empty
            {"filters": [{"sql": "amount >"}]}      | filters[0].sql   | expected an expression at position 8
            {"filters": [{"regex": "x"}]}           | filters[0]       | unknown dialect 'regex'
            {"sink": null}                          | sink             | is required: the http or https URL events are
            {"sink": 5}                             | sink             | must be a string, not a number
            {"sink": "ftp://x/"}                    | sink             | 'ftp://x/' is not an absolute http or https URL
            {"sink": "/relative"}                   | sink             | '/relative' is not an absolute http or https URL
            {"sink": "mailto:a@b.example"}          | sink             | 'mailto:a@b.example' is not an absolute http or
            {"sink": "http://"}                     | sink             | 'http://' is not a URL: Expected authority at
            {"sink": "https:///path"}               | sink             | 'https:///path' has no valid host name
            {"sink": "http://my_host:8080/"}        | sink             | 'http://my_host:8080/' has no valid host name
            {"sink": "https://u:pw@x.example/"}     | sink             | user information in the URL would be shown to
            {"sink": "http://x.example:99999/"}     | sink             | port 99999 is out of range: 1..65535
            {"sink": "http://x.example:0/"}         | sink             | port 0 is out of range: 1..65535
            {"protocol": null}                      | protocol         | is required: HTTP
            {"protocol": "http"}                    | protocol         | 'http' is not supported: only HTTP is supported (protocol names are case-sensitive)
            {"protocol": "MQTT5"}                   | protocol         | 'MQTT5' is not supported: only HTTP is supported
            {"protocol": 1}                         | protocol         | must be a string, not a number
            {"protocolsettings": {"method": "GET"}} | protocolsettings.method | 'GET' is not allowed
            {"protocolsettings": {"qos": 1}}        | protocolsettings.qos | unknown member; expected method, headers
            {"protocolsettings": []}                | protocolsettings | must be an object, not an array
            {"config": {"interval": 5}}             | config           | Weft does not generate events: config is not supported
            {"config": "x"}                         | config           | Weft does not generate events: config is not supported
            {"topic": "orders.*x"}                  | topic            | invalid pattern 'orders.*x': wildcard '*' must be
            {"topic": ""}                           | topic            | invalid pattern '': must not be empty
            {"topic": "_weft.>"}                    | topic            | '_weft.>' is an internal pattern (first token _weft)
            {"topic": "_weft"}                      | topic            | '_weft' is an internal pattern
            {"mode": "at-least-once"}               | mode             | 'at-least-once' is not a mode; use best-effort or
            {"mode": "DURABLE"}                     | mode             | 'DURABLE' is not a mode
            {"site": ""}                            | site             | '' is not a site name: 1-63 letters, digits
            {"site": "eu west"}                     | site             | 'eu west' is not a site name
            {"site": 3}                             | site             | must be a string, not a number
            {"delivery": {"retry": -1}}             | delivery.retry   | must be an integer in [0, 200], not -1
            {"transform": {"kind": "xslt"}}         | transform.kind   | 'xslt' is not a transform kind
            {"ordered": "yes"}                      | ordered          | must be true or false, not a string
            {"concurrency": 0}                      | concurrency      | must be an integer in [1, 256], not 0
            {"concurrency": 257}                    | concurrency      | must be an integer in [1, 256], not 257
            {"concurrency": 1.5}                    | concurrency      | must be an integer in [1, 256], not 1.5
            {"ordered": true, "concurrency": 4}     | concurrency      | must be 1 (or absent) when ordered is true
            {"color": "red"}                        | color            | unknown member; expected id, types, source, filters
            {"filter": []}                          | filter           | use filters: an array of filters
            {"deadLetterTopic": "x"}                | deadLetterTopic  | belongs in delivery
            {"headers": {}}                         | headers          | belongs in protocolsettings
            {"sinkCredential": {}}                  | sinkCredential   | member names are lower case: use sinkcredential
            {"sinkcredential": "token"}             | sinkcredential   | must be an object, not a string
            """)
    void invalidMembersAreNamedByTheirPath(String patch, String field, String detail) throws Exception {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> create(merged(patch)));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
        assertEquals(field + ": " + e.detail(), e.getMessage());
    }

    /** Each row is a {@code sinkcredential}; the field is under {@code sinkcredential.}. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {}                                                  | credentialtype | is required: ACCESSTOKEN or PLAIN
            {"credentialtype": "REFRESHTOKEN", "accesstoken": "a"} | credentialtype | REFRESHTOKEN is not supported: Weft does not refresh
            {"credentialtype": "accesstoken"}                   | credentialtype | 'accesstoken' is not a credential type; use ACCESSTOKEN
            {"credentialtype": "ACCESSTOKEN"}                   | accesstoken    | is required for ACCESSTOKEN
            {"credentialtype": "ACCESSTOKEN", "accesstoken": ""}   | accesstoken | is required for ACCESSTOKEN
            {"credentialtype": "ACCESSTOKEN", "accesstoken": "a b"} | accesstoken | character 1 is not visible ASCII
            {"credentialtype": "ACCESSTOKEN", "accesstoken": "t", "accesstokentype": "mac"} | accesstokentype | 'mac' is not supported: only bearer
            {"credentialtype": "ACCESSTOKEN", "accesstoken": "t", "accesstokenexpiresutc": "soon"} | accesstokenexpiresutc | 'soon' is not an RFC 3339
            {"credentialtype": "ACCESSTOKEN", "accesstoken": "t", "accesstokenexpiresutc": "2026-01-31T12:00:00"} | accesstokenexpiresutc | '2026
            {"credentialtype": "ACCESSTOKEN", "accessToken": "t"} | accessToken   | member names are lower case: use accesstoken
            {"credentialtype": "ACCESSTOKEN", "accesstoken": "t", "secret": "s"} | secret | unknown member; expected credentialtype, accesstoken
            {"credentialtype": "PLAIN", "secret": "s"}          | identifier     | is required for PLAIN
            {"credentialtype": "PLAIN", "identifier": "a:b", "secret": "s"} | identifier | must not contain ':' (HTTP Basic cannot carry it)
            {"credentialtype": "PLAIN", "identifier": "a"}      | secret         | is required for PLAIN (it may be empty)
            {"credentialtype": "PLAIN", "identifier": "a", "secret": "x\\ny"} | secret | character 1 is a control character
            {"credentialtype": "PLAIN", "identifier": "a", "secret": "s", "accesstoken": "t"} | accesstoken | unknown member; expected
            """)
    void invalidCredentialsAreNamedByTheirPath(String credential, String member, String detail) throws Exception {
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> create(merged("{\"sinkcredential\": " + credential + "}")));
        assertEquals("sinkcredential." + member, e.field(), e.getMessage());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
    }

    @Test
    void aCredentialIsGivenOnceNotAlsoAsAnAuthorizationHeader() throws Exception {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> create(merged("""
                {"sinkcredential": {"credentialtype": "PLAIN", "identifier": "a", "secret": "s"},
                 "protocolsettings": {"headers": {"authorization": "Basic eDp5"}}}""")));
        assertEquals("protocolsettings.headers.authorization: sinkcredential sets the Authorization header: give the "
                + "credential once, in sinkcredential (write-only)", e.getMessage());
        assertEquals("Basic eDp5", create(merged("{\"protocolsettings\": {\"headers\": {\"Authorization\": "
                + "\"Basic eDp5\"}}}")).protocolSettings().headers().get(0).value(), "without a credential it is allowed");
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            http://localhost:8080/hook
            https://hooks.example.com/orders?key=a&b=c
            HTTPS://Hooks.Example.com/
            http://[::1]:9000/x
            http://10.0.0.7/
            """)
    void anHttpOrHttpsUrlWithAHostIsASink(String sink) throws Exception {
        assertEquals(sink, create(merged("{\"sink\": \"" + sink + "\"}")).sink().toString(), "kept as written");
    }

    @Test
    void anErrorNeverQuotesASecret() throws Exception {
        for (String patch : List.of("""
                    {"sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "s3cr3t t0ken"}}""", """
                    {"sinkcredential": {"credentialtype": "PLAIN", "identifier": "a", "secret": "s3cr3t\\u0000"}}""",
                """
                    {"sink": "https://alice:s3cr3t@hooks.example.com/"}""")) {
            InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> create(merged(patch)));
            assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        }
    }

    @Test
    void aRoutingFilterTooLargeForTheGossipIsRefused() throws Exception {
        StringBuilder types = new StringBuilder("[");
        for (int i = 0; i < 400; i++) {
            types.append(i == 0 ? "" : ",").append("\"com.example.type.number.").append(i).append('"');
        }
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> create(merged("{\"types\": " + types + "]}")));
        assertEquals("types", e.field());
        assertTrue(e.detail().contains("more than the limit of 16384 (it travels in the interest gossip)"),
                e.getMessage());
        String sql = "subject = '" + "x".repeat(SubscriptionSpec.MAX_ROUTING_FILTER_BYTES) + "'";
        assertEquals("filters", assertThrows(InvalidRuleException.class,
                () -> create(merged("{\"filters\": [{\"sql\": \"" + sql + "\"}]}"))).field());
    }

    @Test
    void orderedWithConcurrencyOneOrAbsentIsOneAndTheDefaultsHold() throws Exception {
        assertEquals(1, create(merged("{\"ordered\": true, \"concurrency\": 1}")).concurrency());
        assertEquals(1, create(merged("{\"ordered\": true}")).concurrency());
        assertEquals(256, create(merged("{\"concurrency\": 256}")).concurrency());
        assertEquals(16, create(merged("{\"ordered\": false}")).concurrency());
        assertTrue(create(merged("{\"config\": {}}")).filters().isAcceptAll(), "an empty config is accepted");
        assertEquals(">", create(merged("{\"topic\": null}")).topic());
    }

    // ------------------------------------------------------------ secrets

    @Test
    void anAccessTokenIsSentAsBearerAndNeverReturned() throws Exception {
        SubscriptionSpec s = create(merged("""
                {"sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "s3cr3t-t0ken",
                                    "accesstokentype": "Bearer"}}"""));
        assertEquals(List.of(new Header("Authorization", "Bearer s3cr3t-t0ken")), s.credentialHeaders());
        assertEquals("{\"credentialtype\":\"ACCESSTOKEN\",\"accesstokentype\":\"bearer\"}",
                s.toJson(false).get("sinkcredential").toString());
        assertEquals("{\"credentialtype\":\"ACCESSTOKEN\",\"accesstoken\":\"s3cr3t-t0ken\",\"accesstokentype\":"
                + "\"bearer\"}", s.toJson(true).get("sinkcredential").toString());
        assertFalse(s.toString().contains("s3cr3t"), s.toString());
        assertFalse(s.sinkCredential().toString().contains("s3cr3t"));
        assertFalse(s.toJson(false).toString().contains("s3cr3t"));
    }

    @Test
    void aPlainCredentialIsSentAsBasicAndItsSecretNeverReturned() throws Exception {
        SubscriptionSpec s = create(merged("""
                {"sinkcredential": {"credentialtype": "PLAIN", "identifier": "alice", "secret": "pä55"}}"""));
        String basic = Base64.getEncoder().encodeToString("alice:pä55".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(new Header("Authorization", "Basic " + basic)), s.credentialHeaders());
        assertEquals("{\"credentialtype\":\"PLAIN\",\"identifier\":\"alice\"}",
                s.toJson(false).get("sinkcredential").toString());
        assertEquals("pä55", s.toJson(true).get("sinkcredential").get("secret").textValue());
        assertFalse(s.toString().contains("pä55"));
        SubscriptionSpec apiKey = create(merged("""
                {"sinkcredential": {"credentialtype": "PLAIN", "identifier": "key-123", "secret": ""}}"""));
        assertEquals("Basic " + Base64.getEncoder().encodeToString("key-123:".getBytes(StandardCharsets.UTF_8)),
                apiKey.credentialHeaders().get(0).value());
    }

    @Test
    void whatTheApiReturnsDoesNotReadBackAsStoredWithoutTheSecret() throws Exception {
        SubscriptionSpec s = create(FULL);
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> SubscriptionSpec.fromStored(s.toJson(false)));
        assertEquals("sinkcredential.accesstoken: is required for ACCESSTOKEN", e.getMessage());
        ObjectNode putBack = s.toJson(false);
        assertThrows(InvalidRuleException.class, () -> SubscriptionSpec.fromJson(putBack, ID, SITE),
                "a PUT of what a GET returned fails loudly rather than losing the token");
    }

    @Test
    void equalityIncludesTheSecret() throws Exception {
        SubscriptionSpec a = create(merged("""
                {"sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "one"}}"""));
        SubscriptionSpec b = create(merged("""
                {"sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstoken": "two"}}"""));
        assertEquals(a.toJson(false), b.toJson(false));
        assertNotEquals(a, b, "a changed token is a change an apply must make");
    }

    // ------------------------------------------------------------ routing filter

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            com.shop.order.created | /shop  | 150    | true
            com.shop.order.paid    | /shop  | 101    | true
            com.shop.order.created | /shop  | 100    | false
            com.shop.order.created | /shop  |        | false
            com.shop.order.failed  | /shop  | 150    | false
            com.shop.order         | /shop  | 150    | false
            com.shop.order.created | /shop/ | 150    | false
            com.shop.order.created | /SHOP  | 150    | false
            com.shop.order.created |        | 150    | false
                                   | /shop  | 150    | false
            """)
    void theRoutingFilterAcceptsExactlyTypeAndSourceAndFilters(String type, String source, Integer amount,
            boolean accepted) throws Exception {
        SubscriptionSpec s = create(merged("""
                {"types": ["com.shop.order.paid", "com.shop.order.created"], "source": "/shop",
                 "filters": [{"sql": "amount > 100"}]}"""));
        Map<String, Object> event = new HashMap<>();
        event.put("specversion", "1.0");
        event.put("id", "e-1");
        if (type != null) {
            event.put("type", type);
        }
        if (source != null) {
            event.put("source", source);
        }
        if (amount != null) {
            event.put("amount", amount);
        }
        MapAttributes attributes = MapAttributes.of(event);
        assertEquals(accepted, s.routingFilter().test(attributes));
        boolean reference = type != null && s.types().contains(type) && s.source().equals(source)
                && s.filters().test(attributes);
        assertEquals(reference, s.routingFilter().test(attributes), "types AND source AND filters");
    }

    @Test
    void theRoutingFilterHasOneCanonicalTextPerSpec() throws Exception {
        SubscriptionSpec s = create(merged("""
                {"types": ["b.t", "a.t"], "source": "/shop", "filters": [{"cesql": "amount > 100"}]}"""));
        String canonical = "[{\"any\":[{\"exact\":{\"type\":\"a.t\"}},{\"exact\":{\"type\":\"b.t\"}}]},"
                + "{\"exact\":{\"source\":\"/shop\"}},{\"sql\":\"amount > 100\"}]";
        assertEquals(canonical, s.routingFilter().canonical());
        assertEquals(s.routingFilter(), EventFilters.parse(canonical), "the gossip's reader gets the same filter");
        SubscriptionSpec reordered = create("""
                {"filters": [{"sql": "amount > 100"}], "protocol": "HTTP", "source": "/shop",
                 "sink": "https://hooks.example.com/orders", "types": ["a.t", "b.t"]}""");
        assertEquals(canonical, reordered.routingFilter().canonical(), "type order and member order do not matter");
        assertEquals(canonical, SubscriptionSpec.fromStored(s.toJson(true)).routingFilter().canonical());

        assertEquals("[{\"exact\":{\"type\":\"a.t\"}}]",
                create(merged("{\"types\": [\"a.t\"]}")).routingFilter().canonical(), "one type is just exact");
        assertEquals("[{\"exact\":{\"source\":\"/shop\"}}]",
                create(merged("{\"source\": \"/shop\"}")).routingFilter().canonical());
        assertEquals("[{\"prefix\":{\"subject\":\"eu/\"}}]",
                create(merged("{\"filters\": [{\"prefix\": {\"subject\": \"eu/\"}}]}")).routingFilter().canonical());
        assertEquals("[]", create(MINIMAL).routingFilter().canonical());
    }

    // ------------------------------------------------------------ storage

    @Test
    void theStoredFormReadsBackEqual() throws Exception {
        for (String body : List.of(MINIMAL, FULL, merged("""
                {"sinkcredential": {"credentialtype": "PLAIN", "identifier": "alice", "secret": "pw"},
                 "transform": {"kind": "template", "format": "text", "inputs": {"id": "$.id"}, "template": "<id>"},
                 "delivery": {"backoffPolicy": "linear", "timeout": "PT1M"}, "concurrency": 200}"""))) {
            SubscriptionSpec s = create(body);
            ObjectNode stored = s.toJson(true);
            SubscriptionSpec back = SubscriptionSpec.fromStored(stored);
            assertEquals(s, back);
            assertEquals(s.hashCode(), back.hashCode());
            assertEquals(stored.toString(), back.toJson(true).toString(), "byte for byte, member order included");
            assertEquals(s.routingFilter(), back.routingFilter());
            assertEquals(s.credentialHeaders(), back.credentialHeaders());
            assertEquals(s, SubscriptionSpec.fromJson(s.toJson(true), ID, "elsewhere"),
                    "the realized object is also a valid create body that changes nothing");
        }
    }

    @Test
    void theStoredFormNeedsItsIdAndSite() throws Exception {
        ObjectNode noId = create(MINIMAL).toJson(true);
        noId.remove("id");
        assertEquals("id: is required in a stored subscription", assertThrows(InvalidRuleException.class,
                () -> SubscriptionSpec.fromStored(noId)).getMessage());
        ObjectNode badId = create(MINIMAL).toJson(true);
        badId.put("id", "No Such");
        assertEquals("id", assertThrows(InvalidRuleException.class, () -> SubscriptionSpec.fromStored(badId)).field());
        ObjectNode noSite = create(MINIMAL).toJson(true);
        noSite.remove("site");
        assertEquals("site: is required in a stored subscription", assertThrows(InvalidRuleException.class,
                () -> SubscriptionSpec.fromStored(noSite)).getMessage());
        assertEquals("body", assertThrows(InvalidRuleException.class, () -> SubscriptionSpec.fromStored(json("[]")))
                .field());
    }

    @Test
    void toJsonHandsOutCopies() throws Exception {
        SubscriptionSpec s = create(MINIMAL);
        s.toJson(true).put("sink", "https://elsewhere.example/");
        s.toJson(false).put("sink", "https://elsewhere.example/");
        assertEquals("https://hooks.example.com/orders", s.toJson(true).get("sink").textValue());
        assertEquals(create(MINIMAL), s);
    }

    // ------------------------------------------------------------ helpers

    private static SubscriptionSpec create(String body) throws Exception {
        return SubscriptionSpec.fromJson(json(body), ID, SITE);
    }

    /** {@link #MINIMAL} with the patch's members set over it. */
    private static String merged(String patch) throws Exception {
        ObjectNode base = (ObjectNode) json(MINIMAL);
        base.setAll((ObjectNode) json(patch));
        return base.toString();
    }

    private static List<String> names(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode json(String s) throws Exception {
        return DeliveryPolicyTest.json(s);
    }
}
