package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.weft.routing.net.MeshFrames;
import io.weft.routing.net.MeshLink;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.NodeInfo;
import io.weft.routing.net.TreeHop;
import io.weft.routing.topology.Forwarding;
import io.weft.routing.topology.InterestRelay;
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
 * The node's link-state map of the site graph ({@link TopologyEngine}) and the relayed interest of
 * every site ({@link InterestRelay}) on real links: every link of mesh protocol version 2 or later is a
 * neighbour, gateway links are the node's own site links, and both databases' messages travel as gossip
 * frames. It shows which sites are joined to which, with costs, and the tree an event from each site
 * follows ({@code GET /v1/topology}), and makes the hop decisions of events routed on those trees
 * ({@link Forwarding}): sites that are not in this node's membership view are reached that way.
 *
 * <p>Thread-safe: every call into the engines holds this object's lock (their traffic is a few messages
 * per link or interest change and per gossip interval; the hop decisions are per event routed on a
 * tree), separate from the routing lock. Relayed interest changes are handed to {@code relayed} under
 * this lock, so that callback may take the routing lock, never the other way round.
 */
final class SiteTopology {
    private final MeshNetwork net;
    private final java.util.function.Consumer<List<InterestRelay.Change>> relayed;
    private TopologyEngine engine;
    private InterestRelay relay;
    private Forwarding forwarding;
    /**
     * A change of the site graph this node saw, and the last one after it: a burst of changes ends when
     * {@link #SETTLED_MILLIS} pass without another, and its length (first to last change) is handed to
     * {@link #converged}. Millis of {@link #nowMillis()}, or -1 when no burst is open.
     */
    private long burstStart = -1;
    private long burstLast;
    private long installsSeen;
    /** Quiet time after which the graph counts as settled. */
    static final long SETTLED_MILLIS = 1000;
    private volatile java.util.function.DoubleConsumer converged = seconds -> { };
    /** Hop plans of {@link #plan} and links of {@link #linkInto} while the map, trees and links stay as they were. */
    private final Map<IngressKey, Plan> plans = new java.util.HashMap<>();
    /** The header {@link #stamp} gives while the trees stay, and the last plan with what it was made for. */
    private Forwarding.Header stamped;
    private Object memoToken;
    private Forwarding.Header memoHeader;
    private SiteTree memoTree;
    private Plan memoPlan;
    private final Map<String, MeshLink> linksInto = new java.util.HashMap<>();
    private long cacheKey;
    private static final int MAX_CACHED_DECISIONS = 1024;
    /** Events (or their copies for one child site) dropped by the tree hop rules, by reason. */
    private final Map<Forwarding.DropReason, java.util.concurrent.atomic.LongAdder> drops =
            new java.util.EnumMap<>(Forwarding.DropReason.class);

    /** @param relayed told of every change of another site's relayed interest, under this object's lock */
    SiteTopology(MeshNetwork net, java.util.function.Consumer<List<InterestRelay.Change>> relayed) {
        this.net = net;
        this.relayed = relayed;
        for (Forwarding.DropReason r : Forwarding.DropReason.values()) {
            drops.put(r, new java.util.concurrent.atomic.LongAdder());
        }
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
        relay = new InterestRelay(self.name(), self.site(), new InterestRelay.Config(
                TopologyEngine.Config.DEFAULT_REFRESH_MILLIS, TopologyEngine.Config.DEFAULT_MAX_AGE_MILLIS,
                gossipIntervalMillis), new SplittableRandom(self.incarnation() ^ ~self.name().hashCode()), nowMillis());
        forwarding = new Forwarding(self.site(), self.name(), Forwarding.DEFAULT_MAX_SITE_HOPS);
        for (MeshLink l : net.links()) {
            if (l.isActive() && l.version() >= MeshFrames.VERSION_LINK_STATE) {
                engine.linkUp(l.peer().name(), l.peer().site(), nowMillis());
                if (l.version() >= MeshFrames.VERSION_TREE_EVENT) {
                    relay.neighbourUp(l.peer().name(), l.peer().site(), nowMillis());
                }
            }
        }
        send();
    }

