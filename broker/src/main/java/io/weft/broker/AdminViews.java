package io.weft.broker;

import io.weft.routing.net.MeshLink;
import io.weft.routing.net.NodeInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The JSON documents of {@code /v1/nodes}, {@code /v1/interest} and {@code /v1/links}. */
final class AdminViews {
    private AdminViews() {
    }

    static Object nodes(Broker broker, MeshNode mesh) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<NodeInfo> all = new ArrayList<>(mesh.nodes());
        all.sort(Comparator.comparing(NodeInfo::site).thenComparing(NodeInfo::name));
        for (NodeInfo n : all) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean self = n.name().equals(broker.config().node);
            m.put("node", n.name());
            m.put("site", n.site());
            m.put("state", self ? (broker.ready() ? "ready" : mesh.health().status().state().equals("degraded")
                    ? "degraded" : "starting") : mesh.isLive(n.name()) ? "alive"
                    : mesh.reachedThroughSiteGraph(n) ? "remote" : "down");
            m.put("self", self);
            m.put("incarnation", n.incarnation());
            m.put("client", n.clientAddress());
            m.put("mesh", n.meshAddress());
            m.put("http", n.httpAddress());
            out.add(m);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("node", broker.config().node);
        doc.put("site", broker.config().site);
        doc.put("nodes", out);
        // members of the membership view that have not said which node they are: never silently missing
        doc.put("unnamedMembers", mesh.unnamedMembers());
        return doc;
    }

    static Object interest(MeshNode mesh) {
        return mesh.interestSnapshot();
    }

    static Object links(MeshNode mesh) {
        List<Map<String, Object>> links = new ArrayList<>();
        for (MeshLink l : mesh.links()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("peer", l.peer().name());
            m.put("site", l.peer().site());
            m.put("kind", l.kind().name().toLowerCase());
            m.put("direction", l.outbound() ? "out" : "in");
            m.put("eventsSent", l.eventsSent());
            m.put("bytesSent", l.bytesSent());
            m.put("eventsReceived", l.eventsReceived());
            m.put("dropped", l.dropped());
            m.put("rttMicros", l.rttNanos() < 0 ? null : l.rttNanos() / 1000);
            links.add(m);
        }
        Map<String, Map<String, Long>> byPeer = new TreeMap<>();
        Map<String, Map<String, Long>> bySite = new TreeMap<>();
        mesh.sentCounters().forEach((peer, c) -> {
            byPeer.put(peer, counters(c));
            Map<String, Long> s = bySite.computeIfAbsent(mesh.siteOf(peer), k -> counters(new long[4]));
            s.merge("events", c[0], Long::sum);
            s.merge("bytes", c[1], Long::sum);
            s.merge("dropped", c[2], Long::sum);
            s.merge("filtered", c[3], Long::sum);
        });
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("links", links);
        doc.put("sentByPeer", byPeer);
        doc.put("sentBySite", bySite);
        return doc;
    }

    private static Map<String, Long> counters(long[] c) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("events", c[0]);
        m.put("bytes", c[1]);
        m.put("dropped", c[2]);
        m.put("filtered", c[3]); // kept off the link: no filter behind it accepted the event
        return m;
    }
}
