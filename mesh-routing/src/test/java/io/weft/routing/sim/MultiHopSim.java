package io.weft.routing.sim;

import io.weft.routing.topology.Forwarding;
import io.weft.routing.topology.Forwarding.Decision;
import io.weft.routing.topology.Forwarding.DropReason;
import io.weft.routing.topology.Forwarding.Header;
import io.weft.routing.topology.LinkState;
import io.weft.routing.topology.LinkStateDb;
import io.weft.routing.topology.ReferenceTrees;
import io.weft.routing.topology.SiteGraph;
import io.weft.routing.topology.SiteTree;
import io.weft.routing.topology.SiteTrees;
import io.weft.routing.topology.TreeCache;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deterministic, seeded simulation of multi-hop site routing (issue 16; multihop.md 5.11 and
 * 5.12): {@code sites x nodesPerSite} nodes on a site graph that is not a full mesh (chain, ring,
 * grid, hub and spoke with no-transit edges, random of degree 3), each node with its own
 * {@link LinkStateDb} and {@link TreeCache}, over a {@link SimNetwork} (FIFO per link, random delay
 * with spikes, loss of control messages).
 *
 * <p>What each node does, as the broker would:
 * <ul>
 *   <li>Links: for each site link, every node of the dialling site dials one node of the other
 *       site (rendezvous over its live nodes), and redials after it detects a failure (heartbeat
 *       timeout), retrying while the link is cut. A link going up or down makes both ends
 *       re-originate their {@link LinkState} (5 ms later, so the changes of one instant make one
 *       record). Edges only dial out: the simulator flags a no-transit site that accepts a
 *       connection.</li>
 *   <li>Link state: records are flooded (forward, then install) over gateway links except the one
 *       they came on, and to the site peers unless they came from one (the intra-site flood is one
 *       route hop); anti-entropy every interval with one random site
 *       peer and over every gateway link (digest, summary, push and pull); a node that sees a site
 *       peer leave its per-site group floods the peer's tombstone. Trees are recomputed an SPF
 *       delay after a change (memoised by LSDB digest across nodes, as 5.4 suggests).</li>
 *   <li>Events travel hop by hop as network messages, each hop decided by {@link Forwarding} with
 *       the receiving node's trees at arrival: gateway hops, and route hops inside a site (deliver
 *       locally, and/or forward to named child sites as the egress). Site interest is static and
 *       known to all (interest independent of topology), so what is tested is the tree
 *       forwarding.</li>
 * </ul>
 *
 * <p>{@link #run()}: boot and converge; a fault phase (site-link cuts where an alternate path
 * exists, flaps, crashes with restarts, site partitions, control-message loss) with events
 * published throughout; faults stop and the mesh converges; then events are checked exactly.
 * Oracles:
 * <ul>
 *   <li>at-most-once, always: no site accepts an event twice, no node receives it twice;</li>
 *   <li>tree path, always: every accepted gateway hop is parent to child, at the child's depth,
 *       in the reference tree ({@link ReferenceTrees}, an independent brute force) of the graph
 *       the publisher stamped; after convergence that tree must be the ground truth's, computed
 *       from the simulator's own link table;</li>
 *   <li>no-transit sites never forward a gateway-received event to another site;</li>
 *   <li>agreement after convergence: every node's LSDB digest is equal, its graph equals the
 *       ground truth and each of its trees equals the reference tree of the ground truth;</li>
 *   <li>exactly-once and no waste after convergence: the sites an event reaches are exactly the
 *       interested sites reachable in the ground truth plus the sites on their tree paths, each
 *       interested node gets it once, and no drop or loss happens at all.</li>
 * </ul>
 * During faults, losses are counted by reason and each lost delivery (an interested site that
 * was reachable in the ground truth when the event was published and never got it) is measured
 * against the latest fault before it: the loss windows.
 *
 * <p>Everything random comes from the seed: the same seed replays the same run.
 */
final class MultiHopSim {
    static final long MS = 1_000_000L;
    static final long HEARTBEAT_TIMEOUT_NANOS = 150 * MS;
    private static final long DETECT_SPREAD_NANOS = 50 * MS;
    private static final long DIAL_MIN_NANOS = 5 * MS;
    private static final long DIAL_SPREAD_NANOS = 25 * MS;
    private static final long REDIAL_MIN_NANOS = 100 * MS;
    private static final long REDIAL_SPREAD_NANOS = 100 * MS;
    private static final long FD_MIN_NANOS = 100 * MS;
    private static final long FD_SPREAD_NANOS = 200 * MS;
    private static final long SPF_DELAY_NANOS = 20 * MS;
    private static final long ORIGINATE_HOLD_NANOS = 5 * MS;
    private static final long ANTI_ENTROPY_NANOS = 200 * MS;
    private static final long MAX_AGE_MILLIS = 3_600_000;
    private static final long CHECK_EVERY_NANOS = 50 * MS;
    /** Share of nodes that want each topic: from common to rare, so pruning matters. */
    private static final double[] TOPIC_SHARE = {0.5, 0.25, 0.12, 0.06, 0.03, 0.015, 0.008, 0.004};

    enum Topology { CHAIN, RING, GRID, HUB_SPOKE, RANDOM_3 }

    enum Phase { BOOT, FAULTS, CONVERGE, STEADY }

    private enum FaultKind { CUT, FLAP, CRASH, PARTITION, COST }

    /**
     * What to simulate.
     *
     * @param hubs               hub sites of {@link Topology#HUB_SPOKE} (the others are no-transit
     *                           edges with one or two uplinks); unused otherwise
     * @param faultNanos         length of the fault phase
     * @param cuts               site-link cuts, each of a link with an alternate path if there is
     *                           one, healed 400..1200 ms later
     * @param flaps              links cut and healed three times within about a second
     * @param crashes            node crashes, each restarted 300..800 ms later
     * @param partitions         sites cut off from all neighbours for 500..1000 ms
     * @param costChanges        a link's cost set to 1..3, advertised by both ends of its connections
     * @param lossDuringFaults   probability that a control message (link state, anti-entropy) is lost
     *                           during faults; event hops are not lost at random (a TCP link loses
     *                           what is on it only when it breaks)
     * @param lossAfterFaults    the same while converging and after
     * @param coldStart          every node starts empty and the mesh forms by dialling, flooding and
     *                           anti-entropy; else it starts formed (every link up, every record everywhere)
     */
    record Scenario(String name, Topology topology, int sites, int nodesPerSite, int hubs, long faultNanos, int cuts,
                    int flaps, int crashes, int partitions, int costChanges, double lossDuringFaults,
                    double lossAfterFaults, int eventsDuringFaults, int eventsAfter, long maxConvergeNanos,
                    boolean coldStart) {
    }

    /** A configured site link; {@code dialer} is the site whose nodes dial. */
    private static final class SiteLink {
        final int id;
        final int a;
        final int b;
        int cost;
        int dialer;
        final List<Slot> slots = new ArrayList<>();
        int cutCount;

        SiteLink(int id, int a, int b, int cost, int dialer) {
            this.id = id;
            this.a = a;
            this.b = b;
            this.cost = cost;
            this.dialer = dialer;
        }

        int other(int site) {
            return site == a ? b : a;
        }

        boolean cut() {
            return cutCount > 0;
        }
    }

    /** One established gateway connection; a redial makes a new one. */
    private static final class Conn {
        final int id;
        final Node dialer;
        final Node peer;
        final SiteLink link;
        boolean up = true;

