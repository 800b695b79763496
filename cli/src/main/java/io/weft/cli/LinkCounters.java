package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.client.MeshClient;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What the publishing nodes sent over their mesh links, per remote site, from {@code sentBySite} of their
 * {@code /v1/links} (read over the client connection, so the bench needs no HTTP port): events and bytes
 * sent, and events kept off a link because no filter behind it accepted them. A bench reads it before and
 * after a run and reports the difference ({@link #since}).
 *
 * @param bySite the counters per remote site, sorted by site
 */
record LinkCounters(Map<String, Sent> bySite) {
    /** One site's counters (or their sum). */
    record Sent(long events, long bytes, long filtered) {
        Sent plus(Sent o) {
            return new Sent(events + o.events, bytes + o.bytes, filtered + o.filtered);
        }

        Sent minus(Sent o) {
            return new Sent(events - o.events, bytes - o.bytes, filtered - o.filtered);
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("events", events);
            m.put("bytes", bytes);
            m.put("filtered", filtered);
            return m;
        }
    }

    static final Sent ZERO = new Sent(0, 0, 0);

    LinkCounters {
        bySite = java.util.Collections.unmodifiableMap(new TreeMap<>(bySite));
    }

    /** The counters of a {@code /v1/links} document. */
    static LinkCounters parse(JsonNode links) {
        Map<String, Sent> out = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = links.path("sentBySite").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode s = e.getValue();
            out.put(e.getKey(), new Sent(s.path("events").asLong(), s.path("bytes").asLong(), s.path("filtered").asLong()));
        }
        return new LinkCounters(out);
    }

    /** The sum of what {@code clients}' nodes sent (each node once, however many clients are on it). */
    static LinkCounters read(List<MeshClient> clients) throws Exception {
        Map<String, Sent> sum = new TreeMap<>();
        java.util.Set<String> nodes = new java.util.HashSet<>();
        for (MeshClient c : clients) {
            String node = c.serverInfo() == null ? c.connectedServer() : c.serverInfo().node();
            if (!nodes.add(node)) {
                continue;
            }
            LinkCounters one = parse(Cli.JSON.readTree(c.admin("/v1/links").get(10, TimeUnit.SECONDS)));
            one.bySite.forEach((site, s) -> sum.merge(site, s, Sent::plus));
        }
        return new LinkCounters(sum);
    }

    /** What was sent after {@code before} was read. */
    LinkCounters since(LinkCounters before) {
        Map<String, Sent> out = new TreeMap<>();
        bySite.forEach((site, s) -> out.put(site, s.minus(before.bySite.getOrDefault(site, ZERO))));
        return new LinkCounters(out);
    }

    /** All sites together. */
    Sent total() {
        Sent t = ZERO;
        for (Sent s : bySite.values()) {
            t = t.plus(s);
        }
        return t;
    }

    /** {@code {"total": {...}, "bySite": {"site": {...}}}}. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", total().json());
        Map<String, Object> sites = new LinkedHashMap<>();
        bySite.forEach((site, s) -> sites.put(site, s.json()));
        m.put("bySite", sites);
        return m;
    }
}
