package io.weft.broker;

import io.weft.routing.net.MeshFrames;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.Membership;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node gets into the mesh: it asks its seeds who they are (a probe on their mesh ports, whose
 * answer also lists every node the seed knows) and joins the membership group through them; after
 * that it keeps probing the seeds that are not in its view, and hands every membership address it
 * learns to discovery, so a group that formed apart merges back.
 *
 * <p><b>Who founds the group.</b> When every node of a mesh starts at once, each used to find no
 * group and found its own; the groups then had to merge, which took 5-10 s on a 2-core machine, and
 * a merge is where members went unnamed. Now a node joins a group that one of its seeds
 * is already a member of. Only the node whose name sorts first among itself and the seeds that
 * answered founds one, once every seed has answered or {@link #SEED_WAIT_NANOS} has passed. The
 * others probe every {@link #PROBE_EVERY_NANOS} until a seed is a member; past
 * {@link #JOIN_WAIT_NANOS} a node founds a group of its own anyway, and merging heals the split.
 *
 * <p>Threads: {@link #run} is the joining thread's body; {@link #keepProbing} runs on the mesh
 * thread. The clock is {@link System#nanoTime()}: this is the I/O edge.
 */
final class MeshJoin {
    private static final Logger LOG = LoggerFactory.getLogger(MeshJoin.class);
    /** How long a node waits for all its seeds to answer before it may found the group. */
    static final long SEED_WAIT_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** How long a node waits for a seed to become a member before it founds a group of its own. */
    static final long JOIN_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long PROBE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final String selfName;
    private final String selfMeshAddress;
    private final List<String> seeds;
    private final MeshNetwork net;
    private final Membership membership;
    private final Supplier<List<String>> membershipAddresses;
    /** The last answer of every seed that answered its last probe, by seed address. */
    private final Map<String, MeshFrames.Welcome> answers = new ConcurrentHashMap<>();
    private volatile boolean joined;
    private volatile boolean anyAnswered;
    private volatile boolean closed;

    /**
     * @param seeds               mesh addresses ({@code host:port}) given with {@code --seeds}
     * @param membershipAddresses the membership addresses of every node known so far, this one excluded
     */
    MeshJoin(String selfName, String selfMeshAddress, List<String> seeds, MeshNetwork net, Membership membership,
             Supplier<List<String>> membershipAddresses) {
        this.selfName = selfName;
        this.selfMeshAddress = selfMeshAddress;
        this.seeds = seeds.stream().filter(s -> !s.equals(selfMeshAddress)).toList();
        this.net = net;
        this.membership = membership;
        this.membershipAddresses = membershipAddresses;
    }

    /** Probes the seeds until this node may join (see the class doc), then joins. Returns when joined or closed. */
    void run() {
        long start = System.nanoTime();
        String why = null;
        while (!closed && why == null) {
            long round = System.nanoTime();
            probeAll(seeds, TimeUnit.NANOSECONDS.toMillis(PROBE_EVERY_NANOS * 2));
            why = reasonToJoin(selfName, seeds.size(), answers.values(), System.nanoTime() - start);
            if (why == null) {
                long left = PROBE_EVERY_NANOS - (System.nanoTime() - round);
                if (left > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                }
            }
        }
        while (!closed && !joined) {
            try {
                membership.start(membershipAddresses.get());
                joined = true;
                LOG.info("membership: joined ({})", why);
            } catch (Exception e) {
                LOG.error("cannot join the membership group (retrying in 1 s): {}", e.toString());
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /**
     * Why this node may join now, or null to keep waiting (the rule of the class doc).
     *
     * @param seedCount   seeds given, this node's own address excluded
     * @param answers     the last answer of each seed that answered
     * @param waitedNanos time since joining began
     */
    static String reasonToJoin(String selfName, int seedCount, Collection<MeshFrames.Welcome> answers, long waitedNanos) {
        if (seedCount == 0) {
            return "no seeds: founding the group";
        }
        TreeSet<String> waiting = new TreeSet<>();
        for (MeshFrames.Welcome w : answers) {
            if (w.member()) {
                return "seed " + w.node().name() + " is a member";
            }
            waiting.add(w.node().name());
        }
        boolean allAnswered = answers.size() >= seedCount;
        if ((allAnswered || waitedNanos >= SEED_WAIT_NANOS) && (waiting.isEmpty() || selfName.compareTo(waiting.first()) < 0)) {
            return waiting.isEmpty() ? "no seed answered within " + TimeUnit.NANOSECONDS.toSeconds(SEED_WAIT_NANOS)
                    + " s: founding the group" : "first by name among the seeds " + waiting + " that answered: founding the group";
        }
        if (waitedNanos >= JOIN_WAIT_NANOS) {
            return "no seed became a member within " + TimeUnit.NANOSECONDS.toSeconds(JOIN_WAIT_NANOS)
                    + " s: founding a group that will merge with theirs";
        }
        return null;
    }

    /**
     * Probes {@code targets}, waiting at most {@code waitMillis} for the answers; an answer is kept,
     * a failure forgets the seed's last answer.
     */
    private void probeAll(Collection<String> targets, long waitMillis) {
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (String seed : targets) {
            all.add(net.probe(seed).handle((w, err) -> {
                if (err == null && !w.node().name().equals(selfName)) {
                    answered(seed, w);
                } else {
                    answers.remove(seed);
                    if (err != null) {
                        LOG.debug("seed {} not answering: {}", seed, err.toString());
                    }
                }
                return null;
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the stragglers complete later and update answers then
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // handled per probe
        }
    }

    /**
     * Once joined: probes again the seeds that are not members here (a seed that answers but is not
     * in the view is a split group; one that stopped answering no longer counts), and gives
     * discovery every membership address known. Call it every few seconds.
     */
    void keepProbing(Predicate<String> isMember) {
        if (!joined || closed) {
            return;
        }
        List<String> again = new ArrayList<>();
        for (String seed : seeds) {
            MeshFrames.Welcome w = answers.get(seed);
            if (w == null || !isMember.test(w.node().name())) {
                again.add(seed);
            }
        }
        for (String seed : again) {
            net.probe(seed).whenComplete((w, err) -> {
                if (err == null && !w.node().name().equals(selfName)) {
                    answered(seed, w);
                } else {
                    answers.remove(seed);
                }
            });
        }
        membership.addInitialHosts(membershipAddresses.get());
    }

    private void answered(String seed, MeshFrames.Welcome w) {
        answers.put(seed, w);
        anyAnswered = true;
    }

    /** Whether membership has been joined. */
    boolean joined() {
        return joined;
    }

    /** True when no seeds were given, or one has answered since start (it may have died since). */
    boolean seedAnswered() {
        return seeds.isEmpty() || anyAnswered;
    }

    /** Names of the seeds that answered their last probe. */
    Set<String> seedsAnswering() {
        Set<String> names = new TreeSet<>();
        answers.values().forEach(w -> names.add(w.node().name()));
        return names;
    }

    void close() {
        closed = true;
    }
}
