package io.weft.routing.sim;

import io.weft.protocol.Topics;
import io.weft.routing.InterestEngine;
import io.weft.routing.InterestEntry;
import io.weft.routing.InterestSnapshot;
import io.weft.routing.MeshMessage;
import io.weft.routing.NodeId;
import io.weft.routing.Origin;
import io.weft.routing.Outgoing;
import io.weft.routing.RouteDecision;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deterministic, seeded simulation of a whole mesh: {@code sites x nodesPerSite} real
 * {@link InterestEngine}s over a {@link SimNetwork} that delays, reorders across links (FIFO per
 * link), loses messages and partitions sites, with a failure detector that reports crashes,
 * restarts (new incarnations) and partitions to each node after a random delay, as the membership
 * library would.
 *
 * <p>{@link #run()}: a fault phase (subscription churn, crashes and restarts, partitions, loss, and
 * events published and checked for at-most-once delivery), then faults stop and the mesh runs
 * until it is quiescent (no interest repair traffic for three gossip intervals, no membership
 * news, every node ready), within a bound. Then it checks that (a) every node's view of every
 * site peer and of every remote site's aggregate equals the ground truth, (b) events published
 * from random nodes and routed hop by hop with {@link InterestEngine#route} reach exactly the
 * matching subscribers, once, and each matched queue group exactly one member, with the preferred
 * placement, and (c) no event crosses a link whose receiver has no matching interest.
 *
 * <p>Everything random comes from the seed: the same seed replays the same run.
 */
final class MeshSim {
    static final long MS = 1_000_000L;
    static final long TICK_NANOS = 5 * MS;
    static final long GOSSIP_NANOS = 100 * MS;
    private static final long MEMBERSHIP_MIN_NANOS = 10 * MS;
    private static final long MEMBERSHIP_SPREAD_NANOS = 150 * MS;
    private static final int MAX_ENTRIES_PER_NODE = 8;
    private static final int SUBSCRIBED_PREFIXES = 10;
    private static final int PREFIXES = 12;
    private static final int HOT_PREFIXES = 3;
    private static final String[] GROUPS = {"g0", "g1", "g2"};

    /**
     * What to simulate.
     *
     * @param lossDuringFaults  probability that a message is lost while faults run
     * @param lossAfterFaults   probability that a message is lost while converging
     * @param churnOpsPerTick   subscribe/unsubscribe operations per tick during the fault phase
     * @param crashes           node crashes at random times of the fault phase (each node restarts
     *                          with a new incarnation 100..600 ms later)
     * @param partitions        site partitions, one after the other, each cutting a random set of
     *                          sites off the others for 200..600 ms
     * @param maxDeltaEntries   the engines' {@link InterestEngine.Config#maxDeltaEntries()}
     * @param maxOutboxPerPeer  the engines' {@link InterestEngine.Config#maxOutboxPerPeer()}
     * @param drainEveryTicks   how often a node's outbox is drained: 0 after every input (a prompt
     *                          adapter), n every n-th tick only (a slow one: outboxes fill up)
     */
    record Scenario(String name, int sites, int nodesPerSite, long faultNanos, double lossDuringFaults,
                    double lossAfterFaults, int churnOpsPerTick, int crashes, int partitions,
                    int eventsDuringFaults, int eventsAfter, long maxConvergeNanos, int maxDeltaEntries,
                    int maxOutboxPerPeer, int drainEveryTicks) {
        Scenario(String name, int sites, int nodesPerSite, long faultNanos, double lossDuringFaults,
                 double lossAfterFaults, int churnOpsPerTick, int crashes, int partitions,
                 int eventsDuringFaults, int eventsAfter, long maxConvergeNanos) {
            this(name, sites, nodesPerSite, faultNanos, lossDuringFaults, lossAfterFaults, churnOpsPerTick, crashes,
                    partitions, eventsDuringFaults, eventsAfter, maxConvergeNanos, 16, 4096, 0);
        }
    }

    /** One simulated process; a restart keeps the name and takes the next incarnation. */
    private static final class SimNode {
        final int index;
        final String name;
        final int site;
        long incarnation = 1;
        boolean up = true;
        long restartAtNanos = -1;
        long firstTickNanos;
        InterestEngine engine;
        /** Ground truth: local subscribers per entry. */
        final TreeMap<InterestEntry, Integer> subs = new TreeMap<>();
        /** What the failure detector has told this node: subject index to incarnation. */
        final Map<Integer, Long> view = new HashMap<>();

        SimNode(int index, String name, int site) {
            this.index = index;
            this.name = name;
            this.site = site;
        }
    }

    private final long seed;
    private final Scenario sc;
    private final SplittableRandom rnd;
    private final SimNetwork net;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byName = new HashMap<>();
    private final List<List<SimNode>> bySite = new ArrayList<>();
    private final List<String> siteNames = new ArrayList<>();
    private final int[] side;
    private final Map<String, BitSet> matchedTopics = new HashMap<>();
    private final List<String> topicUniverse = new ArrayList<>();
    private final Map<String, Integer> topicIndex = new HashMap<>();
    private final Map<String, Long> sentByType = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    private long now;
    private long epoch;
    private boolean partitioned;
    private long healAtNanos;
    private double loss;
    private long lastRepairNanos;
    private long dropped;
    private long noLink;
    private final Map<String, Long> noLinkByType = new TreeMap<>();
    private long eventsChecked;
    private long forwardsChecked;
    private long convergedAtNanos;
    private int crashes;
    private long tickCount;
    private int partitions;
    private final java.util.ArrayDeque<Long> crashTimes = new java.util.ArrayDeque<>();
    private final java.util.ArrayDeque<Long> partitionTimes = new java.util.ArrayDeque<>();
    private long churnOps;

    MeshSim(long seed, Scenario sc) {
        this.seed = seed;
        this.sc = sc;
        this.rnd = new SplittableRandom(seed);
        this.net = new SimNetwork(sc.sites() * sc.nodesPerSite(), rnd.split(), MS, 10 * MS, 0.03, 60 * MS);
        this.side = new int[sc.sites()];
        buildTopicUniverse();
        for (int s = 0; s < sc.sites(); s++) {
            String site = String.format("s%03d", s);
            siteNames.add(site);
            List<SimNode> members = new ArrayList<>();
            for (int i = 0; i < sc.nodesPerSite(); i++) {
                SimNode n = new SimNode(nodes.size(), site + "n" + i, s);
                nodes.add(n);
                byName.put(n.name, n);
                members.add(n);
            }
            bySite.add(members);
        }
    }

    /** Runs the scenario; returns a one-line summary, throws AssertionError naming the seed. */
    String run() {
        long wallStart = System.nanoTime();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        start();
        loss = sc.lossDuringFaults();
        while (now < sc.faultNanos()) {
            step(true);
        }
        stopFaults();
        long deadline = now + sc.maxConvergeNanos();
        while (!quiescent()) {
            if (now > deadline) {
                problems.add("not quiescent after " + sc.maxConvergeNanos() / MS + " ms of simulated time: "
                        + "last repair message at " + lastRepairNanos / MS + " ms, pending membership news "
                        + net.pendingMembership() + ", nodes not ready " + notReady());
                checkViews();
                fail();
            }
            step(false);
        }
        convergedAtNanos = now;
        checkViews();
        publishAndCheck(sc.eventsAfter(), true);
        fail();
        long wallMs = (System.nanoTime() - wallStart) / 1_000_000;
        long cpuMs = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
        return String.format("%s seed=%d: %d sites x %d nodes, faults %d ms (%d churn ops, %d crashes and "
                        + "restarts, %d partitions), converged at %d ms simulated, "
                        + "%d events checked (%d forwards), messages %s, dropped %d (no link %d), %d ms wall, %d ms cpu",
                sc.name(), seed, sc.sites(), sc.nodesPerSite(), sc.faultNanos() / MS, churnOps, crashes, partitions,
                convergedAtNanos / MS,
                eventsChecked, forwardsChecked, sentByType, dropped, noLink, wallMs, cpuMs) + " no link by type " + noLinkByType + " " + engineStats();
    }

    // ------------------------------------------------------------------ phases

    private void start() {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < sc.crashes(); i++) {
            times.add(rnd.nextLong(sc.faultNanos()));
        }
        times.sort(null);
        crashTimes.addAll(times);
        long window = sc.faultNanos() / Math.max(1, sc.partitions());
        for (int i = 0; i < sc.partitions(); i++) {
            partitionTimes.add(i * window + rnd.nextLong(Math.max(1, window / 3)));
        }
        for (SimNode n : nodes) {
            boot(n);
        }
    }

    private void boot(SimNode n) {
        n.engine = new InterestEngine(new NodeId(n.name, siteNames.get(n.site), n.incarnation),
                new InterestEngine.Config(GOSSIP_NANOS, sc.maxDeltaEntries(), sc.maxOutboxPerPeer(), 256),
                new SplittableRandom(seed * 31 + n.index * 1_000_003L + n.incarnation));
        n.view.clear();
        n.subs.clear();
        n.firstTickNanos = now + rnd.nextLong(GOSSIP_NANOS);
        // Joining the membership group hands the node the current view at once (JGroups'
        // connect() returns with it); the others learn about the node later, each on its own.
        for (SimNode o : nodes) {
            if (o != n && reachable(n, o)) {
                n.view.put(o.index, o.incarnation);
                n.engine.peerUp(new NodeId(o.name, siteNames.get(o.site), o.incarnation));
            }
        }
        int initial = 1 + rnd.nextInt(5);
        for (int i = 0; i < initial; i++) {
            subscribe(n, randomEntry());
        }
    }

    private void step(boolean faults) {
        long until = now + TICK_NANOS;
        for (SimNetwork.Event e = net.poll(until); e != null; e = net.poll(until)) {
            now = e.timeNanos();
            if (e.kind() == SimNetwork.Event.Kind.DELIVER) {
                deliver(e);
            } else {
                onMembership(e);
            }
        }
        now = until;
        if (faults) {
            injectFaults();
            for (int i = 0; i < sc.churnOpsPerTick(); i++) {
                churn();
            }
            if (sc.eventsDuringFaults() > 0 && rnd.nextInt(Math.max(1, ticks(sc.faultNanos()) / sc.eventsDuringFaults())) == 0) {
                publishAndCheck(1, false);
            }
        }
        tickCount++;
        for (SimNode n : nodes) {
            if (n.up && now >= n.firstTickNanos) {
                n.engine.tick(now);
                if (sc.drainEveryTicks() == 0 || tickCount % sc.drainEveryTicks() == 0) {
                    drain(n);
                }
            }
        }
    }

    private void injectFaults() {
        for (SimNode n : nodes) {
            if (!n.up && n.restartAtNanos >= 0 && now >= n.restartAtNanos) {
                restart(n);
            }
        }
        while (!crashTimes.isEmpty() && crashTimes.peek() <= now) {
            crashTimes.poll();
            SimNode n = nodes.get(rnd.nextInt(nodes.size()));
            if (n.up) {
                crash(n, now + 100 * MS + rnd.nextLong(500 * MS));
            }
        }
        if (partitioned && now >= healAtNanos) {
            heal();
        } else if (!partitioned && !partitionTimes.isEmpty() && partitionTimes.peek() <= now) {
            partitionTimes.poll();
            partition(now + 200 * MS + rnd.nextLong(400 * MS));
        }
    }

    private void stopFaults() {
        if (partitioned) {
            heal();
        }
        for (SimNode n : nodes) {
            if (!n.up) {
                restart(n);
            }
        }
        loss = sc.lossAfterFaults();
        lastRepairNanos = now;
    }

    /**
     * Quiescent: no interest repair message sent for a while, no membership news pending, every
     * node ready. "A while" is three gossip intervals on a lossless network; with loss a stale copy
     * may have its question (or the answer) lost several rounds in a row, so the window grows
     * until that chance is below one in a billion.
     */
    private boolean quiescent() {
        return now - lastRepairNanos >= quietIntervals() * GOSSIP_NANOS && net.pendingMembership() == 0
                && notReady().isEmpty();
    }

    private int quietIntervals() {
        double lossPerRound = 1 - (1 - loss) * (1 - loss); // the question or its answer
        if (lossPerRound <= 0) {
            return 3;
        }
        return Math.max(3, (int) Math.ceil(Math.log(1e-9) / Math.log(lossPerRound)));
    }

    private List<String> notReady() {
        List<String> out = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.up && !n.engine.ready() && out.size() < 10) {
                out.add(n.name);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ faults and membership

    private void crash(SimNode n, long restartAt) {
        crashes++;
        n.up = false;
        n.restartAtNanos = restartAt;
        for (SimNode o : nodes) {
            if (o != n && o.up) {
                scheduleMembership(o, n);
            }
        }
    }

    private void restart(SimNode n) {
        n.up = true;
        n.restartAtNanos = -1;
        n.incarnation++;
        boot(n);
        drainIfPrompt(n);
        for (SimNode o : nodes) {
            if (o != n && o.up) {
                scheduleMembership(o, n);
            }
        }
    }

    private void partition(long healAt) {
        int cut = 1 + rnd.nextInt(Math.max(1, sc.sites() / 2));
        for (int k = 0; k < cut; k++) {
            side[rnd.nextInt(sc.sites())] = 1;
        }
        partitioned = true;
        partitions++;
        healAtNanos = healAt;
        epoch++;
        scheduleAcrossSides();
    }

    private void heal() {
        scheduleAcrossSides();
        java.util.Arrays.fill(side, 0);
        partitioned = false;
        epoch++;
    }

    /** The failure detector will look again at every pair of nodes on different sides. */
    private void scheduleAcrossSides() {
        for (SimNode o : nodes) {
            for (SimNode s : nodes) {
                if (side[o.site] != side[s.site] && o.up && s.up) {
                    scheduleMembership(o, s);
                }
            }
        }
    }

    private void scheduleMembership(SimNode observer, SimNode subject) {
        net.membership(now + MEMBERSHIP_MIN_NANOS + rnd.nextLong(MEMBERSHIP_SPREAD_NANOS), observer.index,
                observer.incarnation, subject.index);
    }

    /** The failure detector tells {@code observer} the truth about {@code subject}, if it changed. */
    private void onMembership(SimNetwork.Event e) {
        SimNode o = nodes.get(e.from());
        if (!o.up || o.incarnation != e.fromIncarnation()) {
            return;
        }
        SimNode s = nodes.get(e.to());
        Long truth = reachable(o, s) ? s.incarnation : null;
        Long told = o.view.get(s.index);
        if (Objects.equals(truth, told)) {
            return;
        }
        if (truth == null) {
            o.view.remove(s.index);
            o.engine.peerDown(s.name);
        } else {
            o.view.put(s.index, truth);
            o.engine.peerUp(new NodeId(s.name, siteNames.get(s.site), truth));
        }
        drainIfPrompt(o);
    }

    private boolean reachable(SimNode a, SimNode b) {
        return a.up && b.up && side[a.site] == side[b.site];
    }

    // ------------------------------------------------------------------ messages

    /** Drains after an input, unless the adapter is a slow one that drains on some ticks only. */
    private void drainIfPrompt(SimNode n) {
        if (sc.drainEveryTicks() == 0) {
            drain(n);
        }
    }

    private void drain(SimNode from) {
        for (Outgoing o : from.engine.drainOutbox()) {
            SimNode to = byName.get(o.toNode());
            if (to == null) {
                problems.add(from.name + " sent to unknown node " + o.toNode() + ": " + o.message());
                continue;
            }
            MeshMessage m = o.message();
            sentByType.merge(m.getClass().getSimpleName(), 1L, Long::sum);
            if (isRepair(m)) {
                lastRepairNanos = now;
            }
            if (!linkExists(from, to)) {
                noLink++;
                noLinkByType.merge(m.getClass().getSimpleName(), 1L, Long::sum);
                continue;
            }
            if (!reachable(from, to) || rnd.nextDouble() < loss) {
                dropped++;
                continue;
            }
            net.send(now, from.index, from.incarnation, to.index, to.incarnation, epoch, m);
        }
    }

    private static boolean isRepair(MeshMessage m) {
        return !(m instanceof MeshMessage.NodeDigest) && !(m instanceof MeshMessage.SiteDigest);
    }

    /**
     * Is there a link to carry a message from {@code from} to {@code to}, as the adapter keeps
     * them: route links between all nodes of a site, and a gateway link from every node to its
     * gateway peer in each other site, usable both ways (an answer goes back over the link the
     * question came on). A message with no link is dropped, as the adapter would: it happens when
     * a gateway was re-chosen between a question and its answer.
     */
    private boolean linkExists(SimNode from, SimNode to) {
        if (from.site == to.site) {
            return true;
        }
        return to.name.equals(from.engine.gatewayPeer(siteNames.get(to.site)))
                || (to.up && from.name.equals(to.engine.gatewayPeer(siteNames.get(from.site))));
    }

    private void deliver(SimNetwork.Event e) {
        SimNode from = nodes.get(e.from());
        SimNode to = nodes.get(e.to());
        boolean viaGateway = from.site != to.site;
        if (from.incarnation != e.fromIncarnation() || to.incarnation != e.toIncarnation() || !reachable(from, to)
                || (viaGateway && e.epoch() != epoch)) {
            dropped++; // the link broke while the message was in flight
            return;
        }
        to.engine.onMessage(from.name, viaGateway, e.message(), now);
        drainIfPrompt(to);
    }

    // ------------------------------------------------------------------ subscriptions

    private void churn() {
        SimNode n = nodes.get(rnd.nextInt(nodes.size()));
        if (!n.up) {
            return;
        }
        churnOps++;
        if (!n.subs.isEmpty() && (n.subs.size() >= MAX_ENTRIES_PER_NODE || rnd.nextInt(100) < 45)) {
            List<InterestEntry> held = new ArrayList<>(n.subs.keySet());
            unsubscribe(n, held.get(rnd.nextInt(held.size())));
        } else {
            subscribe(n, randomEntry());
        }
    }

    private void subscribe(SimNode n, InterestEntry e) {
        n.subs.merge(e, 1, Integer::sum);
        n.engine.localSubscribe(e);
    }

    private void unsubscribe(SimNode n, InterestEntry e) {
        int left = n.subs.get(e) - 1;
        if (left == 0) {
            n.subs.remove(e);
        } else {
            n.subs.put(e, left);
        }
        n.engine.localUnsubscribe(e);
    }

    /**
     * A random entry. Queue group entries use the few "hot" prefixes, so that a group often has
     * members on the publisher's node, in its site and in other sites at once: the cases the
     * placement rules are about.
     */
    private InterestEntry randomEntry() {
        if (rnd.nextInt(100) < 30) {
            String a = "t" + rnd.nextInt(HOT_PREFIXES);
            String pattern = switch (rnd.nextInt(4)) {
                case 0 -> a + ".>";
                case 1 -> a + ".x" + rnd.nextInt(4) + ".*";
                case 2 -> a + ".*.y" + rnd.nextInt(4);
                default -> a + ".x" + rnd.nextInt(4) + ".y" + rnd.nextInt(4);
            };
            return new InterestEntry(pattern, GROUPS[rnd.nextInt(GROUPS.length)]);
        }
        String a = "t" + rnd.nextInt(SUBSCRIBED_PREFIXES);
        String b = "x" + rnd.nextInt(4);
        String c = "y" + rnd.nextInt(4);
        int kind = rnd.nextInt(100);
        String pattern;
        if (kind < 35) {
            pattern = a + "." + b + "." + c;
        } else if (kind < 50) {
            pattern = a + "." + b + ".*";
        } else if (kind < 65) {
            pattern = a + ".*." + c;
        } else if (kind < 75) {
            pattern = a + "." + b + ".>";
        } else if (kind < 83) {
            pattern = a + ".>";
        } else if (kind < 90) {
            pattern = "*." + b + "." + c;
        } else {
            pattern = a + "." + b;
        }
        return InterestEntry.plain(pattern);
    }

    // ------------------------------------------------------------------ ground truth

    /**
     * Topics of 1..4 tokens over the tokens patterns use plus {@code zz} (standing for any other
     * token): a pattern's set of matched topics here decides covering exactly, independently of
     * the engine's own covering code.
     */
    private void buildTopicUniverse() {
        List<List<String>> alphabet = new ArrayList<>();
        List<String> first = new ArrayList<>();
        for (int i = 0; i < PREFIXES; i++) {
            first.add("t" + i);
        }
        first.add("zz");
        alphabet.add(first);
        alphabet.add(List.of("x0", "x1", "x2", "x3", "zz"));
        alphabet.add(List.of("y0", "y1", "y2", "y3", "zz"));
        alphabet.add(List.of("zz"));
        List<String> level = List.of("");
        for (List<String> tokens : alphabet) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String t : tokens) {
                    next.add(prefix.isEmpty() ? t : prefix + "." + t);
                }
            }
            for (String t : next) {
                topicIndex.put(t, topicUniverse.size());
                topicUniverse.add(t);
            }
            level = next;
        }
    }

    private BitSet matched(String pattern) {
        return matchedTopics.computeIfAbsent(pattern, p -> {
            BitSet bits = new BitSet(topicUniverse.size());
            for (int i = 0; i < topicUniverse.size(); i++) {
                if (Topics.matches(p, topicUniverse.get(i))) {
                    bits.set(i);
                }
            }
            return bits;
        });
    }

    private boolean coversRef(String p, String q) {
        BitSet qs = (BitSet) matched(q).clone();
        qs.andNot(matched(p));
        return qs.isEmpty();
    }

    private List<InterestEntry> truthAggregate(int site) {
        Set<InterestEntry> union = new TreeSet<>();
        for (SimNode n : bySite.get(site)) {
            if (n.up) {
                union.addAll(n.subs.keySet());
            }
        }
        List<InterestEntry> out = new ArrayList<>();
        for (InterestEntry e : union) {
            boolean covered = false;
            for (InterestEntry o : union) {
                if (!o.equals(e) && Objects.equals(o.queueGroup(), e.queueGroup()) && coversRef(o.pattern(), e.pattern())) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                out.add(e);
            }
        }
        return out;
    }

    private boolean plainMatch(SimNode n, String topic) {
        int t = topicIndex.get(topic);
        for (InterestEntry e : n.subs.keySet()) {
            if (e.queueGroup() == null && matched(e.pattern()).get(t)) {
                return true;
            }
        }
        return false;
    }

    private Set<String> groupsMatched(SimNode n, String topic) {
        int t = topicIndex.get(topic);
        Set<String> groups = new TreeSet<>();
        for (InterestEntry e : n.subs.keySet()) {
            if (e.queueGroup() != null && matched(e.pattern()).get(t)) {
                groups.add(e.queueGroup());
            }
        }
        return groups;
    }

    // ------------------------------------------------------------------ check (a): views

    private void checkViews() {
        List<List<InterestEntry>> aggregates = new ArrayList<>();
        for (int s = 0; s < sc.sites(); s++) {
            aggregates.add(truthAggregate(s));
        }
        for (SimNode n : nodes) {
            if (!n.up || problems.size() > 30) {
                continue;
            }
            InterestSnapshot snap = n.engine.snapshot();
            expect(List.copyOf(n.subs.keySet()), snap.entries(), n.name + " own entries");
            Map<String, InterestSnapshot.Peer> peers = new TreeMap<>();
            snap.peers().forEach(p -> peers.put(p.node(), p));
            Set<String> livePeers = new TreeSet<>();
            for (SimNode p : bySite.get(n.site)) {
                if (p != n && p.up) {
                    livePeers.add(p.name);
                    InterestSnapshot.Peer view = peers.get(p.name);
                    if (view == null) {
                        continue;
                    }
                    expect(List.copyOf(p.subs.keySet()), view.entries(), n.name + "'s view of " + p.name);
                    expect(p.incarnation, view.incarnation(), n.name + "'s incarnation of " + p.name);
                }
            }
            expect(livePeers, peers.keySet(), n.name + "'s live site peers");
            expect(aggregates.get(n.site), n.engine.siteAggregate(), n.name + "'s view of its own site aggregate");
            Set<String> liveSites = new TreeSet<>();
            for (int s = 0; s < sc.sites(); s++) {
                if (s != n.site && bySite.get(s).stream().anyMatch(x -> x.up)) {
                    liveSites.add(siteNames.get(s));
                }
            }
            Map<String, InterestSnapshot.Site> sites = new TreeMap<>();
            snap.sites().forEach(s -> sites.put(s.site(), s));
            expect(liveSites, sites.keySet(), n.name + "'s known remote sites");
            for (InterestSnapshot.Site s : snap.sites()) {
                int index = siteNames.indexOf(s.site());
                expect(aggregates.get(index), s.entries(), n.name + "'s view of site " + s.site());
            }
            if (!snap.ready()) {
                problems.add(n.name + " is not ready");
            }
        }
    }

    private void expect(Object expected, Object actual, String what) {
        if (!expected.equals(actual) && problems.size() < 50) {
            problems.add(what + ": expected " + expected + " but was " + actual);
        }
    }

    // ------------------------------------------------------------------ checks (b) and (c): events

    private record Hop(SimNode node, Origin origin, Set<String> assigned) {
    }

    /**
     * Publishes {@code count} events from random live nodes and routes each hop by hop. Always
     * checks that no node receives an event twice; when {@code exact} (after convergence) also
     * checks exact delivery, queue group placement and that every link crossed leads to interest.
     */
    private void publishAndCheck(int count, boolean exact) {
        for (int i = 0; i < count && problems.size() < 30; i++) {
            SimNode publisher = nodes.get(rnd.nextInt(nodes.size()));
            if (!publisher.up) {
                continue;
            }
            String topic = randomTopic();
            routeEvent(publisher, topic, exact);
            eventsChecked++;
        }
    }

    private String randomTopic() {
        String a = "t" + (rnd.nextBoolean() ? rnd.nextInt(HOT_PREFIXES) : rnd.nextInt(PREFIXES));
        String b = "x" + rnd.nextInt(4);
        return rnd.nextInt(10) == 0 ? a + "." + b : a + "." + b + ".y" + rnd.nextInt(4);
    }

    private void routeEvent(SimNode publisher, String topic, boolean exact) {
        String ev = "event '" + topic + "' from " + publisher.name;
        Map<String, Integer> received = new HashMap<>();
        Set<String> plainDelivered = new TreeSet<>();
        Map<String, List<SimNode>> groupDelivered = new TreeMap<>();
        ArrayDeque<Hop> hops = new ArrayDeque<>();
        hops.add(new Hop(publisher, Origin.LOCAL, Set.of()));
        while (!hops.isEmpty()) {
            Hop hop = hops.poll();
            SimNode n = hop.node();
            if (received.merge(n.name, 1, Integer::sum) > 1) {
                problems.add(ev + ": " + n.name + " received it twice");
                return;
            }
            RouteDecision d = n.engine.route(topic, hop.origin(), hop.assigned(), groupsMatched(n, topic));
            if (d.deliverLocal()) {
                if (exact && !plainMatch(n, topic)) {
                    problems.add(ev + ": " + n.name + " delivers locally with no matching plain subscriber");
                }
                plainDelivered.add(n.name);
            }
            for (String g : d.localGroups()) {
                if (exact && !groupsMatched(n, topic).contains(g)) {
                    problems.add(ev + ": " + n.name + " delivers group " + g + " with no local member");
                }
                groupDelivered.computeIfAbsent(g, k -> new ArrayList<>()).add(n);
            }
            if (exact && !d.unroutableGroups().isEmpty()) {
                problems.add(ev + ": " + n.name + " cannot place groups " + d.unroutableGroups());
            }
            for (Map.Entry<String, Set<String>> f : d.routeForwards().entrySet()) {
                SimNode to = byName.get(f.getKey());
                if (hop.origin() == Origin.ROUTE || to.site != n.site || (exact && !to.up)) {
                    problems.add(ev + ": " + n.name + " (" + hop.origin() + ") forwards over a route to " + to.name);
                    continue;
                }
                if (!reachable(n, to)) {
                    continue; // faults: the link is down, the event is lost on it
                }
                if (exact) {
                    checkRouteInterest(ev, n, to, topic, f.getValue());
                }
                hops.add(new Hop(to, Origin.ROUTE, f.getValue()));
            }
            for (Map.Entry<String, Set<String>> f : d.gatewayForwards().entrySet()) {
                SimNode gw = byName.get(d.gatewayNodes().get(f.getKey()));
                if (hop.origin() != Origin.LOCAL || gw == null || !siteNames.get(gw.site).equals(f.getKey())) {
                    problems.add(ev + ": " + n.name + " (" + hop.origin() + ") forwards to site " + f.getKey()
                            + " via " + d.gatewayNodes().get(f.getKey()));
                    continue;
                }
                if (!reachable(n, gw)) {
                    if (exact) {
                        problems.add(ev + ": " + n.name + " forwards to unreachable gateway " + gw.name);
                    }
                    continue;
                }
                if (exact) {
                    checkSiteInterest(ev, n, gw, topic, f.getValue());
                }
                hops.add(new Hop(gw, Origin.GATEWAY, f.getValue()));
            }
        }
        if (exact) {
            checkDeliveries(ev, publisher, topic, plainDelivered, groupDelivered);
        }
    }

    /** Invariant 4 on a route link: the receiver wants the event, plain or for each group it gets. */
    private void checkRouteInterest(String ev, SimNode from, SimNode to, String topic, Set<String> groups) {
        forwardsChecked++;
        boolean wanted = (plainMatch(to, topic) || !groups.isEmpty()) && groupsMatched(to, topic).containsAll(groups);
        if (!wanted) {
            problems.add(ev + ": " + from.name + " forwards to " + to.name + " (groups " + groups
                    + ") which has no matching interest");
        }
    }

    /** Invariant 4 on a gateway link: the receiving site wants the event, plain or for each group. */
    private void checkSiteInterest(String ev, SimNode from, SimNode gw, String topic, Set<String> groups) {
        forwardsChecked++;
        boolean plain = false;
        Set<String> siteGroups = new TreeSet<>();
        for (SimNode m : bySite.get(gw.site)) {
            if (m.up) {
                plain |= plainMatch(m, topic);
                siteGroups.addAll(groupsMatched(m, topic));
            }
        }
        if (!((plain || !groups.isEmpty()) && siteGroups.containsAll(groups))) {
            problems.add(ev + ": " + from.name + " forwards to site " + siteNames.get(gw.site) + " (groups "
                    + groups + ") which has no matching interest");
        }
    }

    private void checkDeliveries(String ev, SimNode publisher, String topic, Set<String> plainDelivered,
                                 Map<String, List<SimNode>> groupDelivered) {
        Set<String> expectedPlain = new TreeSet<>();
        Map<String, List<SimNode>> members = new TreeMap<>();
        for (SimNode n : nodes) {
            if (!n.up) {
                continue;
            }
            if (plainMatch(n, topic)) {
                expectedPlain.add(n.name);
            }
            for (String g : groupsMatched(n, topic)) {
                members.computeIfAbsent(g, k -> new ArrayList<>()).add(n);
            }
        }
        expect(expectedPlain, plainDelivered, ev + ": plain deliveries");
        expect(members.keySet(), groupDelivered.keySet(), ev + ": groups delivered");
        for (Map.Entry<String, List<SimNode>> g : groupDelivered.entrySet()) {
            List<SimNode> got = g.getValue();
            if (got.size() != 1) {
                problems.add(ev + ": group " + g.getKey() + " delivered " + got.size() + " times");
                continue;
            }
            List<SimNode> candidates = members.getOrDefault(g.getKey(), List.of());
            SimNode chosen = got.get(0);
            boolean publisherHasIt = candidates.contains(publisher);
            boolean siteHasIt = candidates.stream().anyMatch(m -> m.site == publisher.site);
            if ((publisherHasIt && chosen != publisher) || (siteHasIt && chosen.site != publisher.site)) {
                problems.add(ev + ": group " + g.getKey() + " went to " + chosen.name
                        + " though a nearer member exists");
            }
        }
    }

    // ------------------------------------------------------------------ reporting

    private String engineStats() {
        long[] sum = new long[6];
        for (SimNode n : nodes) {
            InterestEngine.Stats st = n.engine.stats();
            sum[0] += st.outboxDropped();
            sum[1] += st.deltasReplaced();
            sum[2] += st.ignoredMessages();
            sum[3] += st.nodePullsSent();
            sum[4] += st.siteFullsAsked();
            sum[5] += st.siteUpdatesApplied();
        }
        return String.format("engines (live incarnations): outboxDropped %d, deltasReplaced %d, ignored %d, "
                + "nodePulls %d, siteFullsAsked %d, siteUpdatesApplied %d", sum[0], sum[1], sum[2], sum[3], sum[4], sum[5]);
    }

    private static int ticks(long nanos) {
        return (int) (nanos / TICK_NANOS);
    }

    private void fail() {
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder();
        b.append("mesh simulation '").append(sc.name()).append("' failed with seed ").append(seed)
                .append(" (replay: mvn -pl mesh-routing test -Dtest=MeshSimulationTest -Dweft.sim.seed=").append(seed)
                .append(") at ").append(now / MS)
                .append(" ms simulated; ").append(problems.size()).append(" problems, first ones:");
        for (String p : problems.subList(0, Math.min(20, problems.size()))) {
            b.append("\n  - ").append(p);
        }
        throw new AssertionError(b.toString());
    }
}
