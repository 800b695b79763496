package io.weft.routing;

import io.weft.routing.MeshMessage.NodeDelta;
import io.weft.routing.MeshMessage.NodeDigest;
import io.weft.routing.MeshMessage.NodeFull;
import io.weft.routing.MeshMessage.NodePull;
import io.weft.routing.MeshMessage.SiteDigest;
import io.weft.routing.MeshMessage.SiteFull;
import io.weft.routing.MeshMessage.SiteUpdate;
import io.weft.routing.RouteTable.Target;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * The decision core of a mesh node: interest gossip (eager deltas and anti-entropy), site
 * aggregation, gateway choice, readiness and the routing decision for each event, as a pure state
 * machine. Inputs are calls (local subscriptions, membership changes, received messages, ticks
 * with the time in nanoseconds); outputs are return values and messages to send, collected in an
 * outbox that {@link #drainOutbox()} empties. No sockets, threads, clocks or randomness of its own
 * (randomness is the injected generator), so a seed replays a whole mesh.
 *
 * <p><b>Not thread-safe.</b> The adapter calls every method from one thread (one event loop), or
 * serialises the calls itself. {@link #route} reads the same state and must be called from that
 * thread too.
 *
 * <p><b>Own interest.</b> {@link #localSubscribe}/{@link #localUnsubscribe} count subscribers per
 * entry; an entry's first subscriber adds it, its last removes it. Changes accumulate until
 * {@link #flush()} (also run by {@link #tick}), which sends ONE batch: a {@link NodeDelta} per at
 * most {@link Config#maxDeltaEntries()} entries to every live same-site peer and, when the batch
 * changes this node's view of the site's aggregated interest, a {@link SiteUpdate} to this node's
 * gateway peer in every other site.
 *
 * <p><b>Same-site peers.</b> A delta applies on top of the previous version of the same
 * incarnation; an older version or incarnation is ignored; a gap or a newer incarnation is
 * answered with {@link NodePull}. A {@link NodeFull} replaces when newer. Messages about or from
 * nodes the membership layer has not reported alive are ignored: {@link #peerUp} is the only way
 * in, and on it both sides push their own {@link NodeFull} and pull the other's.
 *
 * <p><b>Remote sites</b> ({@link RemoteSites}). A {@link SiteUpdate} applies only to a copy whose
 * digest is its base (one that is already at the new digest ignores it); one that came early is
 * held a moment for the updates it builds on; one that still does not fit makes the node ask the
 * site for a full set with {@link SiteDigest} (to its own gateway peer there), answered by
 * {@link SiteFull}. A gateway receiver forwards each {@link SiteUpdate} to its live site peers,
 * which apply it the same way. Only a node that has synced with a site peer (or found itself
 * alone in its site at a gossip round) announces changes of its site or answers questions about
 * it, so a node that has just started does not hand out the partial view it has.
 *
 * <p><b>Anti-entropy</b>, every {@link Config#gossipIntervalNanos()}: a {@link NodeDigest} to one
 * random live site peer (push-pull, answered with a digest that ends the exchange), and a
 * {@link SiteDigest} of every remote site to this node's gateway peer there.
 *
 * <p><b>Membership</b> comes from outside ({@link #peerUp}, {@link #peerDown}). A dead site peer's
 * interest is removed at once; the live node of the site with the smallest name announces the
 * resulting change of the site aggregate to the other sites, the others update silently. A
 * remote site whose last live node is gone is forgotten with its interest.
 *
 * <p><b>Bounds.</b> The outbox holds at most {@link Config#maxOutboxPerPeer()} messages per
 * destination; past that, queued deltas to that peer are replaced by one {@link NodeFull} and
 * other messages are dropped (and counted in {@link #stats()}): every loss is repaired by
 * anti-entropy.
 */
public final class InterestEngine {
    /**
     * Settings.
     *
     * @param gossipIntervalNanos anti-entropy period. Shorter repairs lost messages sooner and costs
     *                            one digest per remote site per node per interval (a 100-site mesh:
     *                            100 small messages per node per interval). Anti-entropy only repairs:
     *                            changes travel eagerly. 1 ms .. 1 h; default 1 s
     * @param maxDeltaEntries     most entries in one delta or site update; a bigger batch is split.
     *                            Bounds message size under churn bursts. 1 .. 1,000,000; default 1000
     * @param maxOutboxPerPeer    most messages queued for one destination between two drains.
     *                            16 .. 1,000,000; default 4096
     * @param matchCacheCapacity  topics whose route match is cached (0 disables it); every interest
     *                            change with a wildcard costs a scan of the cache. 0 .. 1<<20;
     *                            default 4096
     */
    public record Config(long gossipIntervalNanos, int maxDeltaEntries, int maxOutboxPerPeer,
                         int matchCacheCapacity) {
        public static final long DEFAULT_GOSSIP_INTERVAL_NANOS = 1_000_000_000L;
        public static final int DEFAULT_MAX_DELTA_ENTRIES = 1000;
        public static final int DEFAULT_MAX_OUTBOX_PER_PEER = 4096;
        public static final int DEFAULT_MATCH_CACHE_CAPACITY = 4096;

        public Config {
            check(gossipIntervalNanos, 1_000_000L, 3_600_000_000_000L, "gossipIntervalNanos");
            check(maxDeltaEntries, 1, 1_000_000, "maxDeltaEntries");
            check(maxOutboxPerPeer, 16, 1_000_000, "maxOutboxPerPeer");
            check(matchCacheCapacity, 0, 1 << 20, "matchCacheCapacity");
        }

        /** The given gossip interval and delta size, defaults for the rest. */
        public Config(long gossipIntervalNanos, int maxDeltaEntries) {
            this(gossipIntervalNanos, maxDeltaEntries, DEFAULT_MAX_OUTBOX_PER_PEER, DEFAULT_MATCH_CACHE_CAPACITY);
        }

        public static Config defaults() {
            return new Config(DEFAULT_GOSSIP_INTERVAL_NANOS, DEFAULT_MAX_DELTA_ENTRIES);
        }

        private static void check(long value, long min, long max, String name) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
            }
        }
    }

    /**
     * Counters for metrics, since the engine was created.
     *
     * @param outboxDropped    messages refused by a full outbox (repaired by anti-entropy)
     * @param deltasReplaced   times queued deltas for a slow peer were replaced by one full set
     * @param ignoredMessages  messages from or about nodes not alive here, stale or inconsistent
     * @param nodePullsSent    NodePull sent (gaps, newer incarnations, anti-entropy)
     * @param siteFullsAsked   SiteDigest sent to ask for a full set after an update did not fit
     * @param siteUpdatesApplied SiteUpdate applied to a remote site's copy
     */
    public record Stats(long outboxDropped, long deltasReplaced, long ignoredMessages, long nodePullsSent,
                        long siteFullsAsked, long siteUpdatesApplied) {
    }

    private final NodeId self;
    private final Config config;
    private final RandomGenerator random;
    private final RouteTable routes;
    private final Outbox outbox;
    private final LocalInterest local = new LocalInterest();
    /** This node's view of its own site's aggregate: its published entries and its live peers'. */
    private final SiteAggregate siteAggregate = new SiteAggregate();
    private final TreeMap<String, PeerInterest> peers = new TreeMap<>();
    private final RemoteSites sites;
    /** Site of every node ever reported, and the highest incarnation seen of each. */
    private final Map<String, String> siteOfNode = new HashMap<>();
    private final Map<String, Long> incarnations = new HashMap<>();
    /**
     * Aggregates of other sites as relayed across site hops (one record per site, written by that
     * site's speaker): in the routing table only while the site has no live node in this node's
     * membership view, since a site of the view is served by {@link RemoteSites}.
     */
    private final Map<String, Set<InterestEntry>> relayed = new TreeMap<>();
    private boolean siteSynced;
    /** Digests this node's view of its site had lately: see {@link #answerSiteDigest}. */
    private final RecentDigests recentSiteDigests = new RecentDigests();
    private boolean gossipStarted;
    private long nextGossipNanos;
    private long nowNanos;
    private long deltasReplaced;
    private long ignoredMessages;
    private long nodePullsSent;

    /**
     * @param self   this node; its incarnation must grow across restarts
     * @param config settings
     * @param random the only source of randomness (peer choice for anti-entropy, queue group
     *               member choice): seed it in tests
     */
    public InterestEngine(NodeId self, Config config, RandomGenerator random) {
        this.self = Objects.requireNonNull(self, "self");
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
        this.routes = new RouteTable(config.matchCacheCapacity());
        this.outbox = new Outbox(config.maxOutboxPerPeer());
        this.sites = new RemoteSites(self.name(), config.gossipIntervalNanos(), routes, outbox);
        siteOfNode.put(self.name(), self.site());
        incarnations.put(self.name(), self.incarnation());
    }

    public NodeId self() {
        return self;
    }

    public Config config() {
        return config;
    }

    // ---------------------------------------------------------------- own interest

    /**
     * One more local subscriber of {@code e}. Routing sees it at once; peers learn it at the next
     * {@link #flush()} or {@link #tick}.
     *
     * @return true when {@code e} entered this node's interest (its first subscriber): a flush is due
     */
    public boolean localSubscribe(InterestEntry e) {
        Objects.requireNonNull(e, "entry");
        if (!local.subscribe(e)) {
            return false;
        }
        routes.add(Target.LOCAL, e);
        return true;
    }

    /**
     * One local subscriber of {@code e} fewer (a call without a matching subscribe is ignored).
     *
     * @return true when {@code e} left this node's interest (its last subscriber): a flush is due
     */
    public boolean localUnsubscribe(InterestEntry e) {
        Objects.requireNonNull(e, "entry");
        if (!local.unsubscribe(e)) {
            return false;
        }
        routes.remove(Target.LOCAL, e);
        return true;
    }

    /** True when local changes wait for {@link #flush()}. */
    public boolean hasPendingChanges() {
        return local.hasPending();
    }

    /**
     * Announces the local changes accumulated since the last flush as one batch (split in
     * deltas of at most {@link Config#maxDeltaEntries()}). Does nothing when there are none.
     */
    public void flush() {
        if (!local.hasPending()) {
            return;
        }
        EntryDiff.Chunk batch = local.takeBatch();
        long baseSum = siteAggregate.hashSum();
        int baseCount = siteAggregate.size();
        EntryDiff siteChange = new EntryDiff();
        for (InterestEntry e : batch.removed()) {
            siteAggregate.remove(e, siteChange);
        }
        for (InterestEntry e : batch.added()) {
            siteAggregate.add(e, siteChange);
        }
        List<NodeDelta> deltas = new ArrayList<>();
        for (EntryDiff.Chunk c : EntryDiff.chunks(batch.added(), batch.removed(), config.maxDeltaEntries())) {
            deltas.add(new NodeDelta(self.name(), self.incarnation(), local.nextVersion(), c.added(), c.removed()));
        }
        for (String peer : peers.keySet()) {
            sendDeltas(peer, deltas);
        }
        if (!siteChange.isEmpty() && siteSynced) {
            announceSiteChange(siteChange, baseSum, baseCount);
        }
        noteSiteDigest();
    }

    private void sendDeltas(String peer, List<NodeDelta> deltas) {
        if (outbox.room(peer) < deltas.size()) {
            // The peer's queue is full: one full set replaces every delta queued for it.
            outbox.remove(peer, m -> m instanceof NodeDelta);
            deltasReplaced++;
            outbox.offer(peer, selfFull());
            return;
        }
        for (NodeDelta d : deltas) {
            outbox.offer(peer, d);
        }
    }

    private NodeFull selfFull() {
        return new NodeFull(self.name(), self.incarnation(), local.version(), local.publishedSorted());
    }

    /**
     * Sends a change of this node's view of its site aggregate to every remote site, as a chain
     * of updates of at most {@link Config#maxDeltaEntries()} entries, each based on the digest
     * the previous one produces.
     */
    private void announceSiteChange(EntryDiff change, long baseSum, int baseCount) {
        if (sites.isEmpty()) {
            return;
        }
        long sum = baseSum;
        int count = baseCount;
        List<SiteUpdate> updates = new ArrayList<>();
        for (EntryDiff.Chunk c : EntryDiff.chunks(change.sortedAdded(), change.sortedRemoved(),
                config.maxDeltaEntries())) {
            long base = Hash64.setDigest(sum, count);
            for (InterestEntry e : c.removed()) {
                sum -= Hash64.entry(e);
                count--;
            }
            for (InterestEntry e : c.added()) {
                sum += Hash64.entry(e);
                count++;
            }
            updates.add(new SiteUpdate(self.site(), base, Hash64.setDigest(sum, count), c.added(), c.removed()));
        }
        if (sum != siteAggregate.hashSum() || count != siteAggregate.size()) {
            throw new IllegalStateException("site update chain of " + self.name() + " ends at " + count
                    + " entries, the aggregate has " + siteAggregate.size());
        }
        for (RemoteSite site : sites.all()) {
            for (SiteUpdate u : updates) {
                outbox.offer(site.gateway, u);
            }
        }
    }

    // ---------------------------------------------------------------- membership

    /**
     * The membership layer reports {@code peer} alive (idempotent). Call it for every node of
     * every site, including when a link handshake reveals a node before the membership view does.
     * A larger incarnation than known means a restart: the old incarnation's interest is dropped.
     * A smaller one is stale and ignored.
     */
    public void peerUp(NodeId peer) {
        Objects.requireNonNull(peer, "peer");
        if (peer.name().equals(self.name())) {
            return;
        }
        Long seen = incarnations.get(peer.name());
        if (seen != null && peer.incarnation() < seen) {
            return;
        }
        String knownSite = siteOfNode.get(peer.name());
        if (knownSite != null && !knownSite.equals(peer.site())) {
            peerDown(peer.name()); // moved to another site: forget it where it was
        }
        siteOfNode.put(peer.name(), peer.site());
        incarnations.put(peer.name(), peer.incarnation());
        if (peer.site().equals(self.site())) {
            sitePeerUp(peer);
            noteSiteDigest();
        } else {
            boolean viaRelay = sites.get(peer.site()) == null;
            sites.nodeUp(peer, nowNanos);
            if (viaRelay && sites.get(peer.site()) != null) {
                unrouteRelayed(peer.site()); // the site is in the view now: its gateway peer serves it
            }
        }
    }

    private void sitePeerUp(NodeId peer) {
        PeerInterest known = peers.get(peer.name());
        if (known != null && known.incarnation >= peer.incarnation()) {
            return;
        }
        if (known != null) {
            dropSitePeer(known); // restarted: its old interest is void
        }
        PeerInterest fresh = new PeerInterest(peer.name(), peer.incarnation());
        peers.put(peer.name(), fresh);
        if (local.version() > 0) {
            outbox.offer(peer.name(), selfFull());
        }
        pull(fresh, peer.name());
    }

    /**
     * The failure detector reports node {@code nodeName} dead (unknown names are ignored). Its
     * interest is dropped; if it was this node's gateway peer for its site, another is chosen.
     */
    public void peerDown(String nodeName) {
        if (nodeName == null || nodeName.equals(self.name())) {
            return;
        }
        String site = siteOfNode.get(nodeName);
        if (site == null) {
            return;
        }
        outbox.remove(nodeName, m -> true);
        if (site.equals(self.site())) {
            PeerInterest peer = peers.get(nodeName);
            if (peer != null) {
                dropSitePeer(peer);
                noteSiteDigest();
            }
            return;
        }
        sites.nodeDown(nodeName, site, nowNanos);
        if (sites.get(site) == null) {
            routeRelayed(site); // its last node left the view: what the relay says of it is all there is
        }
    }

    // ---------------------------------------------------------------- relayed site interest

    /**
     * The name {@link RouteDecision#gatewayNodes()} gives a site reached on the site trees (through
     * {@link #relayedSite}) rather than through a gateway peer of this node.
     */
    public static final String VIA_TREE = "(site tree)";

    /**
     * The aggregate of {@code site} as relayed across site hops, replacing what was held; null when its
     * record is gone. Routed to only while {@code site} has no live node in this node's membership view
     * ({@link #gatewayPeer} is then null): such a site is reached on the site trees, and route decisions
     * name it with {@link #VIA_TREE}. This node's own site is ignored.
     */
    public void relayedSite(String site, Collection<InterestEntry> entries) {
        Objects.requireNonNull(site, "site");
        if (site.equals(self.site())) {
            return;
        }
        boolean routed = sites.get(site) == null;
        if (routed) {
            unrouteRelayed(site);
        }
        if (entries == null) {
            relayed.remove(site);
        } else {
            relayed.put(site, new HashSet<>(entries));
        }
        if (routed) {
            routeRelayed(site);
        }
    }

    private void routeRelayed(String site) {
        Set<InterestEntry> held = relayed.get(site);
        if (held != null) {
            Target target = Target.site(site);
            for (InterestEntry e : held) {
                routes.add(target, e);
            }
            routes.touch();
        }
    }

    private void unrouteRelayed(String site) {
        Set<InterestEntry> held = relayed.get(site);
        if (held != null) {
            Target target = Target.site(site);
            for (InterestEntry e : held) {
                routes.remove(target, e);
            }
            routes.touch();
        }
    }

    /** The sites whose relayed aggregate is routed to (not in the membership view), sorted. */
    public Set<String> treeSites() {
        Set<String> out = new TreeSet<>();
        for (String s : relayed.keySet()) {
            if (sites.get(s) == null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Adds to {@code out} every other site whose interest (held through a gateway peer or relayed)
     * matches {@code topic} with a plain entry, or a filtered one that {@code verdicts} accepts (every
     * filter counts when {@code verdicts} is null). Queue group entries do not count: a group goes to
     * the one site a publisher placed it on.
     */
    public void sitesWanting(String topic, FilterVerdicts verdicts, Set<String> out) {
        routes.sitesWanting(topic, verdicts, out);
    }

    /**
     * This node's link to its gateway peer {@code nodeName} died (a killed process resets it at
     * once; membership needs its failure timeout). Another node of that site becomes the gateway
     * peer for {@code avoidNanos}, so events to the site flow again as soon as a link to it is up.
     *
     * @return true when the gateway peer moved ({@link #linkTargets} changed)
     */
    public boolean gatewayLinkLost(String nodeName, long avoidNanos) {
        String site = siteOfNode.get(nodeName);
        if (site == null || site.equals(self.site())) {
            return false;
        }
        return sites.gatewayLost(nodeName, site, nowNanos, avoidNanos);
    }

    /** Removes a site peer and its interest; the announcer of the site tells the other sites. */
    private void dropSitePeer(PeerInterest peer) {
        peers.remove(peer.name);
        long baseSum = siteAggregate.hashSum();
        int baseCount = siteAggregate.size();
        EntryDiff siteChange = new EntryDiff();
        Target target = Target.node(peer.name);
        for (InterestEntry e : peer.entries) {
            routes.remove(target, e);
            siteAggregate.remove(e, siteChange);
        }
        if (!siteChange.isEmpty() && siteSynced && isSiteAnnouncer()) {
            announceSiteChange(siteChange, baseSum, baseCount);
        }
    }

    /** The live node of this site with the smallest name announces membership-driven changes. */
    private boolean isSiteAnnouncer() {
        return peers.isEmpty() || self.name().compareTo(peers.firstKey()) < 0;
    }

    // ---------------------------------------------------------------- messages

    /**
     * Handles a message received from node {@code fromNode}.
     *
     * @param viaGateway true when it came over a gateway link (from another site), false over a
     *                   route link (same site); a message whose link contradicts the sender's known
     *                   site is ignored
     * @param nowNanos   the adapter's monotonic clock, for retry pacing
     */
    public void onMessage(String fromNode, boolean viaGateway, MeshMessage m, long nowNanos) {
        Objects.requireNonNull(fromNode, "fromNode");
        Objects.requireNonNull(m, "message");
        this.nowNanos = nowNanos;
        String fromSite = siteOfNode.get(fromNode);
        if (fromSite != null && fromSite.equals(self.site()) == viaGateway) {
            ignoredMessages++;
            return;
        }
        if (m instanceof SiteDigest d && viaGateway && d.site().equals(self.site())) {
            answerSiteDigest(fromNode, d); // a question may come before the asker's peerUp
            return;
        }
        if (!isLive(fromNode, fromSite)) {
            ignoredMessages++;
            return;
        }
        if (!viaGateway) {
            onRouteMessage(peers.get(fromNode), m);
            noteSiteDigest();
        } else {
            onGatewayMessage(fromNode, sites.get(fromSite), m);
        }
    }

    /** Remembers the digest this node's view of its site had until now, if it just changed. */
    private void noteSiteDigest() {
        recentSiteDigests.update(siteAggregate.digest(), nowNanos);
    }

    private boolean isLive(String node, String site) {
        if (site == null || node.equals(self.name())) {
            return false;
        }
        return site.equals(self.site()) ? peers.containsKey(node) : sites.isLive(node, site);
    }

    private void onRouteMessage(PeerInterest from, MeshMessage m) {
        if (m instanceof NodeDelta d) {
            onNodeDelta(from, d);
        } else if (m instanceof NodeFull f) {
            onNodeFull(f);
        } else if (m instanceof NodeDigest d) {
            onNodeDigest(from, d);
        } else if (m instanceof NodePull p) {
            onNodePull(from, p);
        } else if (m instanceof SiteUpdate u && sites.get(u.site()) != null) {
            sites.onUpdate(sites.get(u.site()), u, nowNanos); // forwarded by this node's site peer
        } else {
            ignoredMessages++; // site fulls and digests travel over gateway links only
        }
    }

    private void onGatewayMessage(String from, RemoteSite fromSite, MeshMessage m) {
        if (m instanceof SiteUpdate u && u.site().equals(fromSite.name)) {
            for (String peer : peers.keySet()) {
                outbox.offer(peer, u); // the gateway receiver spreads it inside its site
            }
            sites.onUpdate(fromSite, u, nowNanos);
        } else if (m instanceof SiteFull f && f.site().equals(fromSite.name)) {
            sites.onFull(fromSite, f, nowNanos);
        } else if (m instanceof SiteDigest d && d.site().equals(fromSite.name)) {
            sites.onEcho(fromSite, d);
        } else {
            ignoredMessages++; // node gossip stays inside a site; sites speak only for themselves
        }
    }

    private void onNodeDelta(PeerInterest from, NodeDelta d) {
        PeerInterest peer = from;
        if (!d.node().equals(from.name) || d.incarnation() < peer.incarnation
                || (d.incarnation() == peer.incarnation && d.version() <= peer.version)) {
            ignoredMessages++;
            return;
        }
        if (d.incarnation() > peer.incarnation || d.version() != peer.version + 1) {
            pull(peer, from.name);
            return;
        }
        Target target = Target.node(peer.name);
        EntryDiff ignored = new EntryDiff();
        for (InterestEntry e : d.removed()) {
            if (peer.entries.remove(e)) {
                routes.remove(target, e);
                siteAggregate.remove(e, ignored);
            }
        }
        for (InterestEntry e : d.added()) {
            if (peer.entries.add(e)) {
                routes.add(target, e);
                siteAggregate.add(e, ignored);
            }
        }
        peer.version = d.version();
    }

    private void onNodeFull(NodeFull f) {
        if (f.node().equals(self.name())) {
            return;
        }
        PeerInterest peer = peers.get(f.node());
        if (peer == null) {
            ignoredMessages++;
            return;
        }
        peer.pullAnswered();
        if (!f.nodeVersion().newerThan(peer.nodeVersion())) {
            return;
        }
        Set<InterestEntry> next = new HashSet<>(f.entries());
        Target target = Target.node(peer.name);
        EntryDiff ignored = new EntryDiff();
        for (InterestEntry e : new ArrayList<>(peer.entries)) {
            if (!next.contains(e)) {
                peer.entries.remove(e);
                routes.remove(target, e);
                siteAggregate.remove(e, ignored);
            }
        }
        for (InterestEntry e : next) {
            if (peer.entries.add(e)) {
                routes.add(target, e);
                siteAggregate.add(e, ignored);
            }
        }
        if (f.incarnation() > peer.incarnation) {
            incarnations.merge(peer.name, f.incarnation(), Math::max);
        }
        peer.incarnation = f.incarnation();
        peer.version = f.version();
    }

    private void onNodeDigest(PeerInterest from, NodeDigest d) {
        List<String> pull = new ArrayList<>();
        for (Map.Entry<String, NodeVersion> e : d.versions().entrySet()) {
            PeerInterest peer = peers.get(e.getKey());
            if (peer != null && e.getValue().newerThan(peer.nodeVersion()) && pullDue(peer)) {
                pull.add(peer.name);
            }
        }
        if (d.replyWanted()) {
            // Push what the initiator lacks; the reply below then finds nothing left to pull.
            NodeVersion mine = new NodeVersion(self.incarnation(), local.version());
            if (isNewer(mine, d.versions().get(self.name()))) {
                outbox.offer(from.name, selfFull());
            }
            for (PeerInterest peer : peers.values()) {
                if (peer != from && isNewer(peer.nodeVersion(), d.versions().get(peer.name))) {
                    outbox.offer(from.name, peer.full());
                }
            }
        }
        sendPull(from.name, pull);
        if (d.replyWanted()) {
            outbox.offer(from.name, new NodeDigest(versions(), false));
        } else {
            markSiteSynced();
        }
    }

    /**
     * This node's view of its site is now complete (it synced with a peer, or found itself alone
     * at a gossip round): from now on it announces changes and answers questions about its site.
     * Its own interest was not announced while the view was partial, so it announces it now, as
     * the change from the aggregate of its peers alone, which is what the other sites hold when
     * they processed the end of this node's previous life and nothing else. If they hold something
     * else the update does not fit, and they fetch a full set as usual.
     */
    private void markSiteSynced() {
        if (siteSynced) {
            return;
        }
        siteSynced = true;
        List<InterestEntry> own = local.publishedSorted();
        if (own.isEmpty() || sites.isEmpty()) {
            return;
        }
        EntryDiff ignored = new EntryDiff();
        for (InterestEntry e : own) {
            siteAggregate.remove(e, ignored);
        }
        long baseSum = siteAggregate.hashSum();
        int baseCount = siteAggregate.size();
        EntryDiff ownContribution = new EntryDiff();
        for (InterestEntry e : own) {
            siteAggregate.add(e, ownContribution);
        }
        if (!ownContribution.isEmpty()) {
            announceSiteChange(ownContribution, baseSum, baseCount);
        }
    }

    /** True when {@code mine} is worth sending to a holder of {@code theirs} (null: not held). */
    private static boolean isNewer(NodeVersion mine, NodeVersion theirs) {
        return theirs == null ? mine.version() > 0 : mine.newerThan(theirs);
    }

    private void onNodePull(PeerInterest from, NodePull p) {
        for (String node : p.nodes()) {
            if (node.equals(self.name())) {
                outbox.offer(from.name, selfFull());
            } else {
                PeerInterest peer = peers.get(node);
                if (peer != null && peer != from) {
                    outbox.offer(from.name, peer.full());
                }
            }
        }
    }

    /** Asks {@code to} for {@code peer}'s full interest, unless such a request is outstanding. */
    private void pull(PeerInterest peer, String to) {
        if (pullDue(peer)) {
            sendPull(to, List.of(peer.name));
        }
    }

    private boolean pullDue(PeerInterest peer) {
        return peer.startPull(nowNanos, config.gossipIntervalNanos());
    }

    private void sendPull(String to, List<String> nodes) {
        if (!nodes.isEmpty()) {
            nodePullsSent++;
            outbox.offer(to, new NodePull(nodes));
        }
    }

    private Map<String, NodeVersion> versions() {
        Map<String, NodeVersion> v = new TreeMap<>();
        v.put(self.name(), new NodeVersion(self.incarnation(), local.version()));
        for (PeerInterest peer : peers.values()) {
            v.put(peer.name, peer.nodeVersion());
        }
        return v;
    }

    /**
     * A node of another site asks about this site: answer with a full set if its copy differs,
     * unless its copy is one this node's view had a moment ago: then the updates that bring it
     * up to date are on their way (they take one more hop to reach it than to reach this node),
     * and a full set would cross them. If they were lost, its next question finds its digest
     * no longer recent and gets the full set.
     */
    private void answerSiteDigest(String from, SiteDigest d) {
        if (!siteSynced) {
            ignoredMessages++; // not synced yet: this node's view of its site may be partial
            return;
        }
        long mine = siteAggregate.digest();
        if (d.digest() != mine && recentSiteDigests.wasRecent(d.digest(), nowNanos, sites.holdNanos())) {
            return;
        }
        if (d.digest() != mine) {
            outbox.offer(from, new SiteFull(self.site(), mine, siteAggregate.sorted()));
        } else if (d.ackWanted()) {
            outbox.offer(from, new SiteDigest(self.site(), mine, false));
        }
    }

    // ---------------------------------------------------------------- time

    /**
     * Advances time: flushes pending local changes and, once per gossip interval (the first call
     * included), runs anti-entropy. Call it often (every few milliseconds); it costs nothing when
     * there is nothing to do.
     */
    public void tick(long nowNanos) {
        this.nowNanos = nowNanos;
        flush();
        sites.expireHeld(nowNanos);
        if (gossipStarted && nowNanos - nextGossipNanos < 0) {
            return;
        }
        gossipStarted = true;
        nextGossipNanos = nowNanos + config.gossipIntervalNanos();
        if (peers.isEmpty()) {
            markSiteSynced(); // alone in its site: its view of the site is complete
        } else {
            List<String> names = new ArrayList<>(peers.keySet());
            String peer = names.get(random.nextInt(names.size()));
            outbox.offer(peer, new NodeDigest(versions(), true));
        }
        sites.gossip();
    }

    /**
     * When {@link #tick} next has work that nothing else triggers: the next anti-entropy round, or
     * the end of a held site update's wait, whichever comes first (a time in the {@link #tick}
     * clock). Local changes need no tick: {@link #flush()} sends them. An adapter that ticks at
     * this time instead of on a fixed short period keeps an idle node idle.
     */
    public long nextDueNanos() {
        if (!gossipStarted) {
            return nowNanos;
        }
        long held = sites.heldDueNanos();
        return held != Long.MAX_VALUE && held - nextGossipNanos < 0 ? held : nextGossipNanos;
    }

    /** The messages to send, oldest first; the outbox is empty afterwards. */
    public List<Outgoing> drainOutbox() {
        return outbox.drain();
    }

    // ---------------------------------------------------------------- queries

    /**
     * The nodes this node keeps links to: every live same-site peer (route links) and its gateway
     * peer in every remote site (gateway links). Sorted, a fresh set.
     */
    public Set<String> linkTargets() {
        Set<String> targets = new TreeSet<>(peers.keySet());
        for (RemoteSite site : sites.all()) {
            targets.add(site.gateway);
        }
        return targets;
    }

    /** This node's gateway peer in {@code site}, or null when the site has no live node. */
    public String gatewayPeer(String site) {
        RemoteSite remote = sites.get(site);
        return remote == null ? null : remote.gateway;
    }

    /** {@link #gatewayPeer}, or {@link #VIA_TREE} for a site known only through the relay. */
    private String routeGateway(String site) {
        String g = gatewayPeer(site);
        return g != null ? g : relayed.containsKey(site) ? VIA_TREE : null;
    }

    /** This node's site and every site with a live node, sorted. */
    public Set<String> knownSites() {
        Set<String> known = new TreeSet<>(sites.names());
        known.add(self.site());
        return known;
    }

    /**
     * True once this node has completed an anti-entropy exchange with a site peer (or a gossip
     * round, i.e. a {@link #tick}, found it alone in its site) and has a digest confirmed by every
     * remote site it knows. Stays true for the site part; a remote site that appears makes it false
     * until that site answers (one round trip). Only meaningful once the membership layer has
     * delivered its first view: AND it with that.
     */
    public boolean ready() {
        return siteSynced && sites.allConfirmed();
    }

    /**
     * The routing decision for one event on {@code topic}, by the hop rules of DESIGN.md:
     * <ul>
     *   <li>{@link Origin#LOCAL}: deliver to local plain subscribers, forward once to every site
     *       peer whose interest matches and once to every remote site whose aggregate matches
     *       (to this node's gateway peer there). Each matched queue group goes to exactly one
     *       member whose filter, if it has one, accepts the event: a local one, else one site
     *       peer, else one remote site whose aggregate has an entry of the group that accepts it
     *       (chosen with the generator among the candidates sorted by name). A group none of whose
     *       members accepts the event goes nowhere;</li>
     *   <li>{@link Origin#ROUTE}: local delivery only, including the {@code assignedGroups};</li>
     *   <li>{@link Origin#GATEWAY}: local delivery and forwards to matching site peers only; each
     *       assigned group goes to a local member if there is one, else to one site peer with a
     *       matching member of it, in both cases one whose filter accepts the event.</li>
     * </ul>
     * So each node receives a routed event at most once, and after convergence an event crosses
     * a link only towards matching interest.
     *
     * <p>Filters of queue group members are evaluated here, through {@code verdicts}, and only for the
     * groups the event matches and only as far as the preference order needs (a group placed on this
     * node evaluates no remote member's filter); each distinct filter at most once per event. A
     * decision that involves a queue group is never reused for another event; one without is
     * ({@link #cachedRoute}), filters or not, since it depends on the topic only.
     *
     * @param assignedGroups     the queue groups the sender made this node responsible for (empty
     *                           or null for {@link Origin#LOCAL})
     * @param localGroupsMatched queue groups with a local member matching the topic whose filter (if
     *                           any) accepts the event, from the broker's own subscription trie; null
     *                           to use this engine's view of the local interest
     * @param verdicts           the event's filter verdicts; null when there is no event to judge (a
     *                           question such as "who would take an event on this topic"): then every
     *                           filter of a group member counts as accepting
     */
    public RouteDecision route(String topic, Origin origin, Set<String> assignedGroups,
                               Set<String> localGroupsMatched, FilterVerdicts verdicts) {
        Objects.requireNonNull(origin, "origin");
        return routes.route(topic, origin, assignedGroups, localGroupsMatched, this::routeGateway, random, verdicts);
    }

    /**
     * {@link #route(String, Origin, Set, Set, FilterVerdicts)} without an event: every filter of a queue
     * group member counts as accepting.
     */
    public RouteDecision route(String topic, Origin origin, Set<String> assignedGroups,
                               Set<String> localGroupsMatched) {
        return route(topic, origin, assignedGroups, localGroupsMatched, null);
    }

    /**
     * The decision {@link #route} made earlier for an event on {@code topic} from {@code origin}
     * with no queue groups involved, if nothing it depends on changed since; null otherwise. The
     * one method of the engine that is <b>thread-safe</b>: callers route busy topics with it and
     * take their lock only when it answers null.
     */
    public RouteDecision cachedRoute(String topic, Origin origin) {
        return routes.cached(topic, origin);
    }

    /** The interest table this node holds, for the admin API. */
    public InterestSnapshot snapshot() {
        List<InterestSnapshot.Peer> peerViews = new ArrayList<>();
        for (PeerInterest p : peers.values()) {
            peerViews.add(new InterestSnapshot.Peer(p.name, p.incarnation, p.version, p.sorted()));
        }
        List<InterestSnapshot.Site> siteViews = sites.snapshot();
        return new InterestSnapshot(self.name(), self.site(), self.incarnation(), local.version(), ready(),
                local.currentSorted(), local.pendingSize(), InterestSnapshot.hex(siteAggregate.digest()),
                peerViews, siteViews);
    }

    public Stats stats() {
        return new Stats(outbox.dropped(), deltasReplaced, ignoredMessages, nodePullsSent, sites.fullsAsked(),
                sites.updatesApplied());
    }

    /** This node's view of its own site's aggregated interest, sorted (for tests and the console). */
    public List<InterestEntry> siteAggregate() {
        return siteAggregate.sorted();
    }

    /**
     * True once this node's view of its own site is complete (it synced with a site peer, or found itself
     * alone at a gossip round): only then may it speak for its site.
     */
    public boolean siteSynced() {
        return siteSynced;
    }

    /** The digest of {@link #siteAggregate()}. */
    public long siteDigest() {
        return siteAggregate.digest();
    }
}
