package io.weft.routing.sim;

import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * The simulated wire: a time-ordered queue of deliveries and membership notifications. Every link
 * (ordered pair of nodes) is FIFO, as a TCP connection: a message is never delivered before one
 * sent earlier on the same link. Across links, random delays (with occasional spikes) reorder
 * freely. Loss is decided by the caller ({@link MeshSim}) when sending; a delivery whose link broke
 * meanwhile (a crash, a restart, a partition) is dropped by the caller when it comes due.
 *
 * <p>{@code M} is what travels: the interest gossip ({@code MeshMessage}) for {@link MeshSim}, link
 * states and event hops for {@link MultiHopSim}.
 */
final class SimNetwork<M> {
    /** Something that happens at {@code timeNanos}; {@code seq} breaks ties in sending order. */
    record Event<M>(long timeNanos, long seq, Kind kind, int from, long fromIncarnation, int to, long toIncarnation,
                    long epoch, M message) {
        enum Kind { DELIVER, MEMBERSHIP }
    }

    private final PriorityQueue<Event<M>> queue = new PriorityQueue<>((a, b) -> {
        int c = Long.compare(a.timeNanos(), b.timeNanos());
        return c != 0 ? c : Long.compare(a.seq(), b.seq());
    });
    /** Per link (from * nodes + to), the time of its last scheduled delivery: later sends wait for it. */
    private final long[] linkTail;
    private final int nodes;
    private final SplittableRandom random;
    private final long minDelayNanos;
    private final long maxDelayNanos;
    private final double spikeProbability;
    private final long spikeNanos;
    private long seq;
    private int pendingMembership;

    SimNetwork(int nodes, SplittableRandom random, long minDelayNanos, long maxDelayNanos, double spikeProbability,
               long spikeNanos) {
        this.nodes = nodes;
        this.linkTail = new long[nodes * nodes];
        this.random = random;
        this.minDelayNanos = minDelayNanos;
        this.maxDelayNanos = maxDelayNanos;
        this.spikeProbability = spikeProbability;
        this.spikeNanos = spikeNanos;
    }

    /** Schedules {@code m} on link {@code from -> to}, after a random delay, behind earlier sends. */
    void send(long nowNanos, int from, long fromIncarnation, int to, long toIncarnation, long epoch, M m) {
        long delay = minDelayNanos + random.nextLong(maxDelayNanos - minDelayNanos + 1);
        if (random.nextDouble() < spikeProbability) {
            delay += random.nextLong(spikeNanos);
        }
        int link = from * nodes + to;
        long at = Math.max(nowNanos + delay, linkTail[link]);
        linkTail[link] = at;
        queue.add(new Event<>(at, seq++, Event.Kind.DELIVER, from, fromIncarnation, to, toIncarnation, epoch, m));
    }

    /** Schedules a membership check of {@code subject} by {@code observer} at {@code atNanos}. */
    void membership(long atNanos, int observer, long observerIncarnation, int subject) {
        pendingMembership++;
        queue.add(new Event<>(atNanos, seq++, Event.Kind.MEMBERSHIP, observer, observerIncarnation, subject, 0, 0, null));
    }

    /** The time of the next event, or {@link Long#MAX_VALUE} when none is scheduled. */
    long nextTimeNanos() {
        Event<M> e = queue.peek();
        return e == null ? Long.MAX_VALUE : e.timeNanos();
    }

    /** The next event due at or before {@code untilNanos}, or null. */
    Event<M> poll(long untilNanos) {
        Event<M> e = queue.peek();
        if (e == null || e.timeNanos() > untilNanos) {
            return null;
        }
        queue.poll();
        if (e.kind() == Event.Kind.MEMBERSHIP) {
            pendingMembership--;
        }
        return e;
    }

    int pendingMembership() {
        return pendingMembership;
    }

    int size() {
        return queue.size();
    }
}
