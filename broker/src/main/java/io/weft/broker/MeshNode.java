package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.weft.routing.InterestEngine;
import io.weft.routing.InterestEntry;
import io.weft.routing.MeshCodec;
import io.weft.routing.MeshMessage;
import io.weft.routing.NodeId;
import io.weft.routing.Origin;
import io.weft.routing.Outgoing;
import io.weft.routing.FilterVerdicts;
import io.weft.routing.RouteDecision;
import io.weft.routing.net.LinkKind;
import io.weft.routing.net.MeshFrames;
import io.weft.routing.net.MeshLink;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.Members;
import io.weft.routing.net.Membership;
import io.weft.routing.net.ViewCheck;
import io.weft.routing.net.NodeInfo;
import io.weft.routing.net.TreeHop;
import io.weft.routing.topology.InterestRelay;
import io.weft.routing.topology.TopologyCodec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's place in the mesh: glues the pure {@link InterestEngine} to the mesh links
 * ({@link MeshNetwork}) and to membership ({@link Membership}, JGroups).
 *
 * <p>Threading: the engine is not thread-safe; every call into it holds {@code this}'s lock. A
 * single scheduler thread ticks the engine (batched deltas, anti-entropy) and reconciles links with
 * what the engine wants ({@link InterestEngine#linkTargets()}). Events are routed on the Netty
 * thread that received them; only the routing decision takes the lock.
 */
final class MeshNode implements MeshNetwork.Listener, Membership.Listener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshNode.class);
    /**
     * Longest wait between two ticks. A tick runs when the engine has work due
     * ({@link InterestEngine#nextDueNanos}), when membership changes, and at least this often (so
     * a link target whose address was not known yet is retried). A fixed 20 ms tick kept an idle
     * node awake 50 times a second.
     */
    private static final long MAX_TICK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often the view is checked against the links ({@link #checkView}): while settling, and once consistent. */
    private static final long CHECK_SETTLING_MILLIS = 250;
    private static final long CHECK_SETTLED_MILLIS = 1000;

    private final MeshdConfig config;
    private final Router router;
    private final InterestEngine engine;
    private final MeshNetwork net;
    /** The link-state map of the site graph (its own lock). */
    private final SiteTopology topology;
    private final Map<String, NodeInfo> directory = new ConcurrentHashMap<>();
    private final Map<String, LongAdder[]> sentByPeer = new ConcurrentHashMap<>();
    /** Durable publishes sent to each peer lately, told as lost if the peer's link dies ({@link RecentRequests}). */
    private final Map<String, RecentRequests> requestsByPeer = new ConcurrentHashMap<>();
    private volatile java.util.function.Consumer<List<String>> lostRequests = l -> { };
    private final ScheduledExecutorService loop;
    private final java.util.concurrent.atomic.AtomicBoolean flushPending = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicBoolean tickQueued = new java.util.concurrent.atomic.AtomicBoolean();
    /** Mesh thread only: the next scheduled tick. */
    private java.util.concurrent.ScheduledFuture<?> nextTick;
    /** Membership's view: live nodes by name (this one included), and members not named yet. */
    private volatile Members members;
    private volatile NodeInfo self;
    private volatile Membership membership;
    private volatile MeshJoin join;
    private final MeshHealth health;
    private volatile boolean closed;

    private final NodeTls tls;
    /** The gateway links of a node with {@code --gateways}; null in a full mesh. */
    private volatile GatewayDialer dialer;
    /** The site aggregate digest this node last handed to the relay as its site's speaker (mesh thread). */
    private long spokenDigest;
    private volatile boolean speaking;
    private final TreeRouting trees;

    MeshNode(MeshdConfig config, Router router, EventLoopGroup group, long incarnation, NodeTls tls) {
        this.tls = tls;
        this.config = config;
        this.router = router;
        String host = config.advertisedHost();
        this.self = new NodeInfo(config.node, config.site, incarnation, host + ":" + config.meshPort, "", "", "");
        this.engine = new InterestEngine(new NodeId(config.node, config.site, incarnation),
                new InterestEngine.Config(TimeUnit.MILLISECONDS.toNanos(config.gossipIntervalMillis), 1000),
                new SplittableRandom(incarnation ^ config.node.hashCode()));
        this.net = new MeshNetwork(self, new MeshNetwork.Config(config.heartbeatTimeoutMillis,
                config.heartbeatIntervalMillis, config.heartbeatTimeoutMillis, 100, 3000,
                config.maxPayloadBytes + 64 * 1024, (int) Math.min(Integer.MAX_VALUE, config.maxPendingBytes)),
                group, this, () -> List.copyOf(directory.values()), () -> join != null && join.joined());
        if (tls != null) {
            net.useTls(tls.nodeServer(), tls.nodeClient(), tls.identity(), config.maxHandshakesInFlight);
        }
        this.topology = new SiteTopology(net, this::applyRelayed);
        this.trees = new TreeRouting(this, topology, net, router);
        this.members = Members.alone(self);
        this.health = new MeshHealth(config.node, config.site);
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weft-mesh");
            t.setDaemon(true);
            return t;
        });
    }

    /** Mesh peers refused by the TLS identity check, by reason. */
    Map<String, Long> tlsRefusals() {
        return net.tlsRefusals();
    }

    /** Binds the mesh port; membership and seeds are joined in the background. */
    int start(int clientPort, int httpPort, int raftPort) throws Exception {
        int meshPort = net.bind(config.host, config.meshPort);
        String host = config.advertisedHost();
        // membership heartbeats go from every member to every member, idle or not: as often as links
        // ping, or more often where the failure timeout needs it (JGroups wants at least two per timeout)
        long membershipHeartbeat = Math.min(config.heartbeatIntervalMillis, config.failureTimeoutMillis / 2);
        Membership m = new Membership(self, host, config.membershipPort, new Membership.Config(
                membershipHeartbeat, config.failureTimeoutMillis, Math.max(250, config.failureTimeoutMillis / 4),
                1000, 1000, 3000), this);
        if (tls != null) {
            m.useTls(tls.membership());
        }
        if (config.siteLinksConfigured()) {
            m.useGroup(Membership.siteGroup(config.site)); // other sites are reached through the links listed
        }
        int advertisedMesh = config.advertiseMeshPort > 0 ? config.advertiseMeshPort : meshPort;
        self = new NodeInfo(config.node, config.site, self.incarnation(), host + ":" + advertisedMesh,
                host + ":" + clientPort, host + ":" + httpPort, m.address(), host + ":" + raftPort);
        m.updateSelf(self);
        net.updateSelf(self);
        directory.put(self.name(), self);
        topology.start(self, config.gossipIntervalMillis, config.noTransit, true, config.siteLinkCosts());
        if (config.siteLinksConfigured()) {
            GatewayDialer d = new GatewayDialer(self.name(), self.site(), config.gateways, net);
            dialer = d;
            d.probe(System.nanoTime());
            loop.scheduleWithFixedDelay(() -> {
                d.probe(System.nanoTime());
                tickSoon();
            }, 1, 2, TimeUnit.SECONDS);
        }
        members = Members.alone(self);
        membership = m;
        join = new MeshJoin(self.name(), self.meshAddress(), config.seeds, net, m, this::membershipAddresses);
        tickSoon();
        loop.schedule(this::checkView, CHECK_SETTLING_MILLIS, TimeUnit.MILLISECONDS);
        loop.scheduleWithFixedDelay(() -> join.keepProbing(n -> members.live().containsKey(n)), 2, 2, TimeUnit.SECONDS);
        // joining waits for seeds and for JGroups; it must not hold up the mesh thread's ticks
        Thread joiner = new Thread(join::run, "weft-mesh-join");
        joiner.setDaemon(true);
        joiner.start();
        return meshPort;
    }

    private List<String> membershipAddresses() {
        List<String> out = new ArrayList<>();
        boolean ownSiteOnly = config.siteLinksConfigured();
        for (NodeInfo n : directory.values()) {
            if (!n.membershipAddress().isEmpty() && !n.name().equals(self.name())
                    && (!ownSiteOnly || n.site().equals(self.site()))) {
                out.add(n.membershipAddress());
            }
        }
        return out;
    }

    NodeInfo self() {
        return self;
    }

    /**
     * True once membership is joined, a seed answered (if any were given), interest is synced and
     * the view is consistent ({@link MeshHealth}).
     */
    boolean ready() {
        MeshHealth.Status h = health.status();
        if (!h.ready()) {
            return false;
        }
        synchronized (this) {
            if (!engine.ready()) {
                return false;
            }
        }
        return dialer == null || topology.syncedAcrossSites();
    }

    /** The view's health, for {@code /healthz}, {@code /v1/node} and metrics. */
    MeshHealth health() {
        return health;
    }

    // ---- local interest ----

    /** @param filter the canonical text of the subscription's filter, or null */
    void localSubscribe(String pattern, String group, String filter) {
        boolean changed;
        synchronized (this) {
            changed = engine.localSubscribe(new InterestEntry(pattern, group, filter));
        }
        if (changed) {
            scheduleFlush();
        }
    }

    void localUnsubscribe(String pattern, String group, String filter) {
        boolean changed;
        synchronized (this) {
            changed = engine.localUnsubscribe(new InterestEntry(pattern, group, filter));
        }
        if (changed) {
            scheduleFlush();
        }
    }

    /**
     * Pushes interest changes eagerly: a flush is queued on the mesh thread at once; changes that
     * arrive while one is queued or running join the next, so a churn of thousands of
     * subscriptions per second still becomes a few deltas. (Flushing inline on the I/O thread, with a
     * minimum spacing between flushes, measured slower: median 10 ms against 1.9 ms.)
     */
    private void scheduleFlush() {
        if (flushPending.compareAndSet(false, true)) {
            try {
                loop.execute(this::flushNow);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    private void flushNow() {
        flushPending.set(false);
        synchronized (this) {
            engine.flush();
            sendAll(engine.drainOutbox());
        }
        relaySpeak();
    }

    // ---- relayed site interest ----

    /**
     * When this node is its site's speaker (the lowest-named live node of the site in its view) and the
     * site map holds a site outside its membership view (one that learns this site's interest only
     * through the relay), hands its view of the site's aggregate to the relay when it changed. In a full
     * mesh no such site exists and nothing is relayed. Mesh thread.
     */
    private void relaySpeak() {
        String lowest = self.name();
        for (NodeInfo n : members.live().values()) {
            if (n.site().equals(self.site()) && n.name().compareTo(lowest) < 0) {
                lowest = n.name();
            }
        }
        boolean speaker = lowest.equals(self.name()) && !viewSites().containsAll(topology.graphSites());
        List<InterestEntry> aggregate = null;
        long digest = 0;
        synchronized (this) {
            if (speaker && engine.siteSynced()) {
                digest = engine.siteDigest();
                if (!speaking || digest != spokenDigest) {
                    aggregate = engine.siteAggregate();
                }
            }
        }
        if (aggregate != null) {
            topology.speak(aggregate, digest);
            speaking = true;
            spokenDigest = digest;
        } else if (!speaker && speaking) {
            topology.silence();
            speaking = false;
        }
    }

    /** Another site's relayed interest changed (called under the site map's lock). */
    private void applyRelayed(List<InterestRelay.Change> changes) {
        synchronized (this) {
            for (InterestRelay.Change c : changes) {
                engine.relayedSite(c.site(), c.entries());
            }
        }
    }

    // ---- routing ----

    /**
     * Where an event on {@code topic} would go from here, with no event to judge: a filter on a queue
     * group member counts as accepting (for questions such as "who takes this topic", not for routing).
     */
    RouteDecision decide(String topic, Origin origin, Set<String> assignedGroups, Set<String> localGroups) {
        return decide(topic, origin, assignedGroups, localGroups, null);
    }

    /**
     * Where an event goes from here. An event of a busy topic without queue groups reuses the
     * decision made for the last one, read without the lock ({@link InterestEngine#cachedRoute}).
     *
     * @param localGroups the queue groups with a local member whose filter accepts the event
     * @param verdicts    the event's filter verdicts (queue group members with filters are picked only
     *                    if their filter accepts it), or null to count every filter as accepting
     */
    RouteDecision decide(String topic, Origin origin, Set<String> assignedGroups, Set<String> localGroups,
                         FilterVerdicts verdicts) {
        if (assignedGroups.isEmpty() && localGroups.isEmpty()) {
            RouteDecision d = engine.cachedRoute(topic, origin);
            if (d != null) {
                return d;
            }
        }
        synchronized (this) {
            return engine.route(topic, origin, assignedGroups, localGroups, verdicts);
        }
    }

    /**
     * The decision {@link #decide} made for the last event on {@code topic} from {@code origin} when no
     * queue group took part, if it still holds, else null. Lock-free and allocation-free.
     */
    RouteDecision cachedDecision(String topic, Origin origin) {
        return engine.cachedRoute(topic, origin);
    }

    /** Sends the event to the peers and sites {@code d} names; {@code pubBody} is shared, not consumed. */
    int forward(RouteDecision d, String replyTo, ByteBuf pubBody, FilterVerdicts local) {
        FilterVerdicts verdicts = !d.conditional() ? null : local != null ? local : new FilterVerdicts(eventAttributes(pubBody));
        int sent = 0;
        for (Map.Entry<String, Set<String>> e : d.routeForwards().entrySet()) {
            if (verdicts != null && rejected(d.routeConditions().get(e.getKey()), verdicts, e.getKey())) {
                continue;
            }
            sent += send(e.getKey(), MeshFrames.HOP_ROUTE, e.getValue(), replyTo, pubBody);
        }
        boolean onTree = false;
        for (Map.Entry<String, Set<String>> e : d.gatewayForwards().entrySet()) {
            if (InterestEngine.VIA_TREE.equals(d.gatewayNodes().get(e.getKey()))) {
                onTree = true; // the sites reached on the site trees: below
                continue;
            }
            String gateway;
            synchronized (this) {
                gateway = engine.gatewayPeer(e.getKey());
            }
            if (gateway == null
                    || verdicts != null && rejected(d.gatewayConditions().get(e.getKey()), verdicts, gateway)) {
                continue;
            }
            sent += send(gateway, MeshFrames.HOP_GATEWAY, e.getValue(), replyTo, pubBody);
        }
        if (onTree) { // a full mesh has none: its events do not walk the decision a second time
            sent += trees.publish(d, verdicts, replyTo, pubBody);
        }
        return sent;
    }

    /**
     * Whether a destination that wants the event only through filters wants none of it: then it stays off
     * the link to {@code peer}, counted there (no filter downstream accepts it).
     */
    boolean rejected(List<String> filters, FilterVerdicts verdicts, String peer) {
        if (filters == null || verdicts.anyAccepts(filters)) {
            return false;
        }
        counters(peer)[3].increment();
        return true;
    }

    /** The attributes of the event in a PUB body ({@code str16 topic, event}), read in place. */
    static io.weft.routing.filter.Attributes eventAttributes(ByteBuf pubBody) {
        int at = pubBody.readerIndex() + 2 + pubBody.getUnsignedShort(pubBody.readerIndex());
        return name -> io.weft.protocol.EventCodec.attribute(pubBody, at, name);
    }

    private int send(String peer, int hop, Set<String> groups, String replyTo, ByteBuf pubBody) {
        MeshLink link = net.linkTo(peer);
        if (link == null || !link.sendEvent(hop, groups, replyTo, pubBody)) {
            counters(peer)[2].increment();
            return 0;
        }
        LongAdder[] c = counters(peer);
        c[0].increment();
        c[1].add(pubBody.readableBytes());
        if (replyTo != null && replyTo.startsWith(InboxAcks.ROOT) && !internalTopic(pubBody)) {
            requestsByPeer.computeIfAbsent(peer, p -> new RecentRequests(REQUESTS_REMEMBERED))
                    .add(replyTo, System.nanoTime());
        }
        return 1;
    }

    /** Whether the PUB body's topic is one of Weft's own ({@code _weft.}). */
    private static boolean internalTopic(ByteBuf pubBody) {
        int at = pubBody.readerIndex() + 2;
        return pubBody.getUnsignedShort(pubBody.readerIndex()) >= 6 && pubBody.getByte(at) == '_'
                && pubBody.getByte(at + 1) == 'w' && pubBody.getByte(at + 2) == 'e' && pubBody.getByte(at + 3) == 'f'
                && pubBody.getByte(at + 4) == 't' && pubBody.getByte(at + 5) == '.';
    }

    /** Sets who is told the reply topics of durable publishes that may have died with a link. */
    void onLostRequests(java.util.function.Consumer<List<String>> listener) {
        this.lostRequests = listener;
    }

    /** Per peer: events sent, bytes sent, events dropped (link down or full), events kept off by filters. */
    LongAdder[] counters(String peer) {
        return sentByPeer.computeIfAbsent(peer,
                p -> new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()});
    }

    // ---- engine driving ----

    /** Runs a tick on the mesh thread at once (membership or a peer changed: links to reconcile). */
    private void tickSoon() {
        if (tickQueued.compareAndSet(false, true)) {
            try {
                loop.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    /** Mesh thread: ticks the engine, reconciles links, and schedules the next tick for when work is due. */
    private void tick() {
        tickQueued.set(false);
        if (closed) {
            return;
        }
        long due = System.nanoTime() + MAX_TICK_WAIT_NANOS;
        try {
            Set<String> targets;
            synchronized (this) {
                long now = System.nanoTime();
                engine.tick(now);
                sendAll(engine.drainOutbox());
                targets = engine.linkTargets();
                long engineDue = engine.nextDueNanos();
                if (engineDue - due < 0) {
                    due = engineDue;
                }
            }
            long topologyDue = topology.tick();
            if (topologyDue != Long.MAX_VALUE && topologyDue - due < 0) {
                due = topologyDue;
            }
            relaySpeak();
            GatewayDialer d = dialer;
            if (d != null) {
                for (NodeInfo n : d.choose(System.nanoTime(), name -> {
                    MeshLink l = net.linkTo(name);
                    return l != null && l.isActive();
                }).values()) {
                    targets.add(n.name());
                    directory.merge(n.name(), n, NodeInfo::newer);
                }
            }
            reconcileLinks(targets);
        } catch (RuntimeException e) {
            LOG.error("mesh tick failed", e);
        }
        if (nextTick != null) {
            nextTick.cancel(false);
        }
        long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(1), due - System.nanoTime());
        try {
            nextTick = loop.schedule(this::tick, wait, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private void sendAll(List<Outgoing> out) {
        for (Outgoing o : out) {
            MeshLink link = net.linkTo(o.toNode());
            if (link == null) {
                continue;
            }
            ByteBuf frame = io.netty.buffer.PooledByteBufAllocator.DEFAULT.buffer(256);
            frame.writeInt(0);
            MeshCodec.encode(o.message(), frame);
            frame.setInt(0, frame.readableBytes() - 4);
            link.sendFrame(frame);
        }
    }

    private void reconcileLinks(Set<String> targets) {
        for (String name : targets) {
            NodeInfo info = directory.get(name);
            if (info != null) {
                net.ensureLink(info, info.site().equals(self.site()) ? LinkKind.ROUTE : LinkKind.GATEWAY);
            }
        }
        for (String name : net.dialing()) {
            if (!targets.contains(name)) {
                net.dropLink(name, "no longer a route or gateway target");
            }
        }
    }

    /**
     * How long a gateway peer whose link died is passed over: long enough for membership to call a
     * dead node dead, short enough that a node that only lost a connection gets its share back.
     */
    private static final long GATEWAY_AVOID_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Requests remembered per peer, and for how long (a durable publish's ack wait, with margin). */
    private static final int REQUESTS_REMEMBERED = 16_384;
    private static final long REQUEST_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    // ---- MeshNetwork.Listener ----

    @Override
    public void linkUp(MeshLink link) {
        LOG.info("link up: {}", link);
        topology.linkUp(link);
    }

    @Override
    public void linkDown(MeshLink link, String reason) {
        LOG.info("link down: {} ({})", link, reason);
        topology.linkDown(link);
        RecentRequests sent = requestsByPeer.get(link.peer().name());
        if (sent != null) {
            List<String> lost = sent.drainSentAfter(System.nanoTime() - REQUEST_WAIT_NANOS);
            if (!lost.isEmpty()) {
                lostRequests.accept(lost);
            }
        }
        GatewayDialer d = dialer;
        if (d != null && link.kind() == LinkKind.GATEWAY && link.outbound() && d.isChosen(link.peer().name())) {
            d.linkLost(link.peer().name(), System.nanoTime());
            tickSoon();
            return;
        }
        if (link.kind() == LinkKind.GATEWAY && link.outbound() && !closed) {
            Set<String> targets;
            String instead;
            synchronized (this) {
                if (!engine.gatewayLinkLost(link.peer().name(), GATEWAY_AVOID_NANOS)) {
                    return;
                }
                sendAll(engine.drainOutbox());
                targets = engine.linkTargets();
                instead = engine.gatewayPeer(link.peer().site());
            }
            LOG.info("gateway to {} lost: site {} is reached through {} meanwhile", link.peer().name(),
                    link.peer().site(), instead);
            reconcileLinks(targets);
        }
    }

    @Override
    public void nodesLearned(List<NodeInfo> nodes) {
        for (NodeInfo n : nodes) {
            learn(n);
        }
    }

    private void learn(NodeInfo n) {
        if (n.name().equals(self.name())) {
            return;
        }
        NodeInfo kept = directory.merge(n.name(), n, NodeInfo::newer);
        if (members.live().containsKey(n.name()) && kept == n) {
            synchronized (this) {
                engine.peerUp(new NodeId(n.name(), n.site(), n.incarnation()));
            }
            tickSoon();
        }
    }

    @Override
    public void gossip(MeshLink link, ByteBuf frame) {
        if (TopologyCodec.isTopologyType(frame.getByte(frame.readerIndex()))) {
            topology.message(link, frame);
            return;
        }
        MeshMessage m = MeshCodec.decode(frame);
        synchronized (this) {
            engine.onMessage(link.peer().name(), link.kind() == LinkKind.GATEWAY, m, System.nanoTime());
            // sent under the lock so batches taken in order also leave in order (writes never block)
            sendAll(engine.drainOutbox());
        }
        if (link.kind() == LinkKind.ROUTE && speaking) {
            scheduleFlush(); // the site's aggregate may have changed: the speaker relays it (flushNow)
        }
    }

    @Override
    public void event(MeshLink link, int hop, List<String> groups, String replyTo, ByteBuf pubBody) {
        router.routeFromMesh(hop == MeshFrames.HOP_GATEWAY ? Origin.GATEWAY : Origin.ROUTE,
                switch (groups.size()) { // per event: Set.copyOf builds a HashSet first
                    case 0 -> Set.of();
                    case 1 -> Set.of(groups.get(0));
                    default -> Set.copyOf(groups);
                }, replyTo, pubBody);
    }

    @Override
    public void treeEvent(MeshLink link, TreeHop hop, String replyTo, ByteBuf pubBody) {
        trees.receive(link, hop, replyTo, pubBody);
    }

    /** Whether {@code site} is in this node's membership view (its events come over a gateway hop, not a tree). */
    synchronized boolean inView(String site) {
        return engine.gatewayPeer(site) != null;
    }

    /** Adds to {@code out} the sites whose interest, filters included, accepts an event on {@code topic}. */
    synchronized void sitesWanting(String topic, FilterVerdicts verdicts, Set<String> out) {
        engine.sitesWanting(topic, verdicts, out);
    }

    // ---- Membership.Listener ----

    @Override
    public void members(Members now) {
        Map<String, NodeInfo> before = members.live();
        members = now;
        List<String> left = new ArrayList<>();
        synchronized (this) {
            for (NodeInfo n : now.live().values()) {
                if (n.name().equals(self.name())) {
                    continue;
                }
                directory.merge(n.name(), n, NodeInfo::newer);
                NodeInfo was = before.get(n.name());
                if (was == null || was.incarnation() != n.incarnation()) {
                    engine.peerUp(new NodeId(n.name(), n.site(), n.incarnation()));
                }
            }
            for (String n : before.keySet()) {
                if (!now.live().containsKey(n)) {
                    engine.peerDown(n);
                    left.add(n);
                }
            }
        }
        for (String n : left) {
            LOG.info("node {} left the mesh", n);
            net.dropLink(n, "node left the mesh");
            topology.nodeLeft(before.get(n));
        }
        tickSoon(); // link targets follow membership
        if (!now.unnamed().isEmpty()) {
            LOG.debug("membership: {} member(s) not named yet, asking them: {}", now.unnamed().size(), now.unnamed());
        }
    }

    // ---- view health ----

    /** Compares membership with links and seeds; logs, counts and repairs what stays wrong. */
    private void checkView() {
        if (closed) {
            return;
        }
        try {
            checkViewNow();
        } finally {
            MeshHealth.Status s = health.status();
            long next = s.ready() && s.problems().isEmpty() ? CHECK_SETTLED_MILLIS : CHECK_SETTLING_MILLIS;
            try {
                loop.schedule(this::checkView, next, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    private void checkViewNow() {
        try {
            Membership m = membership;
            MeshJoin j = join;
            boolean joined = j != null && j.joined();
            if (joined) {
                m.askUnnamed();
            }
            Set<String> route = new HashSet<>();
            Set<String> gateway = new HashSet<>();
            Set<String> linked = new HashSet<>();
            Set<String> viewSites = viewSites();
            for (MeshLink l : net.links()) {
                // a gateway link with a site outside the view joins this site to the site graph, not the view
                if (l.isActive() && (l.kind() != LinkKind.GATEWAY || viewSites.contains(l.peer().site()))) {
                    linked.add(l.peer().name());
                    (l.kind() == LinkKind.ROUTE ? route : gateway).add(l.peer().name());
                }
            }
            Map<String, String> gateways = new java.util.TreeMap<>();
            boolean interestReady;
            synchronized (this) {
                for (String site : engine.knownSites()) {
                    if (!site.equals(self.site())) {
                        gateways.put(site, engine.gatewayPeer(site));
                    }
                }
                interestReady = engine.ready();
            }
            GatewayDialer d = dialer;
            if (d != null) {
                d.chosen().forEach((site, n) -> gateways.putIfAbsent(site, n.name()));
                for (MeshLink l : net.links()) {
                    if (l.isActive() && l.kind() == LinkKind.GATEWAY) {
                        gateway.add(l.peer().name());
                    }
                }
                interestReady = interestReady && topology.syncedAcrossSites();
            }
            Members now = members;
            Set<String> seeds = j == null ? Set.of() : j.seedsAnswering();
            if (d != null) {
                // a site whose links are configured has a group of its own: a seed of another site is no member
                Set<String> own = new HashSet<>();
                for (String seed : seeds) {
                    NodeInfo info = directory.get(seed);
                    if (info == null || info.site().equals(self.site())) {
                        own.add(seed);
                    }
                }
                seeds = own;
            }
            ViewCheck.Observed o = new ViewCheck.Observed(now, route, gateway, gateways, linked, seeds);
            boolean seeded = j != null && j.seedAnswered();
            for (ViewCheck.Problem p : health.check(o, joined, seeded, interestReady, System.nanoTime())) {
                repair(p);
            }
        } catch (RuntimeException e) {
            LOG.error("mesh view check failed", e);
        }
    }

    private void repair(ViewCheck.Problem p) {
        Membership m = membership;
        switch (p.kind()) {
            case UNNAMED_MEMBER -> {
                health.repaired("reannounce");
                m.announce();
                m.addInitialHosts(membershipAddresses());
            }
            case NO_ROUTE, NO_GATEWAY -> {
                String peer = p.kind() == ViewCheck.Kind.NO_ROUTE ? p.subject() : gatewayOf(p.subject());
                NodeInfo info = peer == null ? null : directory.get(peer);
                if (info != null && net.redial(info, p.kind() == ViewCheck.Kind.NO_ROUTE ? LinkKind.ROUTE : LinkKind.GATEWAY)) {
                    health.repaired("redial");
                }
            }
            case LINKED_NOT_MEMBER, SEED_NOT_MEMBER -> {
                health.repaired("rediscover");
                NodeInfo info = directory.get(p.subject());
                if (info != null) {
                    net.probe(info.meshAddress());
                }
                m.announce();
                m.addInitialHosts(membershipAddresses());
            }
        }
    }

    private String gatewayOf(String site) {
        synchronized (this) {
            String g = engine.gatewayPeer(site);
            if (g != null) {
                return g;
            }
        }
        GatewayDialer d = dialer;
        NodeInfo n = d == null ? null : d.chosen().get(site);
        return n == null ? null : n.name();
    }

    /** Sets who is told how long each burst of site graph changes took to settle here, in seconds. */
    void onTreeConvergence(java.util.function.DoubleConsumer listener) {
        topology.onConverged(listener);
    }

    /** Events routed on the site trees dropped here, by reason. */
    Map<String, Long> treeDrops() {
        return topology.dropCounts();
    }

    /** Events routed on the site trees, by direction. */
    Map<String, Long> treeEventCounts() {
        return trees.eventCounts();
    }

    /** The listed gateway addresses and who answered at each, or null without {@code --gateways}. */
    Map<String, String> gatewayAnswers() {
        GatewayDialer d = dialer;
        return d == null ? null : d.answersView();
    }

    // ---- views for the admin API ----

    Collection<NodeInfo> nodes() {
        return List.copyOf(directory.values());
    }

    boolean isLive(String node) {
        return node.equals(self.name()) || members.live().containsKey(node);
    }

    /**
     * Whether {@code n}, not in this node's membership view, is a node of another membership group that the
     * site map holds a live record of (a site joined by {@code --gateways}): reached through the site
     * graph, not down. A node that left its group has a tombstone instead.
     */
    boolean reachedThroughSiteGraph(NodeInfo n) {
        // a site of this node's group: its membership says whether n is up
        return !viewSites().contains(n.site()) && topology.hasLiveRecord(n.name());
    }

    /** The sites with a live node in this node's membership view, its own included. */
    private Set<String> viewSites() {
        Set<String> sites = new HashSet<>();
        members.live().values().forEach(n -> sites.add(n.site()));
        sites.add(self.site());
        return sites;
    }

    /** The nodes of {@code site} that the site map holds live records of (0 for a site outside the graph). */
    int nodesInSiteGraph(String site) {
        return topology.liveRecords(site);
    }

    /** Whether {@code site} is a site of the current site graph (joined to this one by site links, any hops away). */
    boolean inSiteGraph(String site) {
        return topology.graphSites().contains(site);
    }

    /** Live nodes, this one included. */
    int liveCount() {
        return members.live().size();
    }

    /** Members of the membership view that have not said which node they are. */
    List<String> unnamedMembers() {
        return members.unnamed();
    }

    List<MeshLink> links() {
        return net.links();
    }

    /** Events, bytes and drops sent to each peer node since start. */
    Map<String, long[]> sentCounters() {
        Map<String, long[]> out = new java.util.TreeMap<>();
        sentByPeer.forEach((k, v) -> out.put(k, new long[] {v[0].sum(), v[1].sum(), v[2].sum(), v[3].sum()}));
        return out;
    }

    String siteOf(String node) {
        NodeInfo n = directory.get(node);
        return n == null ? "" : n.site();
    }

    Object interestSnapshot() {
        synchronized (this) {
            return engine.snapshot();
        }
    }

    /** {@code GET /v1/topology}. */
    Map<String, Object> topology() {
        Map<String, Object> view = topology.view();
        Map<String, String> answers = gatewayAnswers();
        if (answers != null) {
            view.put("gateways", answers);
        }
        return view;
    }

    /** Link-state counters for {@code /metrics}: records, graph computations, graph changes. */
    long[] topologyCounters() {
        return topology.counters();
    }

    Object gossipStats() {
        synchronized (this) {
            return engine.stats();
        }
    }

    @Override
    public void close() {
        closed = true;
        if (join != null) {
            join.close();
        }
        loop.shutdownNow();
        net.close();
        if (membership != null) {
            membership.close();
        }
    }
}