    void linkUp(MeshLink l) {
        invalidate();
        if (l.version() < MeshFrames.VERSION_LINK_STATE) {
            return;
        }
        synchronized (this) {
            if (engine != null) {
                engine.linkUp(l.peer().name(), l.peer().site(), nowMillis());
                if (l.version() >= MeshFrames.VERSION_TREE_EVENT) {
                    relay.neighbourUp(l.peer().name(), l.peer().site(), nowMillis());
                }
                send();
            }
        }
    }

    void linkDown(MeshLink l) {
        invalidate();
        if (l.version() < MeshFrames.VERSION_LINK_STATE || net.linkTo(l.peer().name()) != null) {
            return; // another connection with that node is still up
        }
        synchronized (this) {
            if (engine != null) {
                engine.linkDown(l.peer().name(), nowMillis());
                relay.neighbourDown(l.peer().name(), nowMillis());
                send();
            }
        }
    }

    /** A gossip frame of the link-state map (type byte at the reader index). */
    void message(MeshLink l, ByteBuf frame) {
        var m = TopologyCodec.decode(frame);
        synchronized (this) {
            if (engine != null) {
                if (InterestRelay.handles(m)) {
                    relay.onMessage(l.peer().name(), m, nowMillis());
                } else {
                    engine.onMessage(l.peer().name(), m, nowMillis());
                }
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
        relay.tick(now);
        send();
        long due = Math.min(engine.nextDueMillis(), relay.nextDueMillis());
        return Math.min(burstDueNanos(now), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, due - now)));
    }

    /**
     * This node is its site's speaker (the lowest-named live node of the site) and its view of the site's
     * aggregate is {@code sortedAggregate} at {@code digest}: the relay announces it when it changed.
     */
    synchronized void speak(List<io.weft.routing.InterestEntry> sortedAggregate, long digest) {
        if (relay != null) {
            relay.speak(sortedAggregate, digest, nowMillis());
            send();
        }
    }

    /** The sites of the current site graph. */
    synchronized java.util.Set<String> graphSites() {
        return engine == null ? java.util.Set.of() : java.util.Set.copyOf(engine.graph().sites());
    }

    /** How many nodes of {@code site} the site map holds records of that are not tombstones. */
    synchronized int liveRecords(String site) {
        if (engine == null) {
            return 0;
        }
        int n = 0;
        for (LinkState r : engine.lsdb().records()) {
            if (r.site().equals(site) && !r.tombstone()) {
                n++;
            }
        }
        return n;
    }

    /** Whether the site map holds a record of {@code node} that is not a tombstone. */
    synchronized boolean hasLiveRecord(String node) {
        if (engine == null) {
            return false;
        }
        LinkState r = engine.lsdb().get(node);
        return r != null && !r.tombstone();
    }

    /** Another node speaks for this site now. */
    synchronized void silence() {
        if (relay != null) {
            relay.silence();
        }
    }

    /**
     * True once this node has exchanged the relayed interest with a node of another site (their digests
     * matched): asked only of a node whose site's links are configured, which is not ready before.
     */
    synchronized boolean syncedAcrossSites() {
        if (engine == null) {
            return false;
        }
        for (Map.Entry<String, String> n : engine.neighbours().entrySet()) {
            if (!n.getValue().equals(engine.site()) && relay.syncedNeighbours().contains(n.getKey())) {
                return true;
            }
        }
        return false;
    }

    // ---- events on the site trees ----

    /** The header of an event published here, or null (counted) when this node has no tree of its site yet. */
    synchronized Forwarding.Header stamp() {
        if (engine == null) { // not started: no tree yet
            drops.get(Forwarding.DropReason.UNKNOWN_TREE).increment();
            return null;
        }
        checkCache();
        Forwarding.Header h = stamped;
        if (h == null) {
            h = forwarding == null ? null : forwarding.stamp(engine.trees());
            stamped = h; // the same object while the trees stay: the plan memo below compares it by identity
        }
        if (h == null) {
            drops.get(Forwarding.DropReason.UNKNOWN_TREE).increment();
        }
        return h;
    }

    /**
     * What the site-entry node of an event does with it ({@link #plan}), with each forward's hop header
     * made once: for an event that carries no queue groups, a copy sent into the child site carries
     * {@code hops[i]} as it is, and a hand-off to the egress peer carries {@code hops[i]} (its child site set).
     */
    record Plan(Forwarding.Decision decision, TreeHop[] hops) {
    }