        Conn(int id, Node dialer, Node peer, SiteLink link) {
            this.id = id;
            this.dialer = dialer;
            this.peer = peer;
            this.link = link;
        }

        Node other(Node n) {
            return n == dialer ? peer : dialer;
        }
    }

    /** A dialler's duty for one site link: keep one connection to a node of the other site. */
    private static final class Slot {
        final Node dialer;
        final SiteLink link;
        Conn current;
        boolean dialing;

        Slot(Node dialer, SiteLink link) {
            this.dialer = dialer;
            this.link = link;
        }
    }

    private final class Node {
        final int index;
        final String name;
        final int site;
        final BitSet interest = new BitSet();
        final List<Slot> slots = new ArrayList<>();
        /** The gateway connections this node believes up (and lists in its record). */
        final List<Conn> conns = new ArrayList<>();
        /** The site peers the per-site membership says are up. */
        final Set<Integer> siteView = new TreeSet<>();
        final Forwarding forwarding;
        long incarnation;
        boolean up;
        long seq;
        LinkStateDb db;
        TreeCache cache;
        boolean spfPending;
        boolean originatePending;

        Node(int index, String name, int site) {
            this.index = index;
            this.name = name;
            this.site = site;
            this.forwarding = new Forwarding(siteNames.get(site), name, Forwarding.DEFAULT_MAX_SITE_HOPS);
        }

        String siteName() {
            return siteNames.get(site);
        }

        Set<String> liveSites() {
            Set<String> out = new TreeSet<>();
            for (Conn c : conns) {
                out.add(siteNames.get(c.other(this).site));
            }
            return out;
        }

        Conn connTo(String site) {
            for (Conn c : conns) {
                if (siteNames.get(c.other(this).site).equals(site)) {
                    return c;
                }
            }
            return null;
        }
    }

    // ------------------------------------------------------------------ messages

    private sealed interface Payload permits Records, Digest, Summary, Pull, GatewayHop, RouteHop {
    }

    private record Records(List<LinkState> records) implements Payload {
    }

    private record Digest(long digest) implements Payload {
    }

    private record Summary(List<LinkState.Version> versions) implements Payload {
    }

    private record Pull(List<String> nodes) implements Payload {
    }

    private record GatewayHop(int event, Header header) implements Payload {
    }

    private record RouteHop(int event, Header header, boolean deliver, List<String> forwardTo) implements Payload {
    }

    /** What travels: a payload, and the gateway connection it is on (null for a route link inside a site). */
    private record Wire(Conn conn, Payload payload) {
    }

    private record Timer(long atNanos, long seq, Runnable action) {
    }

    /** One event and what happened to it. */
    private static final class Trace {
        final int id;
        final int topic;
        final Node publisher;
        final long publishedAtNanos;
        final Phase phase;
        final Set<String> acceptedSites = new TreeSet<>();
        final Map<String, Integer> received = new HashMap<>();
        final Map<String, Integer> delivered = new TreeMap<>();
        /** Interested sites reachable in the ground truth at publish time. */
        Set<String> reachableInterested = Set.of();
        ReferenceTrees.Tree truthTree;
        Header header;
        int gatewayCrossings;

        Trace(int id, int topic, Node publisher, long publishedAtNanos, Phase phase) {
            this.id = id;
            this.topic = topic;
            this.publisher = publisher;
            this.publishedAtNanos = publishedAtNanos;
            this.phase = phase;
        }
    }

    private record Fault(long atNanos, String what) {
    }

    /** The ground truth at one instant: live sites and up site links, from the simulator's own tables. */
    private static final class Truth {
        final SiteGraph graph;
        final List<String> sites;
        final int[][] cost;
        final boolean[] noTransit;
        final Map<String, ReferenceTrees.Tree> trees = new HashMap<>();

        Truth(SiteGraph graph, List<String> sites, int[][] cost, boolean[] noTransit) {
            this.graph = graph;
            this.sites = sites;
            this.cost = cost;
            this.noTransit = noTransit;
        }

        ReferenceTrees.Tree tree(String origin) {
            if (!sites.contains(origin)) {
                return null;
            }
            return trees.computeIfAbsent(origin, o -> ReferenceTrees.compute(sites, cost, noTransit, o));
        }
    }

    private final long seed;
    private final Scenario sc;
    private final SplittableRandom rnd;
    private final SimNetwork<Wire> net;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((x, y) -> {
        int c = Long.compare(x.atNanos(), y.atNanos());
        return c != 0 ? c : Long.compare(x.seq(), y.seq());
    });
    private final List<String> siteNames = new ArrayList<>();
    private final boolean[] noTransit;
    private final List<SiteLink> links = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Node> byName = new HashMap<>();
    private final List<List<Node>> bySite = new ArrayList<>();
    private final List<Set<String>> interestedSites = new ArrayList<>();
    private final List<Trace> traces = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final Map<Phase, EnumMap<DropReason, Long>> drops = new EnumMap<>(Phase.class);
    private final Map<Phase, Long> lostInFlight = new EnumMap<>(Phase.class);
    private final Map<Phase, Long> lostOnRoute = new EnumMap<>(Phase.class);
    private final Map<Phase, Long> unstamped = new EnumMap<>(Phase.class);
    /** Trees memoised across nodes: by LSDB digest, and by graph (several digests can give one graph). */
    private final Map<Long, SiteTrees> treesByDigest = new HashMap<>();
    private final Map<SiteGraph, SiteTrees> treesByGraph = new HashMap<>();
    /** Reference trees of the graphs publishers stamped, by origin and fingerprint. */
    private final Map<String, ReferenceTrees.Tree> stamped = new HashMap<>();
    private final IdentityHashMap<SiteGraph, Map<String, ReferenceTrees.Tree>> referenceByGraph = new IdentityHashMap<>();
    private final Map<SiteGraph, Truth> truths = new HashMap<>();
    private Truth truth;
    private long physicalVersion;
    private long truthVersion = -1;
    private long now;
    private long timerSeq;
    private int connIds;
    private double loss;
    private Phase phase = Phase.BOOT;
    private boolean faultsOn;
    private long eventsInFlight;
    private long controlSent;
    private final Map<String, Long> controlByType = new TreeMap<>();
    private long controlLost;
    private long eventMessages;
    private long spfInstalls;
    private long tombstones;
    private long originations;
    private long redials;
    private long convergedAtNanos;
    private long bootConvergedAtNanos;
    private long lostDeliveries;
    private long faultEvents;
    private long faultEventsWhole;
    /** Per fault that lost deliveries, the span from the fault to the last event it lost, sorted. */
    private final List<Long> lossWindowsMs = new ArrayList<>();

    MultiHopSim(long seed, Scenario sc) {
        this.seed = seed;
        this.sc = sc;
        this.rnd = new SplittableRandom(seed);
        int nodeCount = sc.sites() * sc.nodesPerSite();
        this.net = new SimNetwork<>(nodeCount, rnd.split(), MS, 5 * MS, 0.02, 30 * MS);
        this.noTransit = new boolean[sc.sites()];
        for (int s = 0; s < sc.sites(); s++) {
            siteNames.add(String.format("s%03d", s));
        }
        buildTopology();
        for (int s = 0; s < sc.sites(); s++) {
            List<Node> members = new ArrayList<>();
            for (int i = 0; i < sc.nodesPerSite(); i++) {
                Node n = new Node(nodes.size(), siteNames.get(s) + "n" + i, s);
                nodes.add(n);
                byName.put(n.name, n);
                members.add(n);
            }
            bySite.add(members);
        }
        for (SiteLink l : links) {
            for (Node n : bySite.get(l.dialer)) {
                Slot slot = new Slot(n, l);
                l.slots.add(slot);
                n.slots.add(slot);
            }
        }
        for (int t = 0; t < TOPIC_SHARE.length; t++) {
            Set<String> sites = new TreeSet<>();
            for (Node n : nodes) {
                if (rnd.nextDouble() < TOPIC_SHARE[t]) {
                    n.interest.set(t);
                    sites.add(n.siteName());
                }
            }
            interestedSites.add(sites);
        }
        for (Phase p : Phase.values()) {
            drops.put(p, new EnumMap<>(DropReason.class));
        }
    }

