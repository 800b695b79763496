package io.weft.routing.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One node's side of the link-state protocol, pure: it originates the node's own {@link LinkState}
 * from the gateway links it holds, floods records it finds newer, repairs by anti-entropy what
 * flooding missed, and keeps the site graph and its trees ({@link TreeCache}) current. The caller
 * (the broker's mesh node) tells it about links and messages and sends what {@link #drainOutbox}
 * returns; time is the caller's, in milliseconds.
 *
 * <p><b>Neighbours</b> are the nodes this node holds a live link with that speaks link state: site
 * peers (route links) and nodes of other sites (gateway links), whoever dialled. A record goes to
 * every neighbour but the one it came from, so it crosses each link about once per change; inside a
 * site every node gets it from the node that heard it first, over one route hop.
 *
 * <p><b>The own record</b> lists the node's gateway neighbours. It is re-originated with the next
 * {@code seq} whenever that set changes, and every {@code refreshMillis} so that it outlives MaxAge
 * ({@code maxAgeMillis}) on every other node. A record of this node that comes back newer than the
 * one it holds (a copy from before a restart within the same incarnation) makes it jump past it.
 *
 * <p><b>Anti-entropy</b>, every {@code gossipIntervalMillis}: the database digest goes to every
 * gateway neighbour and to one site neighbour drawn at random; a neighbour whose digest differs
 * answers with its summary, and the two then send each other what is newer and pull what they lack.
 *
 * <p>Not thread-safe: the caller serialises calls.
 */
public final class TopologyEngine {
    /**
     * Settings.
     *
     * @param refreshMillis        how often the own record is re-originated unchanged
     * @param maxAgeMillis         how long a record lives without a newer copy ({@link LinkStateDb#expire})
     * @param gossipIntervalMillis how often anti-entropy runs
     * @param noTransit            this node's site is an edge, never a transit site of a tree
     * @param acceptsInbound       this node accepts inbound gateway connections
     * @param meshAddr             the node's mesh address, for the record
     * @param costs                link cost per peer site, {@link LinkState#MIN_COST} when absent
     */
    public record Config(long refreshMillis, long maxAgeMillis, long gossipIntervalMillis, boolean noTransit,
                         boolean acceptsInbound, String meshAddr, Map<String, Integer> costs) {
        public Config {
            if (refreshMillis <= 0 || gossipIntervalMillis <= 0 || maxAgeMillis <= refreshMillis) {
                throw new IllegalArgumentException("refresh, gossip interval and max age must be positive, max age "
                        + "longer than the refresh: " + refreshMillis + ", " + gossipIntervalMillis + ", " + maxAgeMillis);
            }
            Objects.requireNonNull(meshAddr, "meshAddr");
            costs = Map.copyOf(costs);
        }

        /** How often a node re-originates its record unchanged, by default. */
        public static final long DEFAULT_REFRESH_MILLIS = 30_000;
        /** How long a record lives without a newer copy, by default: four refreshes. */
        public static final long DEFAULT_MAX_AGE_MILLIS = 4 * DEFAULT_REFRESH_MILLIS;

        /** The defaults: the default refresh and MaxAge, transit allowed, inbound accepted, unit costs. */
        public static Config defaults(String meshAddr, long gossipIntervalMillis) {
            return new Config(DEFAULT_REFRESH_MILLIS, DEFAULT_MAX_AGE_MILLIS, gossipIntervalMillis, false, true, meshAddr,
                    Map.of());
        }
    }

    /** A message to send to {@code toNode}. */
    public record Outgoing(String toNode, TopologyMessage message) {
    }

    private final String node;
    private final String site;
    private final long incarnation;
    private final Config config;
    private final RandomGenerator random;
    private final LinkStateDb lsdb;
    private final TreeCache trees = new TreeCache();
    /** Live neighbours: node name to its site. */
    private final Map<String, String> neighbours = new TreeMap<>();
    private final List<Outgoing> outbox = new ArrayList<>();
    private LinkState own;
    private long nextRefresh;
    private long nextGossip;
    private boolean graphDirty = true;
    private long spfRuns;
    private long treeInstalls;
    private long recordsApplied;

    public TopologyEngine(String node, String site, long incarnation, Config config, RandomGenerator random,
                          long nowMillis) {
        this.node = node;
        this.site = site;
        this.incarnation = incarnation;
        this.config = config;
        this.random = random;
        this.lsdb = new LinkStateDb(config.maxAgeMillis());
        originate(0, nowMillis);
        this.nextGossip = nowMillis + config.gossipIntervalMillis();
        recompute();
    }

    /** A link that speaks link state came up, with {@code peerNode} of {@code peerSite}. */
    public void linkUp(String peerNode, String peerSite, long nowMillis) {
        String was = neighbours.put(peerNode, peerSite);
        if (!peerSite.equals(site) && was == null) {
            originate(own.seq() + 1, nowMillis);
        }
        // a new neighbour learns the database at once, not at the next anti-entropy round
        outbox.add(new Outgoing(peerNode, new TopologyMessage.Digest(lsdb.digest(), true)));
        recompute();
    }

    /** The link with {@code peerNode} went down. */
    public void linkDown(String peerNode, long nowMillis) {
        String peerSite = neighbours.remove(peerNode);
        if (peerSite != null && !peerSite.equals(site)) {
            originate(own.seq() + 1, nowMillis);
            recompute();
        }
    }

    /**
     * {@code departed}, of {@code departedSite}, left (its incarnation {@code departedIncarnation}): its
     * record is replaced by a tombstone, flooded, so its links stop counting before MaxAge.
     */
    public void nodeLeft(String departed, String departedSite, long departedIncarnation, long nowMillis) {
        if (departed.equals(node)) {
            return;
        }
        LinkState t = LinkState.tombstone(departed, departedSite, departedIncarnation);
        if (lsdb.apply(t, nowMillis)) {
            recordsApplied++;
            flood(t, null);
            graphDirty = true;
            recompute();
        }
    }

    /** A message from neighbour {@code from}. */
    public void onMessage(String from, TopologyMessage m, long nowMillis) {
        if (m instanceof TopologyMessage.Record r) {
            install(r.state(), from, nowMillis);
        } else if (m instanceof TopologyMessage.Digest d) {
            long mine = lsdb.digest();
            if (d.digest() != mine) {
                outbox.add(new Outgoing(from, new TopologyMessage.Summary(lsdb.summary())));
            } else if (d.replyWanted()) {
                outbox.add(new Outgoing(from, new TopologyMessage.Digest(mine, false)));
            }
        } else if (m instanceof TopologyMessage.Summary s) {
            for (LinkState newer : lsdb.newerThan(s.versions())) {
                outbox.add(new Outgoing(from, new TopologyMessage.Record(newer)));
            }
            List<String> missing = lsdb.missingFrom(s.versions());
            if (!missing.isEmpty()) {
                outbox.add(new Outgoing(from, new TopologyMessage.Pull(missing)));
            }
        } else if (m instanceof TopologyMessage.Pull p) {
            for (LinkState held : lsdb.recordsOf(p.nodes())) {
                outbox.add(new Outgoing(from, new TopologyMessage.Record(held)));
            }
        }
        recompute();
    }

    private void install(LinkState s, String from, long nowMillis) {
        if (s.node().equals(node)) {
            // a copy of our own record: ignore it unless it claims more than we hold (then jump past it)
            if (s.incarnation() == incarnation && s.seq() > own.seq() && !s.tombstone()) {
                originate(s.seq() + 1, nowMillis);
            }
            return;
        }
        if (lsdb.apply(s, nowMillis)) {
            recordsApplied++;
            flood(s, from); // flood before install: neighbours hear of it before anything is routed on it
            graphDirty = true;
        }
    }

    /** Refreshes the own record, expires old records and runs anti-entropy when they are due. */
    public void tick(long nowMillis) {
        if (nowMillis - nextRefresh >= 0) {
            originate(own.seq() + 1, nowMillis);
        }
        if (!lsdb.expire(nowMillis).isEmpty()) {
            graphDirty = true;
        }
        if (nowMillis - nextGossip >= 0) {
            nextGossip = nowMillis + config.gossipIntervalMillis();
            List<String> sitePeers = new ArrayList<>();
            TopologyMessage.Digest digest = new TopologyMessage.Digest(lsdb.digest(), false);
            for (Map.Entry<String, String> n : neighbours.entrySet()) {
                if (n.getValue().equals(site)) {
                    sitePeers.add(n.getKey());
                } else {
                    outbox.add(new Outgoing(n.getKey(), digest));
                }
            }
            if (!sitePeers.isEmpty()) {
                outbox.add(new Outgoing(sitePeers.get(random.nextInt(sitePeers.size())), digest));
            }
        }
        recompute();
    }

    /** When {@link #tick} next has something to do. */
    public long nextDueMillis() {
        return nextRefresh - nextGossip < 0 ? nextRefresh : nextGossip;
    }

    /** The messages to send, in order; empties the outbox. */
    public List<Outgoing> drainOutbox() {
        if (outbox.isEmpty()) {
            return List.of();
        }
        List<Outgoing> out = new ArrayList<>(outbox);
        outbox.clear();
        return out;
    }

    private void originate(long seq, long nowMillis) {
        List<LinkState.Link> links = new ArrayList<>();
        for (Map.Entry<String, String> n : neighbours.entrySet()) {
            if (!n.getValue().equals(site)) {
                links.add(new LinkState.Link(n.getValue(), n.getKey(),
                        config.costs().getOrDefault(n.getValue(), LinkState.MIN_COST)));
            }
        }
        own = new LinkState(node, site, incarnation, seq, config.noTransit(), config.acceptsInbound(), false,
                config.meshAddr(), links);
        lsdb.apply(own, nowMillis);
        nextRefresh = nowMillis + config.refreshMillis();
        flood(own, null);
        graphDirty = true;
    }

    private void flood(LinkState s, String except) {
        TopologyMessage.Record r = new TopologyMessage.Record(s);
        for (String n : neighbours.keySet()) {
            if (!n.equals(except)) {
                outbox.add(new Outgoing(n, r));
            }
        }
    }

    private void recompute() {
        if (!graphDirty) {
            return;
        }
        graphDirty = false;
        SiteGraph g = lsdb.siteGraph();
        spfRuns++;
        if (trees.install(g)) {
            treeInstalls++;
        }
    }

    // ---- views ----

    public String node() {
        return node;
    }

    public String site() {
        return site;
    }

    /** This node's current record. */
    public LinkState own() {
        return own;
    }

    /** The link-state database (read it on the caller's thread). */
    public LinkStateDb lsdb() {
        return lsdb;
    }

    /** The current site graph. */
    public SiteGraph graph() {
        return trees.current().graph();
    }

    /** The trees of the current graph and of the last few before it. */
    public TreeCache trees() {
        return trees;
    }

    /** Live neighbours that speak link state, by node, with their sites. */
    public Map<String, String> neighbours() {
        return new HashMap<>(neighbours);
    }

    /** How often the site graph was recomputed. */
    public long spfRuns() {
        return spfRuns;
    }

    /** How often a changed graph was installed. */
    public long treeInstalls() {
        return treeInstalls;
    }

    /** Records of other nodes installed (newer than what was held). */
    public long recordsApplied() {
        return recordsApplied;
    }
}