    /**
     * The plan for the last event whose {@code token} (the route decision its wanted sites came from, a
     * cached object while the interest stays), header and tree were these same objects, or null; counted as
     * {@link #plan} counts. Lock held, no allocation: the path of every event of a busy topic.
     */
    synchronized Plan memoPlan(Object token, Forwarding.Header header, SiteTree tree) {
        if (engine == null) {
            return null;
        }
        checkCache();
        Plan p = memoPlan;
        if (p == null || token != memoToken || header != memoHeader || tree != memoTree) {
            return null;
        }
        count(p.decision());
        return p;
    }

    /**
     * Where the site-entry node of an event sends it on: to each child site of this site in the event's
     * tree whose subtree holds a site of {@code wanted}, through this node or a site peer (the egress).
     * {@code tree} is the tree of an accepted gateway hop ({@link #receive}), or null at the publisher.
     * Refusals are counted; null when the event's tree is unknown. Remembered for {@link #memoPlan} under
     * {@code token} when that is not null.
     */
    synchronized Plan plan(Object token, SiteTree tree, Forwarding.Header header, java.util.Collection<String> wanted) {
        checkCache();
        IngressKey key = new IngressKey(header.originSite(), header.treeFp(), header.siteHops(), List.copyOf(wanted));
        Plan p = plans.get(key);
        if (p == null) {
            SiteTree t = tree != null ? tree : forwarding.treeOf(header, engine.trees());
            if (t == null) {
                drops.get(Forwarding.DropReason.UNKNOWN_TREE).increment();
                return null;
            }
            Forwarding.Decision d = forwarding.ingress(t, header, wanted, liveLinkSites(),
                    child -> engine.lsdb().holders(engine.site(), child));
            TreeHop[] hops = new TreeHop[d.forwards().size()];
            for (int i = 0; i < hops.length; i++) {
                Forwarding.Forward f = d.forwards().get(i);
                hops[i] = f.egressNode().equals(engine.node())
                        ? new TreeHop(new Forwarding.Header(header.originSite(), header.treeFp(), f.siteHops()), null, List.of())
                        : new TreeHop(header, f.childSite(), List.of());
            }
            p = new Plan(d, hops);
            if (plans.size() >= MAX_CACHED_DECISIONS) {
                plans.clear();
            }
            plans.put(key, p);
        }
        count(p.decision());
        if (token != null) {
            memoToken = token;
            memoHeader = header;
            memoTree = tree;
            memoPlan = p;
        }
        return p;
    }

    /** An ingress decision depends on the tree, the hop, the sites that want the event, the map and the links. */
    private record IngressKey(String origin, long treeFp, int siteHops, List<String> wanted) {
    }

    /**
     * Forgets the cached hop decisions and links when the map or the trees changed since they were made
     * ({@link #invalidate} covers the links): an event of a busy topic then costs a map lookup here, not a
     * walk of the tree, the links and the records.
     */
    private void checkCache() {
        long key = engine.lsdb().digest() * 31 + engine.treeInstalls();
        if (key != cacheKey) {
            cacheKey = key;
            forget();
        }
    }

    /** A link came up or went down: cached decisions may name it, or miss it. */
    private synchronized void invalidate() {
        forget();
    }

    private void forget() {
        plans.clear();
        linksInto.clear();
        stamped = null;
        memoToken = null;
        memoHeader = null;
        memoTree = null;
        memoPlan = null;
    }

    /** A gateway hop of an event from a node of {@code fromSite}: accepted with its tree, or refused (counted). */
    synchronized Forwarding.Decision receive(Forwarding.Header header, String fromSite) {
        Forwarding.Decision d = forwarding.receive(header, fromSite, engine.trees());
        count(d);
        return d;
    }

    /** A site peer handed this node an event for {@code childSite}: accepted with one forward, or refused (counted). */
    synchronized Forwarding.Decision egress(Forwarding.Header header, String childSite) {
        Forwarding.Decision d = forwarding.egress(header, childSite, engine.trees(), liveLinkSites());
        count(d);
        return d;
    }