    // ------------------------------------------------------------------ topologies

    private void buildTopology() {
        int n = sc.sites();
        switch (sc.topology()) {
            case CHAIN -> {
                noTransit[0] = true; // the plant: an edge that dials its region
                for (int i = 0; i + 1 < n; i++) {
                    addLink(i, i + 1, 1, i);
                }
            }
            case RING -> {
                for (int i = 0; i < n; i++) {
                    addLink(i, (i + 1) % n, 1 + rnd.nextInt(2), i);
                }
            }
            case GRID -> {
                int cols = (int) Math.ceil(Math.sqrt(n));
                for (int i = 0; i < n; i++) {
                    if ((i + 1) % cols != 0 && i + 1 < n) {
                        addLink(i, i + 1, 1, i);
                    }
                    if (i + cols < n) {
                        addLink(i, i + cols, 1, i);
                    }
                }
            }
            case HUB_SPOKE -> {
                int hubs = Math.max(1, Math.min(sc.hubs(), n));
                for (int i = 0; i < hubs; i++) {
                    for (int j = i + 1; j < hubs; j++) {
                        addLink(i, j, 1, i);
                    }
                }
                for (int leaf = hubs; leaf < n; leaf++) {
                    noTransit[leaf] = true;
                    int first = rnd.nextInt(hubs);
                    addLink(leaf, first, 1, leaf);
                    if (hubs > 1 && rnd.nextInt(5) < 2) { // 40% have a second uplink
                        int second = (first + 1 + rnd.nextInt(hubs - 1)) % hubs;
                        addLink(leaf, second, 1 + rnd.nextInt(2), leaf);
                    }
                }
            }
            case RANDOM_3 -> {
                int[] degree = new int[n];
                for (int i = 1; i < n; i++) { // a random spanning tree of degree <= 3 where possible
                    int j = rnd.nextInt(i);
                    for (int tries = 0; tries < 10 && degree[j] >= 3; tries++) {
                        j = rnd.nextInt(i);
                    }
                    addLink(i, j, 1 + rnd.nextInt(3), rnd.nextBoolean() ? i : j);
                    degree[i]++;
                    degree[j]++;
                }
                for (int tries = 0; tries < 4 * n; tries++) { // extra edges up to degree 3
                    int i = rnd.nextInt(n);
                    int j = rnd.nextInt(n);
                    if (i != j && degree[i] < 3 && degree[j] < 3 && linkBetween(i, j) == null) {
                        addLink(i, j, 1 + rnd.nextInt(3), rnd.nextBoolean() ? i : j);
                        degree[i]++;
                        degree[j]++;
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (degree[i] == 1 && rnd.nextInt(3) == 0) {
                        noTransit[i] = true; // some leaves are edges, which dial out
                        for (SiteLink l : links) {
                            if (l.a == i || l.b == i) {
                                l.dialer = i;
                            }
                        }
                    }
                }
            }
        }
    }

    private void addLink(int a, int b, int cost, int dialer) {
        links.add(new SiteLink(links.size(), a, b, cost, dialer));
    }

    private SiteLink linkBetween(int a, int b) {
        for (SiteLink l : links) {
            if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) {
                return l;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ the run

    /** Runs the scenario; returns a summary, throws AssertionError naming the seed. */
    String run() {
        long wallStart = System.nanoTime();
        loss = sc.lossAfterFaults();
        if (sc.coldStart()) {
            coldStart();
        } else {
            warmStart();
        }
        awaitConvergence("boot");
        bootConvergedAtNanos = now;
        long faultStart = now;
        phase = Phase.FAULTS;
        faultsOn = true;
        loss = sc.lossDuringFaults();
        scheduleFaults(faultStart);
        for (int i = 0; i < sc.eventsDuringFaults(); i++) {
            long at = faultStart + rnd.nextLong(sc.faultNanos());
            schedule(at, () -> publishRandom());
        }
        runUntil(faultStart + sc.faultNanos());
        stopFaults();
        phase = Phase.CONVERGE;
        loss = sc.lossAfterFaults();
        awaitConvergence("faults");
        convergedAtNanos = now;
        checkAgreement();
        fail();
        phase = Phase.STEADY;
        for (int i = 0; i < sc.eventsAfter(); i++) {
            schedule(now + i * MS / 2, () -> publishRandom());
        }
        runUntil(now + sc.eventsAfter() * MS / 2);
        drainEvents();
        checkSteady();
        checkFaultPhase();
        fail();
        long wallMs = (System.nanoTime() - wallStart) / 1_000_000;
        return summary(wallMs);
    }

    private void awaitConvergence(String after) {
        long deadline = now + sc.maxConvergeNanos();
        while (!converged()) {
            if (now > deadline) {
                problems.add("not converged " + sc.maxConvergeNanos() / MS + " ms after " + after + ": "
                        + whyNotConverged());
                fail();
            }
            runUntil(now + CHECK_EVERY_NANOS);
        }
    }

    /** Processes network deliveries and timers in time order up to {@code untilNanos}. */
    private void runUntil(long untilNanos) {
        while (true) {
            long tn = net.nextTimeNanos();
            long tt = timers.isEmpty() ? Long.MAX_VALUE : timers.peek().atNanos();
            if (Math.min(tn, tt) > untilNanos) {
                break;
            }
            if (tn <= tt) {
                SimNetwork.Event<Wire> e = net.poll(tn);
                now = e.timeNanos();
                deliver(e);
            } else {
                Timer t = timers.poll();
                now = t.atNanos();
                t.action().run();
            }
            if (problems.size() > 30) {
                fail();
            }
        }
        now = untilNanos;
    }

    /** Runs until no event hop is in flight. */
    private void drainEvents() {
        long deadline = now + 10_000 * MS;
        while (eventsInFlight > 0 && now < deadline) {
            runUntil(now + 10 * MS);
        }
        if (eventsInFlight > 0) {
            problems.add(eventsInFlight + " event hops still in flight 10 s after the last publish");
        }
    }

    private void schedule(long atNanos, Runnable action) {
        timers.add(new Timer(atNanos, timerSeq++, action));
    }

    private long nowMillis() {
        return now / MS;
    }

    // ------------------------------------------------------------------ nodes, links, link state

    /** Every node starts at once with an empty database, dials, floods and syncs. */
    private void coldStart() {
        for (Node n : nodes) {
            n.up = true; // the whole mesh starts at once: each node's first view holds its site peers
            n.incarnation = 1;
        }
        for (Node n : nodes) {
            boot(n, 1);
        }
    }

    /**
     * The mesh has been running: every connection is up and every node holds every record. A cold
     * start of 500 nodes floods some 1,500 records (each link that comes up is a new record at both
     * ends) over some 2,000 links each, 90% of a large run's work for nothing the fault phase does
     * not test again (restarted nodes sync from empty).
     */
    private void warmStart() {
        for (Node n : nodes) {
            n.up = true;
            n.incarnation = 1;
            n.db = new LinkStateDb(MAX_AGE_MILLIS);
            n.cache = new TreeCache();
            for (Node p : bySite.get(n.site)) {
                if (p != n) {
                    n.siteView.add(p.index);
                }
            }
        }
        for (SiteLink l : links) {
            for (Slot s : l.slots) {
                Node t = target(s);
                Conn c = new Conn(connIds++, s.dialer, t, l);
                s.current = c;
                s.dialer.conns.add(c);
                t.conns.add(c);
            }
        }
        List<LinkState> records = new ArrayList<>();
        for (Node n : nodes) {
            n.seq = 1;
            records.add(record(n));
        }
        for (Node n : nodes) {
            records.forEach(r -> n.db.apply(r, nowMillis()));
            n.cache.install(treesFor(n.db));
            long inc = n.incarnation;
            schedule(now + rnd.nextLong(ANTI_ENTROPY_NANOS), () -> antiEntropy(n, inc));
        }
        physicalVersion++;
    }

    private void boot(Node n, long incarnation) {
        n.up = true;
        n.incarnation = incarnation;
        n.seq = 0;
        n.db = new LinkStateDb(MAX_AGE_MILLIS);
        n.cache = new TreeCache();
        n.conns.clear();
        n.spfPending = false;
        n.originatePending = false;
        n.siteView.clear();
        for (Node p : bySite.get(n.site)) {
            if (p != n && p.up) {
                n.siteView.add(p.index); // joining the site's group hands over its current view
            }
        }
        physicalVersion++;
        originate(n);
        long inc = n.incarnation;
        schedule(now + rnd.nextLong(ANTI_ENTROPY_NANOS), () -> antiEntropy(n, inc));
        for (Slot s : n.slots) {
            s.current = null;
            s.dialing = false;
            dial(s);
        }
    }

    /**
     * The node re-originates its record a moment after a link change ({@link #ORIGINATE_HOLD_NANOS}),
     * so that the changes of one instant (a hub node's links coming up at start, a crashed peer's
     * links going down) make one record, not one each.
     */
    private void originateSoon(Node n) {
        if (n.originatePending) {
            return;
        }
        n.originatePending = true;
        long inc = n.incarnation;
        schedule(now + ORIGINATE_HOLD_NANOS, () -> {
            if (n.up && n.incarnation == inc) {
                n.originatePending = false;
                originate(n);
            }
        });
    }

    /** The node re-originates its record from the connections it believes up: flood first, then install. */
    private void originate(Node n) {
        originations++;
        n.seq++;
        LinkState r = record(n);
        flood(n, List.of(r), null, null);
        n.db.apply(r, nowMillis());
        spf(n);
    }

    /**
     * Sends {@code records} on: to the site peers unless they came from one (the peer that sent
     * them sent them to every peer it sees: the intra-site flood is one route hop), and over every
     * gateway link but the one they came on.
     */
    /** The node's record at its current seq, listing the connections it believes up. */
    private LinkState record(Node n) {
        List<LinkState.Link> ls = new ArrayList<>();
        for (Conn c : n.conns) {
            Node o = c.other(n);
            ls.add(new LinkState.Link(o.siteName(), o.name, c.link.cost));
        }
        return new LinkState(n.name, n.siteName(), n.incarnation, n.seq, noTransit[n.site], !noTransit[n.site], false,
                n.name + ":7000", ls);
    }

    private void flood(Node n, List<LinkState> records, Node from, Conn via) {
        Records m = new Records(records);
        boolean fromSitePeer = from != null && via == null;
        if (!fromSitePeer) {
            for (int p : n.siteView) {
                sendControl(n, nodes.get(p), null, m);
            }
        }
        for (Conn c : n.conns) {
            if (c != via) {
                sendControl(n, c.other(n), c, m);
            }
        }
    }

    private void spf(Node n) {
        if (n.spfPending) {
            return;
        }
        n.spfPending = true;
        long inc = n.incarnation;
        schedule(now + SPF_DELAY_NANOS, () -> {
            if (!n.up || n.incarnation != inc) {
                return;
            }
            n.spfPending = false;
            if (n.cache.install(treesFor(n.db))) {
                spfInstalls++;
            }
        });
    }

    private SiteTrees treesFor(LinkStateDb db) {
        long d = db.digest();
        SiteTrees t = treesByDigest.get(d);
        if (t == null) {
            if (treesByDigest.size() > 50_000) {
                treesByDigest.clear();
                treesByGraph.clear();
            }
            t = treesByGraph.computeIfAbsent(db.siteGraph(), SiteTrees::new);
            treesByDigest.put(d, t);
        }
        return t;
    }

    private void antiEntropy(Node n, long inc) {
        if (!n.up || n.incarnation != inc) {
            return;
        }
        Digest d = new Digest(n.db.digest());
        if (!n.siteView.isEmpty()) {
            List<Integer> peers = new ArrayList<>(n.siteView);
            sendControl(n, nodes.get(peers.get(rnd.nextInt(peers.size()))), null, d);
        }
        for (Conn c : n.conns) {
            sendControl(n, c.other(n), c, d);
        }
        schedule(now + ANTI_ENTROPY_NANOS * 4 / 5 + rnd.nextLong(ANTI_ENTROPY_NANOS * 2 / 5), () -> antiEntropy(n, inc));
    }

    /** The dialler keeps trying: a node of the other site by rendezvous among its live nodes. */
    private void dial(Slot s) {
        if (s.dialing) {
            return;
        }
        s.dialing = true;
        long inc = s.dialer.incarnation;
        schedule(now + DIAL_MIN_NANOS, () -> attempt(s, inc));
    }

    private void attempt(Slot s, long inc) {
        Node d = s.dialer;
        if (!d.up || d.incarnation != inc) {
            return;
        }
        Node target = s.link.cut() ? null : target(s);
        if (target == null) {
            schedule(now + REDIAL_MIN_NANOS + rnd.nextLong(REDIAL_SPREAD_NANOS), () -> attempt(s, inc));
            return;
        }
        Node t = target;
        long tinc = t.incarnation;
        schedule(now + DIAL_MIN_NANOS + rnd.nextLong(DIAL_SPREAD_NANOS), () -> establish(s, inc, t, tinc));
    }

    /** The live node of the other site that rendezvous hashing on the two names picks, or null. */
    private Node target(Slot s) {
        Node target = null;
        long best = 0;
        for (Node t : bySite.get(s.link.other(s.dialer.site))) {
            long score = Hash.rendezvous(s.dialer.name, t.name);
            if (t.up && (target == null || score > best)) {
                target = t;
                best = score;
            }
        }
        return target;
    }

    private void establish(Slot s, long inc, Node t, long tinc) {
        Node d = s.dialer;
        if (!d.up || d.incarnation != inc) {
            return;
        }
        if (!t.up || t.incarnation != tinc || s.link.cut()) {
            schedule(now + REDIAL_MIN_NANOS + rnd.nextLong(REDIAL_SPREAD_NANOS), () -> attempt(s, inc));
            return;
        }
        if (noTransit[t.site]) {
            problems.add("no-transit site " + t.siteName() + " accepts an inbound connection from " + d.name);
        }
        Conn c = new Conn(connIds++, d, t, s.link);
        s.current = c;
        s.dialing = false;
        physicalVersion++;
        for (Node end : List.of(d, t)) {
            // a new connection from the same node replaces one the end still believes up
            end.conns.removeIf(old -> old.other(end) == c.other(end));
            end.conns.add(c);
            originateSoon(end);
        }
    }

    /** The connection went down physically: each live end notices after its heartbeat timeout. */
    private void breakConn(Conn c) {
        if (!c.up) {
            return;
        }
        c.up = false;
        physicalVersion++;
        for (Node end : List.of(c.dialer, c.peer)) {
            if (end.up) {
                long inc = end.incarnation;
                schedule(now + HEARTBEAT_TIMEOUT_NANOS + rnd.nextLong(DETECT_SPREAD_NANOS), () -> detect(end, inc, c));
            }
        }
    }

    private void detect(Node n, long inc, Conn c) {
        if (!n.up || n.incarnation != inc) {
            return;
        }
        if (n.conns.remove(c)) {
            originateSoon(n);
        }
        if (c.dialer == n) {
            for (Slot s : n.slots) {
                if (s.current == c) {
                    s.current = null;
                    redials++;
                    dial(s);
                }
            }
        }
    }

    private void cut(SiteLink l) {
        l.cutCount++;
        if (l.cutCount == 1) {
            physicalVersion++;
            for (Slot s : l.slots) {
                if (s.current != null) {
                    breakConn(s.current);
                }
            }
        }
    }

    private void heal(SiteLink l) {
        if (l.cutCount > 0 && --l.cutCount == 0) {
            physicalVersion++;
        }
    }

    private void crash(Node n) {
        n.up = false;
        physicalVersion++;
        for (Conn c : new ArrayList<>(n.conns)) {
            breakConn(c);
        }
        for (Slot s : n.slots) {
            if (s.current != null) {
                breakConn(s.current);
            }
        }
        long crashed = n.incarnation;
        for (Node p : bySite.get(n.site)) {
            if (p != n && p.up) {
                long pinc = p.incarnation;
                schedule(now + FD_MIN_NANOS + rnd.nextLong(FD_SPREAD_NANOS), () -> leftGroup(p, pinc, n, crashed));
            }
        }
    }

    /** {@code p} sees {@code x} leave the site's group: it floods x's tombstone, unless it has it. */
    private void leftGroup(Node p, long pinc, Node x, long crashed) {
        if (!p.up || p.incarnation != pinc) {
            return;
        }
        p.siteView.remove(x.index);
        LinkState held = p.db.get(x.name);
        if (held != null && held.incarnation() == crashed && !held.tombstone()) {
            LinkState t = LinkState.tombstone(x.name, x.siteName(), crashed);
            tombstones++;
            flood(p, List.of(t), null, null);
            p.db.apply(t, nowMillis());
            spf(p);
        }
    }

    private void restart(Node n) {
        if (n.up) {
            return;
        }
        boot(n, n.incarnation + 1);
        long inc = n.incarnation;
        for (Node p : bySite.get(n.site)) {
            if (p != n && p.up) {
                long pinc = p.incarnation;
                schedule(now + FD_MIN_NANOS + rnd.nextLong(FD_SPREAD_NANOS), () -> {
                    if (p.up && p.incarnation == pinc && n.up && n.incarnation == inc) {
                        p.siteView.add(n.index);
                    }
                });
            }
        }
    }

    // ------------------------------------------------------------------ the wire

    private void sendControl(Node from, Node to, Conn via, Payload p) {
        controlSent++;
        controlByType.merge(p.getClass().getSimpleName(), 1L, Long::sum);
        if (rnd.nextDouble() < loss) {
            controlLost++;
            return;
        }
        if (via != null && !via.up) {
            return; // the write goes nowhere: the connection is dead
        }
        net.send(now, from.index, from.incarnation, to.index, to.incarnation, via == null ? -1 : via.id, new Wire(via, p));
    }

    private void sendEvent(Node from, Node to, Conn via, Payload p) {
        eventMessages++;
        eventsInFlight++;
        net.send(now, from.index, from.incarnation, to.index, to.incarnation, via == null ? -1 : via.id, new Wire(via, p));
    }

    private void deliver(SimNetwork.Event<Wire> e) {
        Node from = nodes.get(e.from());
        Node to = nodes.get(e.to());
        Wire w = e.message();
        boolean event = w.payload() instanceof GatewayHop || w.payload() instanceof RouteHop;
        if (event) {
            eventsInFlight--;
        }
        boolean broken = !to.up || to.incarnation != e.toIncarnation() || from.incarnation != e.fromIncarnation()
                || (w.conn() == null ? !from.up : !w.conn().up);
        if (broken) {
            if (w.payload() instanceof GatewayHop g) {
                drop(DropReason.LINK_DOWN, g.event());
                lostInFlight.merge(traces.get(g.event()).phase, 1L, Long::sum);
            } else if (w.payload() instanceof RouteHop r) {
                lostOnRoute.merge(traces.get(r.event()).phase, 1L, Long::sum);
            }
            return;
        }
        Payload p = w.payload();
        if (p instanceof Records r) {
            onRecords(to, from, w.conn(), r.records());
        } else if (p instanceof Digest d) {
            if (to.db.digest() != d.digest()) {
                sendControl(to, from, w.conn(), new Summary(to.db.summary()));
            }
        } else if (p instanceof Summary s) {
            List<LinkState> push = to.db.newerThan(s.versions());
            if (!push.isEmpty()) {
                sendControl(to, from, w.conn(), new Records(push));
            }
            List<String> pull = to.db.missingFrom(s.versions());
            if (!pull.isEmpty()) {
                sendControl(to, from, w.conn(), new Pull(pull));
            }
        } else if (p instanceof Pull pull) {
            List<LinkState> answer = to.db.recordsOf(pull.nodes());
            if (!answer.isEmpty()) {
                sendControl(to, from, w.conn(), new Records(answer));
            }
        } else if (p instanceof GatewayHop g) {
            onGatewayHop(to, from, g);
        } else if (p instanceof RouteHop r) {
            onRouteHop(to, r);
        }
    }

    private void onRecords(Node n, Node from, Conn via, List<LinkState> records) {
        List<LinkState> newer = new ArrayList<>();
        for (LinkState r : records) {
            if (r.node().equals(n.name)) {
                continue; // its own record: it alone writes it
            }
            LinkState held = n.db.get(r.node());
            if (held == null || r.isNewerThan(held)) {
                newer.add(r);
            }
        }
        if (newer.isEmpty()) {
            return;
        }
        flood(n, newer, from, via); // flood before install
        for (LinkState r : newer) {
            n.db.apply(r, nowMillis());
        }
        spf(n);
    }

    // ------------------------------------------------------------------ events

    private void publishRandom() {
        Node x = nodes.get(rnd.nextInt(nodes.size()));
        if (!x.up) {
            return;
        }
        int topic = rnd.nextInt(TOPIC_SHARE.length);
        publish(x, topic);
    }

    private void publish(Node x, int topic) {
        Trace t = new Trace(traces.size(), topic, x, now, phase);
        traces.add(t);
        Truth truthNow = truth();
        ReferenceTrees.Tree ref = truthNow.tree(x.siteName());
        t.truthTree = ref;
        Set<String> reachable = new TreeSet<>();
        if (ref != null) {
            for (String s : interestedSites.get(topic)) {
                if (ref.depth().containsKey(s)) {
                    reachable.add(s);
                }
            }
        }
        t.reachableInterested = reachable;
        receive(t, x);
        t.acceptedSites.add(x.siteName());
        Header h = x.forwarding.stamp(x.cache);
        t.header = h;
        SiteTree tree = null;
        if (h == null) {
            unstamped.merge(t.phase, 1L, Long::sum);
        } else {
            tree = x.forwarding.treeOf(h, x.cache);
            registerStamped(tree);
            if (phase == Phase.STEADY && ref != null && ref.fingerprint() != h.treeFp()) {
                problems.add(ev(t) + ": stamped tree " + tree + " is not the ground truth's " + ref.parents());
            }
        }
        ingress(t, x, h, tree);
    }

    /** The reference tree of the graph the publisher stamped, to check every hop of the event against. */
    private void registerStamped(SiteTree tree) {
        String key = tree.origin() + "/" + tree.fingerprint();
        if (stamped.containsKey(key)) {
            return;
        }
        Map<String, ReferenceTrees.Tree> byOrigin = referenceByGraph.computeIfAbsent(tree.graph(), g -> new HashMap<>());
        ReferenceTrees.Tree ref = byOrigin.computeIfAbsent(tree.origin(), o -> ReferenceTrees.compute(tree.graph(), o));
        if (!ref.parents().equals(tree.parents())) {
            problems.add("tree of " + tree.origin() + " over " + tree.graph() + " differs from the reference: "
                    + tree.parents() + " vs " + ref.parents());
        }
        stamped.put(key, ref);
        if (referenceByGraph.size() > 2000) {
            referenceByGraph.clear();
        }
    }

    /** The ingress of the event in its site: deliver, pick children and egresses, send route and gateway hops. */
    private void ingress(Trace t, Node x, Header h, SiteTree tree) {
        if (x.interest.get(t.topic)) {
            deliverLocally(t, x);
        }
        Map<Node, List<String>> forwardTo = new LinkedHashMap<>();
        if (tree != null) {
            Decision d = x.forwarding.ingress(tree, h, interestedSites.get(t.topic), x.liveSites(),
                    c -> x.db.holders(x.siteName(), c));
            d.drops().forEach(dr -> drop(dr.reason(), t.id));
            for (Forwarding.Forward f : d.forwards()) {
                Node egress = byName.get(f.egressNode());
                if (egress == x) {
                    gatewaySend(t, x, f.childSite(), h.next());
                } else {
                    forwardTo.computeIfAbsent(egress, k -> new ArrayList<>()).add(f.childSite());
                }
            }
        }
        for (Node p : bySite.get(x.site)) {
            if (p == x) {
                continue;
            }
            boolean deliver = p.interest.get(t.topic) && x.siteView.contains(p.index);
            List<String> fw = forwardTo.get(p);
            if (deliver || fw != null) {
                sendEvent(x, p, null, new RouteHop(t.id, h, deliver, fw == null ? List.of() : fw));
            }
        }
    }

    private void gatewaySend(Trace t, Node x, String child, Header next) {
        Conn c = x.connTo(child);
        if (c == null) {
            problems.add(ev(t) + ": " + x.name + " forwards to " + child + " without a link it believes up");
            return;
        }
        if (noTransit[x.site] && !next.originSite().equals(x.siteName())) {
            problems.add(ev(t) + ": no-transit site " + x.siteName() + " forwards an event of "
                    + next.originSite() + " to " + child);
        }
        if (!c.up) {
            drop(DropReason.LINK_DOWN, t.id); // it believes the link up; the heartbeat has not timed out yet
            return;
        }
        t.gatewayCrossings++;
        sendEvent(x, c.other(x), c, new GatewayHop(t.id, next));
    }

    private void onGatewayHop(Node y, Node from, GatewayHop g) {
        Trace t = traces.get(g.event());
        Decision d = y.forwarding.receive(g.header(), from.siteName(), y.cache);
        if (!d.accepted()) {
            drop(d.reason(), t.id);
            return;
        }
        receive(t, y);
        if (!t.acceptedSites.add(y.siteName())) {
            problems.add(ev(t) + ": site " + y.siteName() + " accepts it twice (now at " + y.name + " from "
                    + from.name + ")");
        }
        checkHop(t, from.siteName(), y.siteName(), g.header());
        ingress(t, y, g.header(), d.tree());
    }

    /** Every accepted hop is parent to child at the child's depth in the reference tree of the stamped graph. */
    private void checkHop(Trace t, String parent, String child, Header h) {
        ReferenceTrees.Tree ref = stamped.get(h.originSite() + "/" + h.treeFp());
        if (ref == null || !parent.equals(ref.parents().get(child)) || ref.depth().get(child) != h.siteHops()) {
            problems.add(ev(t) + ": hop " + parent + "->" + child + " at depth " + h.siteHops()
                    + " is not parent to child in the stamped tree " + (ref == null ? "(unknown)" : ref.parents()));
        }
        if (t.phase == Phase.STEADY && (t.truthTree == null || !parent.equals(t.truthTree.parents().get(child)))) {
            problems.add(ev(t) + ": hop " + parent + "->" + child + " is not in the ground-truth tree");
        }
    }

    private void onRouteHop(Node p, RouteHop r) {
        Trace t = traces.get(r.event());
        receive(t, p);
        if (r.deliver()) {
            deliverLocally(t, p);
        }
        for (String child : r.forwardTo()) {
            Decision d = p.forwarding.egress(r.header(), child, p.cache, p.liveSites());
            if (!d.accepted()) {
                drop(d.reason(), t.id);
                continue;
            }
            gatewaySend(t, p, child, r.header().next());
        }
    }

    private void receive(Trace t, Node n) {
        if (t.received.merge(n.name, 1, Integer::sum) > 1) {
            problems.add(ev(t) + ": node " + n.name + " receives it twice");
        }
    }

    private void deliverLocally(Trace t, Node n) {
        if (!n.interest.get(t.topic)) {
            problems.add(ev(t) + ": " + n.name + " delivers it without interest");
        }
        t.delivered.merge(n.name, 1, Integer::sum);
    }

    /** Counts a drop under the phase the event was published in. */
    private void drop(DropReason reason, int event) {
        drops.get(traces.get(event).phase).merge(reason, 1L, Long::sum);
    }

    private String ev(Trace t) {
        return "event " + t.id + " (topic " + t.topic + ", from " + t.publisher.name + " at " + t.publishedAtNanos / MS
                + " ms, " + t.phase + ", header " + t.header + ")";
    }

    // ------------------------------------------------------------------ faults

    private void scheduleFaults(long start) {
        List<FaultKind> kinds = new ArrayList<>();
        for (int i = 0; i < sc.cuts(); i++) {
            kinds.add(FaultKind.CUT);
        }
        for (int i = 0; i < sc.flaps(); i++) {
            kinds.add(FaultKind.FLAP);
        }
        for (int i = 0; i < sc.crashes(); i++) {
            kinds.add(FaultKind.CRASH);
        }
        for (int i = 0; i < sc.partitions(); i++) {
            kinds.add(FaultKind.PARTITION);
        }
        for (int i = 0; i < sc.costChanges(); i++) {
            kinds.add(FaultKind.COST);
        }
        java.util.Collections.shuffle(kinds, new java.util.Random(rnd.nextLong()));
        long window = sc.faultNanos() / Math.max(1, kinds.size());
        for (int i = 0; i < kinds.size(); i++) {
            FaultKind k = kinds.get(i);
            schedule(start + i * window + rnd.nextLong(Math.max(1, window / 3)), () -> inject(k));
        }
    }

    private void inject(FaultKind kind) {
        if (!faultsOn) {
            return;
        }
        switch (kind) {
            case CUT -> {
                SiteLink l = linkWithAlternatePath();
                if (l != null) {
                    faults.add(new Fault(now, "cut " + describe(l)));
                    cut(l);
                    schedule(now + 400 * MS + rnd.nextLong(800 * MS), () -> healFault(l));
                }
            }
            case FLAP -> {
                SiteLink l = links.get(rnd.nextInt(links.size()));
                long at = now;
                for (int i = 0; i < 3; i++) {
                    long down = at;
                    long upAt = down + 50 * MS + rnd.nextLong(250 * MS);
                    schedule(down, () -> {
                        if (faultsOn) {
                            faults.add(new Fault(now, "flap " + describe(l)));
                            cut(l);
                        }
                    });
                    schedule(upAt, () -> healFault(l));
                    at = upAt + 100 * MS + rnd.nextLong(300 * MS);
                }
            }
            case CRASH -> {
                Node n = nodes.get(rnd.nextInt(nodes.size()));
                if (n.up) {
                    faults.add(new Fault(now, "crash " + n.name));
                    crash(n);
                    schedule(now + 300 * MS + rnd.nextLong(500 * MS), () -> {
                        if (!n.up) {
                            faults.add(new Fault(now, "restart " + n.name));
                            restart(n);
                        }
                    });
                }
            }
            case COST -> {
                SiteLink l = links.get(rnd.nextInt(links.size()));
                l.cost = 1 + rnd.nextInt(3);
                physicalVersion++;
                faults.add(new Fault(now, "cost " + l.cost + " on " + describe(l)));
                for (Slot s : l.slots) { // both ends of each live connection advertise the new cost
                    if (s.current != null && s.current.up) {
                        for (Node end : List.of(s.current.dialer, s.current.peer)) {
                            if (end.conns.contains(s.current)) {
                                originateSoon(end);
                            }
                        }
                    }
                }
            }
            case PARTITION -> {
                int site = rnd.nextInt(sc.sites());
                faults.add(new Fault(now, "partition of " + siteNames.get(site)));
                for (SiteLink l : links) {
                    if (l.a == site || l.b == site) {
                        cut(l);
                        schedule(now + 500 * MS + rnd.nextLong(500 * MS), () -> healFault(l));
                    }
                }
            }
        }
    }

    private void healFault(SiteLink l) {
        if (l.cutCount > 0) {
            heal(l);
            if (!l.cut()) {
                faults.add(new Fault(now, "heal " + describe(l)));
            }
        }
    }

    /** An uncut link whose ends stay connected without it, if a few random tries find one; else any uncut link. */
    private SiteLink linkWithAlternatePath() {
        SiteLink fallback = null;
        for (int tries = 0; tries < 20; tries++) {
            SiteLink l = links.get(rnd.nextInt(links.size()));
            if (l.cut()) {
                continue;
            }
            fallback = fallback == null ? l : fallback;
            l.cutCount++; // look at the graph without it
            physicalVersion++;
            ReferenceTrees.Tree without = truth().tree(siteNames.get(l.a));
            l.cutCount--;
            physicalVersion++;
            if (without != null && without.depth().containsKey(siteNames.get(l.b))) {
                return l;
            }
        }
        return fallback;
    }

    private String describe(SiteLink l) {
        return siteNames.get(l.a) + "-" + siteNames.get(l.b);
    }

    private void stopFaults() {
        faultsOn = false;
        for (SiteLink l : links) {
            if (l.cut()) {
                l.cutCount = 0;
                physicalVersion++;
            }
        }
        for (Node n : nodes) {
            if (!n.up) {
                restart(n);
            }
        }
        faults.add(new Fault(now, "faults stop"));
    }

    // ------------------------------------------------------------------ ground truth and convergence

    /** The real site graph now: sites with a live node, site links with a live connection. */
    private Truth truth() {
        if (truthVersion == physicalVersion && truth != null) {
            return truth;
        }
        List<String> live = new ArrayList<>();
        int[] pos = new int[sc.sites()];
        for (int s = 0; s < sc.sites(); s++) {
            pos[s] = -1;
            for (Node n : bySite.get(s)) {
                if (n.up) {
                    pos[s] = live.size();
                    live.add(siteNames.get(s));
                    break;
                }
            }
        }
        int[][] cost = new int[live.size()][live.size()];
        boolean[] nt = new boolean[live.size()];
        SiteGraph.Builder b = new SiteGraph.Builder();
        for (int s = 0; s < sc.sites(); s++) {
            if (pos[s] >= 0) {
                nt[pos[s]] = noTransit[s];
                b.site(siteNames.get(s), noTransit[s]);
            }
        }
        for (SiteLink l : links) {
            boolean up = !l.cut() && pos[l.a] >= 0 && pos[l.b] >= 0
                    && l.slots.stream().anyMatch(s -> s.current != null && s.current.up);
            if (up) {
                cost[pos[l.a]][pos[l.b]] = l.cost;
                cost[pos[l.b]][pos[l.a]] = l.cost;
                b.link(siteNames.get(l.a), siteNames.get(l.b), l.cost);
            }
        }
        SiteGraph g = b.build();
        if (truths.size() > 5000) {
            truths.clear();
        }
        truth = truths.computeIfAbsent(g, k -> new Truth(k, live, cost, nt));
        truthVersion = physicalVersion;
        return truth;
    }

    private boolean converged() {
        return whyNotConverged() == null;
    }

    /** Null when converged: every link dialled and known at both ends, equal databases, trees of the real graph. */
    private String whyNotConverged() {
        for (SiteLink l : links) {
            for (Slot s : l.slots) {
                if (s.dialer.up && (s.current == null || !s.current.up)) {
                    return s.dialer.name + " has no connection for " + describe(l);
                }
            }
        }
        SiteGraph real = truth().graph;
        Long digest = null;
        SiteTrees trees = null;
        for (Node n : nodes) {
            if (!n.up) {
                continue;
            }
            for (Conn c : n.conns) {
                if (!c.up) {
                    return n.name + " still believes a dead connection up";
                }
            }
            for (Node p : bySite.get(n.site)) {
                if (p != n && p.up != n.siteView.contains(p.index)) {
                    return n.name + "'s site view is stale about " + p.name;
                }
            }
            if (n.spfPending) {
                return n.name + " has an SPF run pending";
            }
            if (digest == null) {
                digest = n.db.digest();
            } else if (digest != n.db.digest()) {
                return n.name + "'s LSDB digest differs from " + nodes.get(0).name + "'s";
            }
            SiteTrees cur = n.cache.current();
            if (cur == null || !cur.graph().equals(real)) {
                return n.name + "'s graph is not the real one: " + (cur == null ? "none" : cur.graph()) + " vs " + real;
            }
            trees = cur;
        }
        return trees == null ? "no node is up" : null;
    }

    /** After convergence, every node holds the trees the reference computes from the simulator's own link table. */
    private void checkAgreement() {
        Truth tr = truth();
        Set<SiteTrees> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : nodes) {
            SiteTrees st = n.cache.current();
            if (!seen.add(st)) {
                continue;
            }
            for (String o : tr.sites) {
                ReferenceTrees.Tree ref = tr.tree(o);
                SiteTree t = st.tree(o);
                if (t == null || !t.parents().equals(ref.parents()) || t.fingerprint() != ref.fingerprint()) {
                    problems.add(n.name + "'s tree of " + o + " " + t + " is not the ground truth's " + ref.parents());
                }
            }
        }
    }

    // ------------------------------------------------------------------ checks after the run

    /**
     * After convergence: each event reached exactly the interested sites reachable in the ground
     * truth and the sites on their tree paths (no waste), each interested node once, without a
     * drop or a loss.
     */
    private void checkSteady() {
        for (Trace t : traces) {
            if (t.phase != Phase.STEADY || problems.size() > 30) {
                continue;
            }
            String origin = t.publisher.siteName();
            Set<String> expected = new TreeSet<>();
            expected.add(origin);
            for (String s : t.reachableInterested) {
                for (String x = s; x != null && expected.add(x); x = t.truthTree.parents().get(x)) {
                    // walk up to the origin or to a site already on a path
                }
            }
            expect(expected, t.acceptedSites, ev(t) + ": sites reached");
            expect(expected.size() - 1, t.gatewayCrossings, ev(t) + ": gateway crossings");
            Map<String, Integer> expectedDeliveries = new TreeMap<>();
            for (String s : expected) {
                for (Node n : bySite.get(siteNames.indexOf(s))) {
                    if (n.interest.get(t.topic)) {
                        expectedDeliveries.put(n.name, 1);
                    }
                }
            }
            expect(expectedDeliveries, t.delivered, ev(t) + ": deliveries");
        }
        long steadyDrops = drops.get(Phase.STEADY).values().stream().mapToLong(Long::longValue).sum();
        if (steadyDrops > 0 || lostInFlight.getOrDefault(Phase.STEADY, 0L) > 0
                || lostOnRoute.getOrDefault(Phase.STEADY, 0L) > 0 || unstamped.getOrDefault(Phase.STEADY, 0L) > 0) {
            problems.add("drops after convergence: " + drops.get(Phase.STEADY) + ", lost in flight "
                    + lostInFlight.get(Phase.STEADY) + ", on routes " + lostOnRoute.get(Phase.STEADY) + ", unstamped "
                    + unstamped.get(Phase.STEADY));
        }
    }

    /** Upper bound on a loss window: detection, flooding, SPF delay and a few anti-entropy rounds, with room. */
    static final long LOSS_WINDOW_BOUND_MS = 1000;

    /**
     * Events of the fault phase: count lost deliveries and measure each against the latest fault
     * before it; the assertion counters (not parent, bad depth, hop cap) must be zero.
     */
    private void checkFaultPhase() {
        for (Phase p : Phase.values()) {
            for (DropReason r : List.of(DropReason.NOT_PARENT, DropReason.BAD_DEPTH, DropReason.HOP_CAP)) {
                if (drops.get(p).getOrDefault(r, 0L) > 0) {
                    problems.add(r.metricName() + " drops in phase " + p + ": " + drops.get(p));
                }
            }
        }
        Map<Fault, Long> windowByFault = new LinkedHashMap<>();
        for (Trace t : traces) {
            if (t.phase != Phase.FAULTS) {
                continue;
            }
            faultEvents++;
            int lost = 0;
            for (String s : t.reachableInterested) {
                if (!t.acceptedSites.contains(s)) {
                    lost++;
                }
            }
            lostDeliveries += lost;
            if (lost == 0) {
                faultEventsWhole++;
                continue;
            }
            Fault latest = null;
            for (Fault f : faults) {
                // an event in flight when a fault strikes is lost to that fault, not to the one before
                if (f.atNanos() <= t.publishedAtNanos + 100 * MS) {
                    latest = f;
                }
            }
            if (latest == null) {
                problems.add(ev(t) + ": lost " + lost + " deliveries before any fault");
                continue;
            }
            long w = Math.max(0, t.publishedAtNanos - latest.atNanos());
            windowByFault.merge(latest, w, Math::max);
        }
        windowByFault.forEach((f, w) -> {
            lossWindowsMs.add(w / MS);
            if (w / MS > LOSS_WINDOW_BOUND_MS) {
                problems.add("deliveries lost " + w / MS + " ms after " + f.what() + " at " + f.atNanos() / MS
                        + " ms, beyond the bound of " + LOSS_WINDOW_BOUND_MS + " ms");
            }
        });
        lossWindowsMs.sort(null);
    }

    private void expect(Object expected, Object actual, String what) {
        if (!expected.equals(actual) && problems.size() < 50) {
            problems.add(what + ": expected " + expected + " but was " + actual);
        }
    }

    // ------------------------------------------------------------------ reporting

    /** The largest loss window measured, in ms of simulated time (0 when nothing was lost). */
    long maxLossWindowMs() {
        return lossWindowsMs.isEmpty() ? 0 : lossWindowsMs.get(lossWindowsMs.size() - 1);
    }

    long steadyEvents() {
        return traces.stream().filter(t -> t.phase == Phase.STEADY).count();
    }

    private String summary(long wallMs) {
        int siteLinks = links.size();
        long transit = 0;
        for (boolean b : noTransit) {
            transit += b ? 1 : 0;
        }
        return String.format("multi-hop %s seed=%d: %s, %d sites (%d no-transit) x %d nodes, %d site links; booted "
                        + "at %d ms; faults %d ms (%d faults and heals), converged at %d ms; events: %d during faults "
                        + "(%d whole, %d deliveries lost), %d after convergence (exact); drops during faults %s, "
                        + "lost in flight on a breaking link %d, on a route to a dead node %d, unstamped %d; "
                        + "loss windows per fault (ms) %s; drops after convergence %s; control messages %d %s (%d lost), "
                        + "event messages %d, SPF installs %d, distinct graphs %d, records originated %d, tombstones %d, redials %d; "
                        + "%d ms wall",
                sc.name(), seed, sc.topology(), sc.sites(), transit, sc.nodesPerSite(), siteLinks,
                bootConvergedAtNanos / MS, sc.faultNanos() / MS, faults.size(), convergedAtNanos / MS, faultEvents,
                faultEventsWhole, lostDeliveries, steadyEvents(), drops.get(Phase.FAULTS),
                lostInFlight.getOrDefault(Phase.FAULTS, 0L), lostOnRoute.getOrDefault(Phase.FAULTS, 0L),
                unstamped.getOrDefault(Phase.FAULTS, 0L), windows(), drops.get(Phase.STEADY), controlSent, controlByType,
                controlLost,
                eventMessages, spfInstalls, treesByGraph.size(), originations, tombstones, redials, wallMs);
    }

    private String windows() {
        if (lossWindowsMs.isEmpty()) {
            return "none";
        }
        int n = lossWindowsMs.size();
        return String.format("n=%d median %d p90 %d max %d (heartbeat timeout %d)", n, lossWindowsMs.get(n / 2),
                lossWindowsMs.get(Math.min(n - 1, n * 9 / 10)), lossWindowsMs.get(n - 1), HEARTBEAT_TIMEOUT_NANOS / MS);
    }

    private void fail() {
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder();
        b.append("multi-hop simulation '").append(sc.name()).append("' failed with seed ").append(seed)
                .append(" (replay: mvn -pl mesh-routing test -Dtest=MultiHopSimulationTest -Dweft.sim.seed=")
                .append(seed).append(") at ").append(now / MS).append(" ms simulated, phase ").append(phase)
                .append("; ").append(problems.size()).append(" problems, first ones:");
        for (String p : problems.subList(0, Math.min(20, problems.size()))) {
            b.append("\n  - ").append(p);
        }
        throw new AssertionError(b.toString());
    }

    /** Rendezvous scores for the simulated dialler's choice (any stable hash will do here). */
    private static final class Hash {
        static long rendezvous(String chooser, String candidate) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < chooser.length(); i++) {
                h = (h ^ chooser.charAt(i)) * 0x100000001b3L;
            }
            h = (h ^ 0x10000) * 0x100000001b3L;
            for (int i = 0; i < candidate.length(); i++) {
                h = (h ^ candidate.charAt(i)) * 0x100000001b3L;
            }
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            return h;
        }
    }
}
