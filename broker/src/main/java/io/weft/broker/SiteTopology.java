package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.weft.routing.net.MeshFrames;
import io.weft.routing.net.MeshLink;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.NodeInfo;
import io.weft.routing.topology.LinkState;
import io.weft.routing.topology.SiteGraph;
import io.weft.routing.topology.SiteTree;
import io.weft.routing.topology.SiteTrees;
import io.weft.routing.topology.TopologyCodec;
import io.weft.routing.topology.TopologyEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The node's link-state map of the site graph ({@link TopologyEngine}) on real links: every link of
 * mesh protocol version 2 or later is a neighbour, gateway links are the node's own site links, and
 * the map's messages travel as gossip frames. It shows which sites are joined to which, with costs,
 * and the tree an event from each site would follow ({@code GET /v1/topology}).
 *
 * <p>Today's routing is still one site hop (every node dials a node of every site), so the trees are
 * stars and nothing is routed on them yet: this is the map multi-hop routing will use.
 *
 * <p>Thread-safe: every call into the engine holds this object's lock (its traffic is a few messages
 * per link change and per gossip interval), separate from the routing lock.
 */
final class SiteTopology {
    private final MeshNetwork net;
    private TopologyEngine engine;

    SiteTopology(MeshNetwork net) {
        this.net = net;
    }

    private static long nowMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    /** Starts the map once the node knows its addresses; the links already up become neighbours. */
    synchronized void start(NodeInfo self, long gossipIntervalMillis, boolean noTransit, boolean acceptsInbound,
                            Map<String, Integer> costs) {
        engine = new TopologyEngine(self.name(), self.site(), self.incarnation(),
                new TopologyEngine.Config(TopologyEngine.Config.DEFAULT_REFRESH_MILLIS,
                        TopologyEngine.Config.DEFAULT_MAX_AGE_MILLIS, gossipIntervalMillis, noTransit, acceptsInbound,
                        self.meshAddress(), costs),
                new SplittableRandom(self.incarnation() ^ self.name().hashCode()), nowMillis());
        for (MeshLink l : net.links()) {
            if (l.isActive() && l.version() >= MeshFrames.VERSION_LINK_STATE) {
                engine.linkUp(l.peer().name(), l.peer().site(), nowMillis());
            }
        }
        send();
    }

    void linkUp(MeshLink l) {
        if (l.version() < MeshFrames.VERSION_LINK_STATE) {
            return;
        }
        synchronized (this) {
            if (engine != null) {
                engine.linkUp(l.peer().name(), l.peer().site(), nowMillis());
                send();
            }
        }
    }

    void linkDown(MeshLink l) {
        if (l.version() < MeshFrames.VERSION_LINK_STATE || net.linkTo(l.peer().name()) != null) {
            return; // another connection with that node is still up
        }
        synchronized (this) {
            if (engine != null) {
                engine.linkDown(l.peer().name(), nowMillis());
                send();
            }
        }
    }

    /** A gossip frame of the link-state map (type byte at the reader index). */
    void message(MeshLink l, ByteBuf frame) {
        var m = TopologyCodec.decode(frame);
        synchronized (this) {
            if (engine != null) {
                engine.onMessage(l.peer().name(), m, nowMillis());
                send();
            }
        }
    }

    /** {@code n} left the mesh: its record gives way to a tombstone. */
    void nodeLeft(NodeInfo n) {
        synchronized (this) {
            if (engine != null) {
                engine.nodeLeft(n.name(), n.site(), n.incarnation(), nowMillis());
                send();
            }
        }
    }

    /** Runs what is due; returns when the next work is due, in {@link System#nanoTime()} terms. */
    synchronized long tick() {
        if (engine == null) {
            return Long.MAX_VALUE;
        }
        long now = nowMillis();
        engine.tick(now);
        send();
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, engine.nextDueMillis() - now));
    }

    /** Sends the engine's outbox, under the lock, so messages leave in the order they were made. */
    private void send() {
        for (TopologyEngine.Outgoing o : engine.drainOutbox()) {
            MeshLink link = net.linkTo(o.toNode());
            if (link == null || link.version() < MeshFrames.VERSION_LINK_STATE) {
                continue;
            }
            ByteBuf frame = PooledByteBufAllocator.DEFAULT.buffer(128);
            frame.writeInt(0);
            TopologyCodec.encode(o.message(), frame);
            frame.setInt(0, frame.readableBytes() - 4);
            link.sendFrame(frame);
        }
    }

    /** Counters for {@code /metrics}: records held, graph computations, installs of a changed graph. */
    synchronized long[] counters() {
        return engine == null ? new long[3]
                : new long[] {engine.lsdb().size(), engine.spfRuns(), engine.treeInstalls()};
    }

    /**
     * {@code GET /v1/topology}: the site graph (sites, no-transit, links with costs), this node's
     * neighbours and record, the database's size and digest, and the tree of every origin site.
     */
    synchronized Map<String, Object> view() {
        Map<String, Object> doc = new LinkedHashMap<>();
        if (engine == null) {
            doc.put("started", false);
            return doc;
        }
        doc.put("node", engine.node());
        doc.put("site", engine.site());
        SiteGraph g = engine.graph();
        List<Object> sites = new ArrayList<>();
        List<Object> links = new ArrayList<>();
        for (String s : g.sites()) {
            Map<String, Object> site = new LinkedHashMap<>();
            site.put("site", s);
            site.put("noTransit", g.isNoTransit(s));
            site.put("nodes", engine.lsdb().records().stream()
                    .filter(r -> r.site().equals(s) && !r.tombstone()).map(LinkState::node).toList());
            sites.add(site);
            for (Map.Entry<String, Integer> n : new TreeMap<>(g.neighbours(s)).entrySet()) {
                if (s.compareTo(n.getKey()) < 0) {
                    Map<String, Object> link = new LinkedHashMap<>();
                    link.put("sites", List.of(s, n.getKey()));
                    link.put("cost", n.getValue());
                    link.put("pairs", engine.lsdb().confirmedPairs(s, n.getKey()));
                    links.add(link);
                }
            }
        }
        doc.put("sites", sites);
        doc.put("links", links);
        Map<String, Object> trees = new LinkedHashMap<>();
        SiteTrees current = engine.trees().current();
        for (String origin : g.sites()) {
            SiteTree t = current.tree(origin);
            if (t == null) {
                continue;
            }
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("fingerprint", Long.toHexString(t.fingerprint()));
            tree.put("parents", t.parents());
            Map<String, Object> depths = new TreeMap<>();
            t.sites().forEach(s -> depths.put(s, t.depth(s)));
            tree.put("depths", depths);
            trees.put(origin, tree);
        }
        doc.put("trees", trees);
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("record", record(engine.own()));
        self.put("neighbours", new TreeMap<>(engine.neighbours()));
        doc.put("self", self);
        Map<String, Object> db = new LinkedHashMap<>();
        db.put("records", engine.lsdb().size());
        db.put("digest", Long.toHexString(engine.lsdb().digest()));
        db.put("graphComputations", engine.spfRuns());
        db.put("graphChanges", engine.treeInstalls());
        doc.put("database", db);
        return doc;
    }

    private static Map<String, Object> record(LinkState r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", r.seq());
        m.put("noTransit", r.noTransit());
        m.put("acceptsInbound", r.acceptsInbound());
        m.put("links", r.links().stream().map(l -> l.peerNode() + "@" + l.peerSite() + " cost " + l.cost()).toList());
        return m;
    }
}
