package io.weft.routing.sim;

import io.weft.protocol.Topics;
import io.weft.routing.FilterVerdicts;
import io.weft.routing.InterestEngine;
import io.weft.routing.InterestEntry;
import io.weft.routing.InterestSnapshot;
import io.weft.routing.MeshMessage;
import io.weft.routing.NodeId;
import io.weft.routing.Origin;
import io.weft.routing.Outgoing;
import io.weft.routing.RouteDecision;
import io.weft.routing.filter.Attributes;
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
 * site peer and of every remote site's aggregate equals the ground truth, and the digests agree,
 * (b) events published from random nodes and routed hop by hop with {@link InterestEngine#route}
 * reach exactly the matching subscribers, once, and each matched queue group exactly one member,
 * with the preferred placement, and (c) no event crosses a link unless someone downstream wants
 * it, and the nodes it reaches are exactly those an oracle computes from the ground truth.
 *
 * <p>Filters ({@link Scenario#filteredPercent()}): plain subscriptions may carry a filter of
 * {@link SimFilters} and events carry attributes ({@link SimEvent}). Each node routes as the broker
 * does: one {@link FilterVerdicts} per event, shared by its local subscribers and its links, skips a
 * destination of the decision's route or gateway conditions when none of its filters accepts the
 * event, and delivers to a local subscriber only when its filter accepts it. The oracle decides
 * "wants" with the reference predicates of {@link SimFilters}, and computes again with filters
 * ignored what routing on patterns alone would send, to report the link crossings filters saved.
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
     * @param filteredPercent   share of plain subscriptions that carry a filter of {@link SimFilters},
     *                          0..100 (queue groups never do: the broker refuses it). At 0 the run
     *                          draws no filters, so older seeds replay as they did
     */
    record Scenario(String name, int sites, int nodesPerSite, long faultNanos, double lossDuringFaults,
                    double lossAfterFaults, int churnOpsPerTick, int crashes, int partitions,
                    int eventsDuringFaults, int eventsAfter, long maxConvergeNanos, int maxDeltaEntries,
                    int maxOutboxPerPeer, int drainEveryTicks, int filteredPercent) {
        Scenario {
            if (filteredPercent < 0 || filteredPercent > 100) {
                throw new IllegalArgumentException("filteredPercent must be 0..100, got " + filteredPercent);
            }
        }

        Scenario(String name, int sites, int nodesPerSite, long faultNanos, double lossDuringFaults,
                 double lossAfterFaults, int churnOpsPerTick, int crashes, int partitions,
                 int eventsDuringFaults, int eventsAfter, long maxConvergeNanos, int maxDeltaEntries,
                 int maxOutboxPerPeer, int drainEveryTicks) {
            this(name, sites, nodesPerSite, faultNanos, lossDuringFaults, lossAfterFaults, churnOpsPerTick, crashes,
                    partitions, eventsDuringFaults, eventsAfter, maxConvergeNanos, maxDeltaEntries, maxOutboxPerPeer,
                    drainEveryTicks, 0);
        }

        Scenario(String name, int sites, int nodesPerSite, long faultNanos, double lossDuringFaults,
                 double lossAfterFaults, int churnOpsPerTick, int crashes, int partitions,
                 int eventsDuringFaults, int eventsAfter, long maxConvergeNanos) {
            this(name, sites, nodesPerSite, faultNanos, lossDuringFaults, lossAfterFaults, churnOpsPerTick, crashes,
                    partitions, eventsDuringFaults, eventsAfter, maxConvergeNanos, 16, 4096, 0);
        }

        /** The same scenario, with {@code percent} of the plain subscriptions filtered. */
        Scenario withFilters(int percent) {
            return new Scenario(name, sites, nodesPerSite, faultNanos, lossDuringFaults, lossAfterFaults,
                    churnOpsPerTick, crashes, partitions, eventsDuringFaults, eventsAfter, maxConvergeNanos,
                    maxDeltaEntries, maxOutboxPerPeer, drainEveryTicks, percent);
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
    /** Event attributes come from their own generator, so that they leave the other draws unchanged. */
    private final SplittableRandom eventRnd;
    private final SimNetwork<MeshMessage> net;
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
    private final Counts counts = new Counts();
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
        this.eventRnd = new SplittableRandom(seed ^ 0x5eed_f11e_7e4dL);
        this.net = new SimNetwork<>(sc.sites() * sc.nodesPerSite(), rnd.split(), MS, 10 * MS, 0.03, 60 * MS);
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
                eventsChecked, forwardsChecked, sentByType, dropped, noLink, wallMs, cpuMs) + " no link by type " + noLinkByType + " " + engineStats()
                + "; " + linkStats();
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
        for (SimNetwork.Event<MeshMessage> e = net.poll(until); e != null; e = net.poll(until)) {
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
    private void onMembership(SimNetwork.Event<MeshMessage> e) {
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

    private void deliver(SimNetwork.Event<MeshMessage> e) {
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
     * placement rules are about. Plain entries may carry a filter ({@link Scenario#filteredPercent()}).
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
        if (sc.filteredPercent() > 0 && rnd.nextInt(100) < sc.filteredPercent()) {
            return new InterestEntry(pattern, null, SimFilters.random(rnd));
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

    /**
     * The site's aggregate, by the rule of docs/mesh.md: an entry is subsumed by another of its group
     * whose pattern covers its own and whose filter lets through whatever its own does, that is no
     * filter at all or the same one (filters are compared by identity, not by what they accept).
     */
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
                if (!o.equals(e) && Objects.equals(o.queueGroup(), e.queueGroup()) && coversRef(o.pattern(), e.pattern())
                        && (o.filter() == null || o.filter().equals(e.filter()))) {
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

    /** Whether a plain subscriber of {@code n} wants the event: its pattern matches and its filter, if any, accepts. */
    private boolean accepting(SimNode n, SimEvent event) {
        int t = topicIndex.get(event.topic());
        for (InterestEntry e : n.subs.keySet()) {
            if (e.queueGroup() == null && matched(e.pattern()).get(t) && SimFilters.accepts(e.filter(), event)) {
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
                SimNode member = firstLive(index);
                if (member != null) {
                    expect(hex(member.engine.siteDigest()), s.digest(), n.name + "'s digest of site " + s.site()
                            + " (as " + member.name + " computes it)");
                }
            }
            expect(hex(firstLive(n.site).engine.siteDigest()), snap.siteDigest(),
                    n.name + "'s digest of its own site (as " + firstLive(n.site).name + " computes it)");
            if (!snap.ready()) {
                problems.add(n.name + " is not ready");
            }
        }
    }

    private SimNode firstLive(int site) {
        for (SimNode m : bySite.get(site)) {
            if (m.up) {
                return m;
            }
        }
        return null;
    }

    private static String hex(long digest) {
        return String.format("%016x", digest);
    }

    private void expect(Object expected, Object actual, String what) {
        if (!expected.equals(actual) && problems.size() < 50) {
            problems.add(what + ": expected " + expected + " but was " + actual);
        }
    }

    // ------------------------------------------------------------------ checks (b) and (c): events

    private record Hop(SimNode node, Origin origin, Set<String> assigned) {
    }

    /** One event on its way through the mesh, and what happened to it so far. */
    private static final class Trace {
        final SimEvent event;
        final Attributes attributes;
        final String ev;
        final boolean exact;
        final ArrayDeque<Hop> hops = new ArrayDeque<>();
        final Map<String, Integer> received = new TreeMap<>();
        /** Local plain subscribers reached, as "node entry", to deliveries (one per subscriber of the entry). */
        final Map<String, Integer> delivered = new TreeMap<>();
        final Map<String, List<SimNode>> groupDelivered = new TreeMap<>();
        int routeCrossings;
        int gatewayCrossings;
        /** Destinations of a decision skipped because none of their filters accepts the event. */
        int skipped;
        int filterEvaluations;

        Trace(SimEvent event, String ev, boolean exact) {
            this.event = event;
            this.attributes = event.attributes();
            this.ev = ev;
            this.exact = exact;
        }
    }

    /** Totals over the events checked after convergence, for the summary. */
    private static final class Counts {
        long events;
        long deliveries;
        long routeCrossings;
        long gatewayCrossings;
        long patternOnlyCrossings;
        long skipped;
        long filterEvaluations;

        long crossings() {
            return routeCrossings + gatewayCrossings;
        }
    }

    /**
     * Publishes {@code count} events from random live nodes and routes each hop by hop. Always
     * checks that no node receives an event twice; when {@code exact} (after convergence) also
     * checks exact delivery, queue group placement, that every link crossed leads to interest and
     * that the nodes reached are exactly those the oracle names.
     */
    private void publishAndCheck(int count, boolean exact) {
        for (int i = 0; i < count && problems.size() < 30; i++) {
            SimNode publisher = nodes.get(rnd.nextInt(nodes.size()));
            if (!publisher.up) {
                continue;
            }
            String topic = randomTopic();
            routeEvent(publisher, SimEvent.random(topic, eventsChecked, eventRnd), exact);
            eventsChecked++;
        }
    }

    private String randomTopic() {
        String a = "t" + (rnd.nextBoolean() ? rnd.nextInt(HOT_PREFIXES) : rnd.nextInt(PREFIXES));
        String b = "x" + rnd.nextInt(4);
        return rnd.nextInt(10) == 0 ? a + "." + b : a + "." + b + ".y" + rnd.nextInt(4);
    }

    private void routeEvent(SimNode publisher, SimEvent event, boolean exact) {
        Trace t = new Trace(event, "event " + event + " from " + publisher.name, exact);
        t.hops.add(new Hop(publisher, Origin.LOCAL, Set.of()));
        while (!t.hops.isEmpty()) {
            Hop hop = t.hops.poll();
            if (t.received.merge(hop.node().name, 1, Integer::sum) > 1) {
                problems.add(t.ev + ": " + hop.node().name + " received it twice");
                return;
            }
            visit(t, hop);
        }
        if (exact) {
            checkDeliveries(t, publisher);
            checkCrossings(t, publisher);
        }
    }

    /**
     * What a node does with the event, as the broker's {@code Router} and {@code MeshNode.forward} do:
     * one {@link FilterVerdicts} for the event on this node, shared by its local subscribers and its
     * links, so each distinct filter is evaluated once per event per node.
     */
    private void visit(Trace t, Hop hop) {
        SimNode n = hop.node();
        String topic = t.event.topic();
        FilterVerdicts verdicts = new FilterVerdicts(t.attributes);
        RouteDecision d = n.engine.route(topic, hop.origin(), hop.assigned(), groupsMatched(n, topic));
        if (d.deliverLocal()) {
            if (t.exact && !plainMatch(n, topic)) {
                problems.add(t.ev + ": " + n.name + " delivers locally with no matching plain subscriber");
            }
            deliverLocally(t, n, verdicts);
        }
        for (String g : d.localGroups()) {
            if (t.exact && !groupsMatched(n, topic).contains(g)) {
                problems.add(t.ev + ": " + n.name + " delivers group " + g + " with no local member");
            }
            t.groupDelivered.computeIfAbsent(g, k -> new ArrayList<>()).add(n);
        }
        if (t.exact && !d.unroutableGroups().isEmpty()) {
            problems.add(t.ev + ": " + n.name + " cannot place groups " + d.unroutableGroups());
        }
        forwardOverRoutes(t, hop, d, verdicts);
        forwardToSites(t, hop, d, verdicts);
        t.filterEvaluations += verdicts.evaluated();
    }

    /** Hands the event to each local plain subscriber whose pattern matches and whose filter, if any, accepts it. */
    private void deliverLocally(Trace t, SimNode n, FilterVerdicts verdicts) {
        int topic = topicIndex.get(t.event.topic());
        for (Map.Entry<InterestEntry, Integer> s : n.subs.entrySet()) {
            InterestEntry e = s.getKey();
            if (e.queueGroup() == null && matched(e.pattern()).get(topic)
                    && (e.filter() == null || verdicts.accepts(e.filter()))) {
                t.delivered.merge(n.name + " " + e, s.getValue(), Integer::sum);
            }
        }
    }

    private void forwardOverRoutes(Trace t, Hop hop, RouteDecision d, FilterVerdicts verdicts) {
        SimNode n = hop.node();
        for (Map.Entry<String, Set<String>> f : d.routeForwards().entrySet()) {
            SimNode to = byName.get(f.getKey());
            if (hop.origin() == Origin.ROUTE || to.site != n.site || (t.exact && !to.up)) {
                problems.add(t.ev + ": " + n.name + " (" + hop.origin() + ") forwards over a route to " + to.name);
                continue;
            }
            if (rejected(d.routeConditions().get(to.name), verdicts)) {
                t.skipped++;
                continue;
            }
            if (!reachable(n, to)) {
                continue; // faults: the link is down, the event is lost on it
            }
            if (t.exact) {
                checkRouteInterest(t, n, to, f.getValue());
            }
            t.routeCrossings++;
            t.hops.add(new Hop(to, Origin.ROUTE, f.getValue()));
        }
    }

    private void forwardToSites(Trace t, Hop hop, RouteDecision d, FilterVerdicts verdicts) {
        SimNode n = hop.node();
        for (Map.Entry<String, Set<String>> f : d.gatewayForwards().entrySet()) {
            SimNode gw = byName.get(d.gatewayNodes().get(f.getKey()));
            if (hop.origin() != Origin.LOCAL || gw == null || !siteNames.get(gw.site).equals(f.getKey())) {
                problems.add(t.ev + ": " + n.name + " (" + hop.origin() + ") forwards to site " + f.getKey()
                        + " via " + d.gatewayNodes().get(f.getKey()));
                continue;
            }
            if (rejected(d.gatewayConditions().get(f.getKey()), verdicts)) {
                t.skipped++;
                continue;
            }
            if (!reachable(n, gw)) {
                if (t.exact) {
                    problems.add(t.ev + ": " + n.name + " forwards to unreachable gateway " + gw.name);
                }
                continue;
            }
            if (t.exact) {
                checkSiteInterest(t, n, gw, f.getValue());
            }
            t.gatewayCrossings++;
            t.hops.add(new Hop(gw, Origin.GATEWAY, f.getValue()));
        }
    }

    /**
     * As {@code MeshNode.forward}: a destination named in the decision's conditions gets the event
     * only when one of its filters accepts it; one not named there ({@code filters} null) gets it.
     */
    private static boolean rejected(List<String> filters, FilterVerdicts verdicts) {
        return filters != null && !verdicts.anyAccepts(filters);
    }

    /** Invariant 4 on a route link: the receiver wants the event, plain (and accepted) or for each group it gets. */
    private void checkRouteInterest(Trace t, SimNode from, SimNode to, Set<String> groups) {
        forwardsChecked++;
        boolean wanted = (accepting(to, t.event) || !groups.isEmpty())
                && groupsMatched(to, t.event.topic()).containsAll(groups);
        if (!wanted) {
            problems.add(t.ev + ": " + from.name + " forwards to " + to.name + " (groups " + groups
                    + ") which has no matching interest that accepts it");
        }
    }

    /** Invariant 4 on a gateway link: the receiving site wants the event, plain (and accepted) or for each group. */
    private void checkSiteInterest(Trace t, SimNode from, SimNode gw, Set<String> groups) {
        forwardsChecked++;
        boolean plain = false;
        Set<String> siteGroups = new TreeSet<>();
        for (SimNode m : bySite.get(gw.site)) {
            if (m.up) {
                plain |= accepting(m, t.event);
                siteGroups.addAll(groupsMatched(m, t.event.topic()));
            }
        }
        if (!((plain || !groups.isEmpty()) && siteGroups.containsAll(groups))) {
            problems.add(t.ev + ": " + from.name + " forwards to site " + siteNames.get(gw.site) + " (groups "
                    + groups + ") which has no matching interest that accepts it");
        }
    }

    /**
     * Every plain subscriber whose pattern matches and whose filter accepts the event got it once
     * (per subscriber of its entry), no other did; each matched queue group got it once, at the
     * nearest member.
     */
    private void checkDeliveries(Trace t, SimNode publisher) {
        int topic = topicIndex.get(t.event.topic());
        Map<String, Integer> expected = new TreeMap<>();
        Map<String, List<SimNode>> members = new TreeMap<>();
        for (SimNode n : nodes) {
            if (!n.up) {
                continue;
            }
            for (Map.Entry<InterestEntry, Integer> s : n.subs.entrySet()) {
                InterestEntry e = s.getKey();
                if (e.queueGroup() == null && matched(e.pattern()).get(topic) && SimFilters.accepts(e.filter(), t.event)) {
                    expected.put(n.name + " " + e, s.getValue());
                }
            }
            for (String g : groupsMatched(n, t.event.topic())) {
                members.computeIfAbsent(g, k -> new ArrayList<>()).add(n);
            }
        }
        expect(expected, t.delivered, t.ev + ": deliveries per plain subscriber (node, entry)");
        expect(members.keySet(), t.groupDelivered.keySet(), t.ev + ": groups delivered");
        for (Map.Entry<String, List<SimNode>> g : t.groupDelivered.entrySet()) {
            List<SimNode> got = g.getValue();
            if (got.size() != 1) {
                problems.add(t.ev + ": group " + g.getKey() + " delivered " + got.size() + " times");
                continue;
            }
            List<SimNode> candidates = members.getOrDefault(g.getKey(), List.of());
            SimNode chosen = got.get(0);
            boolean publisherHasIt = candidates.contains(publisher);
            boolean siteHasIt = candidates.stream().anyMatch(m -> m.site == publisher.site);
            if ((publisherHasIt && chosen != publisher) || (siteHasIt && chosen.site != publisher.site)) {
                problems.add(t.ev + ": group " + g.getKey() + " went to " + chosen.name
                        + " though a nearer member exists");
            }
        }
        counts.deliveries += t.delivered.values().stream().mapToInt(Integer::intValue).sum() + t.groupDelivered.size();
    }

    /**
     * Check (c) as a count: the nodes the event reached are exactly those the oracle names, each but
     * the publisher over one link, so the link crossings are as few as the subscriptions allow. The
     * oracle computes the same with filters ignored: what routing on patterns alone (filters applied
     * only by the receiving node) would send.
     */
    private void checkCrossings(Trace t, SimNode publisher) {
        Set<String> placed = new TreeSet<>();
        t.groupDelivered.values().forEach(ms -> ms.forEach(m -> placed.add(m.name)));
        Set<String> expected = receivers(publisher, t.event, placed, true);
        expect(expected, t.received.keySet(), t.ev + ": nodes reached");
        expect(expected.size() - 1, t.routeCrossings + t.gatewayCrossings, t.ev + ": link crossings");
        counts.events++;
        counts.routeCrossings += t.routeCrossings;
        counts.gatewayCrossings += t.gatewayCrossings;
        counts.patternOnlyCrossings += receivers(publisher, t.event, placed, false).size() - 1;
        counts.skipped += t.skipped;
        counts.filterEvaluations += t.filterEvaluations;
    }

    /**
     * The oracle: the publisher; every live node that wants the event (a plain subscriber whose
     * pattern matches and, when {@code filters}, whose filter accepts it per the reference; or the
     * member a queue group was placed on, {@code placed}); and in each other site holding such a
     * node, the publisher's gateway peer there, which the event reaches first.
     */
    private Set<String> receivers(SimNode publisher, SimEvent event, Set<String> placed, boolean filters) {
        Set<String> out = new TreeSet<>();
        out.add(publisher.name);
        for (int s = 0; s < sc.sites(); s++) {
            boolean wanted = false;
            for (SimNode m : bySite.get(s)) {
                if (m.up && (placed.contains(m.name)
                        || (filters ? accepting(m, event) : plainMatch(m, event.topic())))) {
                    out.add(m.name);
                    wanted = true;
                }
            }
            if (wanted && s != publisher.site) {
                String gateway = publisher.engine.gatewayPeer(siteNames.get(s));
                out.add(gateway != null ? gateway : "(no gateway peer in " + siteNames.get(s) + ")");
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ reporting

    /**
     * The link crossings of the events checked after convergence, against routing on patterns alone
     * (the oracle with filters ignored): the difference is what filters kept off the links, counting
     * the hops inside a site that a gateway hop skipped would have led to.
     */
    /** Link crossings after convergence that filters kept off the links, against routing on patterns alone. */
    long crossingsSavedByFilters() {
        return counts.patternOnlyCrossings - counts.crossings();
    }

    private String linkStats() {
        long saved = counts.patternOnlyCrossings - counts.crossings();
        return String.format("links after convergence: %d events, %d deliveries, %d link crossings (%d route, "
                        + "%d gateway), %d on patterns alone: filters (%d%% of plain subscriptions) saved %d crossings "
                        + "(%.1f%%), %d forwards skipped, %d filter evaluations",
                counts.events, counts.deliveries, counts.crossings(), counts.routeCrossings, counts.gatewayCrossings,
                counts.patternOnlyCrossings, sc.filteredPercent(), saved,
                counts.patternOnlyCrossings == 0 ? 0.0 : 100.0 * saved / counts.patternOnlyCrossings,
                counts.skipped, counts.filterEvaluations);
    }

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
