package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamApiRouteTest {
    private static final byte[] NONE = new byte[0];

    private static StreamApiRoute.Route route(String method, String path, Map<String, String> query, String body) {
        return StreamApiRoute.of(method, path, query, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCollectionListsAndCreates() {
        assertInstanceOf(StreamApiRoute.ListAll.class, StreamApiRoute.of("GET", "/v1/streams", Map.of(), NONE));
        StreamApiRoute.Create c = (StreamApiRoute.Create) route("POST", "/v1/streams", Map.of(), "{\"name\":\"orders\"}");
        assertEquals("orders", c.config().path("name").asText());
        assertEquals(new StreamApiRoute.Refused(405, "PUT not allowed on /v1/streams (use GET or POST)"),
                StreamApiRoute.of("PUT", "/v1/streams", Map.of(), NONE));
    }

    @Test
    void aStreamsCallsGoToItsLeaderAndLocalOnesStayHere() {
        StreamApiRoute.Call info = (StreamApiRoute.Call) StreamApiRoute.of("GET", "/v1/streams/orders", Map.of(), NONE);
        assertEquals("orders", info.stream());
        assertEquals("info", info.req().path("op").asText());
        assertEquals(new StreamApiRoute.LocalInfo("orders"),
                StreamApiRoute.of("GET", "/v1/streams/orders", Map.of("local", "true"), NONE));
        StreamApiRoute.Call events = (StreamApiRoute.Call) StreamApiRoute.of("GET", "/v1/streams/orders/events",
                Map.of("from_time", "2026-01-01T00:00:00Z", "count", "5"), NONE);
        assertEquals("2026-01-01T00:00:00Z", events.req().path("fromTime").asText());
        assertEquals(5, events.req().path("count").asInt());
        StreamApiRoute.LocalEvents local = (StreamApiRoute.LocalEvents) StreamApiRoute.of("GET",
                "/v1/streams/orders/events", Map.of("local", "true", "from_seq", "7"), NONE);
        assertEquals(7, local.req().path("fromSeq").asLong());
        assertEquals(1000, local.req().path("count").asInt());
        StreamApiRoute.Call next = (StreamApiRoute.Call) StreamApiRoute.of("POST",
                "/v1/streams/orders/consumers/billing/next", Map.of("count", "3"), NONE);
        assertEquals("consumer.next", next.req().path("op").asText());
        assertEquals("billing", next.req().path("consumer").asText());
        StreamApiRoute.Call ack = (StreamApiRoute.Call) route("POST", "/v1/streams/orders/consumers/billing/ack",
                Map.of(), "{\"seqs\":[1,2]}");
        assertEquals(2, ack.req().path("seqs").size());
        StreamApiRoute.Call nakAll = (StreamApiRoute.Call) StreamApiRoute.of("POST",
                "/v1/streams/orders/consumers/billing/nak", Map.of(), NONE);
        assertEquals("consumer.nak", nakAll.req().path("op").asText());
        assertEquals(0, nakAll.req().path("seqs").size(), "no body: every pending event");
        StreamApiRoute.Call nak = (StreamApiRoute.Call) route("POST", "/v1/streams/orders/consumers/billing/nak",
                Map.of(), "{\"seqs\":[4]}");
        assertEquals(4, nak.req().path("seqs").get(0).asLong());
    }

    @Test
    void aPurgeGoesToTheLeaderWithWhatItKeeps() {
        StreamApiRoute.Call all = (StreamApiRoute.Call) StreamApiRoute.of("POST", "/v1/streams/orders/purge", Map.of(), NONE);
        assertEquals("orders", all.stream());
        assertEquals("{\"op\":\"purge\"}", all.req().toString(), "no body: every event");
        assertEquals("{\"op\":\"purge\"}", ((StreamApiRoute.Call) route("POST", "/v1/streams/orders/purge", Map.of(),
                "{}")).req().toString());
        assertEquals("{\"op\":\"purge\",\"keepFrom\":42}", ((StreamApiRoute.Call) route("POST",
                "/v1/streams/orders/purge", Map.of(), "{\"keepFrom\":42}")).req().toString());
        assertEquals("{\"op\":\"purge\",\"keep\":0}", ((StreamApiRoute.Call) route("POST",
                "/v1/streams/orders/purge", Map.of(), "{\"keep\":0}")).req().toString());
        assertEquals("{\"op\":\"purge\",\"keep\":10}", ((StreamApiRoute.Call) route("POST",
                "/v1/streams/orders/purge", Map.of(), "{\"keep\":10}")).req().toString());
    }

    @Test
    void aPurgeOfTheMeshsOwnStreamsOrWithABadBodyIsRefused() {
        StreamApiRoute.Refused system = (StreamApiRoute.Refused) StreamApiRoute.of("POST",
                "/v1/streams/_weft_rules_cloud/purge", Map.of(), NONE);
        assertEquals(403, system.status());
        assertTrue(system.error().contains("mesh's own") && system.error().contains("cannot be purged"), system.error());
        for (String body : new String[] {"{\"keepFrom\":0}", "{\"keepFrom\":-3}", "{\"keepFrom\":\"7\"}",
                "{\"keepFrom\":1.5}", "{\"keep\":-1}", "{\"keep\":5,\"keepFrom\":3}", "{\"seq\":3}", "[1]", "{"}) {
            StreamApiRoute.Route r = route("POST", "/v1/streams/orders/purge", Map.of(), body);
            assertInstanceOf(StreamApiRoute.Refused.class, r, body);
            assertEquals(400, ((StreamApiRoute.Refused) r).status(), body);
        }
        assertTrue(((StreamApiRoute.Refused) route("POST", "/v1/streams/orders/purge", Map.of(), "{\"keep\":5,\"keepFrom\":3}"))
                .error().contains("not both"));
        assertEquals(new StreamApiRoute.Refused(405, "GET not allowed on /v1/streams/orders/purge (use POST)"),
                StreamApiRoute.of("GET", "/v1/streams/orders/purge", Map.of(), NONE));
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingTravels() {
        assertEquals(new StreamApiRoute.Refused(404, "no stream API for GET /v1/streams/orders/nope"),
                StreamApiRoute.of("GET", "/v1/streams/orders/nope", Map.of(), NONE));
        assertEquals(new StreamApiRoute.Refused(405, "PATCH not allowed on /v1/streams/orders"),
                StreamApiRoute.of("PATCH", "/v1/streams/orders", Map.of(), NONE));
        StreamApiRoute.Refused bad = (StreamApiRoute.Refused) StreamApiRoute.of("GET", "/v1/streams/orders/events",
                Map.of("count", "many"), NONE);
        assertEquals(400, bad.status());
        StreamApiRoute.Refused cfg = (StreamApiRoute.Refused) route("POST", "/v1/streams/orders/consumers", Map.of(),
                "{\"name\":\"c\",\"maxDeliver\":-1}");
        assertEquals(400, cfg.status());
        // a name that is no stream's would otherwise become a wildcard in the leader's API topic
        StreamApiRoute.Refused name = (StreamApiRoute.Refused) StreamApiRoute.of("GET", "/v1/streams/a.>/events",
                Map.of(), NONE);
        assertEquals(400, name.status());
        assertTrue(name.error().contains("not a stream name"), name.error());
    }
}