    private void count(Forwarding.Decision d) {
        if (d.reason() != null) {
            drops.get(d.reason()).increment();
        }
        for (Forwarding.Drop x : d.drops()) {
            drops.get(x.reason()).increment();
        }
    }

    /** Sets who is told, in seconds, how long each burst of site graph changes took to settle here. */
    void onConverged(java.util.function.DoubleConsumer listener) {
        this.converged = listener;
    }

    /**
     * Opens or extends a burst of graph changes when the engine installed a changed graph, and closes one
     * that has been quiet for {@link #SETTLED_MILLIS}. What it measures starts when this node saw the first
     * change: the time to detect a failure (at once for a reset connection, the heartbeat timeout for a
     * silent one) comes before it.
     */
    private void noteInstalls(long now) {
        long installs = engine.treeInstalls();
        if (installs != installsSeen) {
            installsSeen = installs;
            if (burstStart < 0) {
                burstStart = now;
            }
            burstLast = now;
        } else if (burstStart >= 0 && now - burstLast >= SETTLED_MILLIS) {
            converged.accept((burstLast - burstStart) / 1000.0);
            burstStart = -1;
        }
    }

    /** When an open burst of graph changes is due to be closed, in {@link System#nanoTime()} terms, or MAX_VALUE. */
    private long burstDueNanos(long now) {
        return burstStart < 0 ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, burstLast + SETTLED_MILLIS - now));
    }

    /** Counts a copy dropped for {@code reason} outside the decisions (a link that went down since). */
    void dropped(Forwarding.DropReason reason) {
        drops.get(reason).increment();
    }

    /** Events dropped by the tree hop rules, by reason, for {@code /metrics}. */
    Map<String, Long> dropCounts() {
        Map<String, Long> out = new TreeMap<>();
        drops.forEach((r, n) -> out.put(r.metricName(), n.sum()));
        return out;
    }

    /** The sites this node holds a live gateway link to that can carry tree events. */
    private java.util.Set<String> liveLinkSites() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (MeshLink l : net.links()) {
            if (l.isActive() && l.version() >= MeshFrames.VERSION_TREE_EVENT && !l.peer().site().equals(engine.site())) {
                out.add(l.peer().site());
            }
        }
        return out;
    }

    /** A live link from this node into {@code site} that carries tree events (the first by node name), or null. */
    synchronized MeshLink linkInto(String site) {
        if (engine != null) {
            checkCache();
        }
        MeshLink cached = linksInto.get(site);
        if (cached != null && cached.isActive()) {
            return cached;
        }
        MeshLink best = null;
        for (MeshLink l : net.links()) {
            if (l.isActive() && l.version() >= MeshFrames.VERSION_TREE_EVENT && l.peer().site().equals(site)
                    && (best == null || l.peer().name().compareTo(best.peer().name()) < 0)) {
                best = l;
            }
        }
        if (best != null) {
            linksInto.put(site, best);
        }
        return best;
    }

    /**
     * Sends both engines' outboxes, under the lock, so messages leave in the order they were made, and
     * hands the relayed interest changes on.
     */
    private void send() {
        noteInstalls(nowMillis());
        List<InterestRelay.Change> changes = relay.drainChanges();
        if (!changes.isEmpty()) {
            relayed.accept(changes);
        }
        List<TopologyEngine.Outgoing> out = new ArrayList<>(engine.drainOutbox());
        out.addAll(relay.drainOutbox());
        for (TopologyEngine.Outgoing o : out) {
            MeshLink link = net.linkTo(o.toNode());
            if (link == null || link.version() < (InterestRelay.handles(o.message()) ? MeshFrames.VERSION_TREE_EVENT
                    : MeshFrames.VERSION_LINK_STATE)) {
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
        Map<String, Object> interest = new LinkedHashMap<>();
        interest.put("speaking", relay.speaking());
        Map<String, Object> held = new LinkedHashMap<>();
        relay.held().forEach((site, h) -> {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("speaker", h.speaker());
            r.put("version", h.version().epoch() + "." + h.version().seq());
            r.put("entries", h.entryCount());
            held.put(site, r);
        });
        interest.put("sites", held);
        interest.put("digest", Long.toHexString(relay.digest()));
        doc.put("relayedInterest", interest);
        doc.put("drops", dropCounts());
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
