package io.weft.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Messages waiting for {@link InterestEngine#drainOutbox()}, in the order they were produced, with
 * at most {@code maxPerPeer} per destination: past that, {@link #offer} refuses and counts a drop.
 * Dropping gossip is always safe (anti-entropy repairs it), growing without bound is not.
 * Not thread-safe.
 */
final class Outbox {
    private final int maxPerPeer;
    private List<Outgoing> queue = new ArrayList<>();
    private final Map<String, Integer> counts = new HashMap<>();
    private long dropped;

    Outbox(int maxPerPeer) {
        this.maxPerPeer = maxPerPeer;
    }

    /** Queues {@code m} for {@code to}; false (and a counted drop) when {@code to}'s queue is full. */
    boolean offer(String to, MeshMessage m) {
        int n = counts.getOrDefault(to, 0);
        if (n >= maxPerPeer) {
            dropped++;
            return false;
        }
        queue.add(new Outgoing(to, m));
        counts.put(to, n + 1);
        return true;
    }

    /** How many messages wait for {@code to}. */
    int pending(String to) {
        return counts.getOrDefault(to, 0);
    }

    /** Room left for {@code to}. */
    int room(String to) {
        return maxPerPeer - pending(to);
    }

    /** Removes the messages for {@code to} that {@code which} selects; returns how many. */
    int remove(String to, Predicate<MeshMessage> which) {
        int before = queue.size();
        queue.removeIf(o -> o.toNode().equals(to) && which.test(o.message()));
        int removed = before - queue.size();
        if (removed > 0) {
            int left = counts.get(to) - removed;
            if (left == 0) {
                counts.remove(to);
            } else {
                counts.put(to, left);
            }
        }
        return removed;
    }

    /** Everything queued, oldest first; the outbox is empty afterwards. */
    List<Outgoing> drain() {
        if (queue.isEmpty()) {
            return List.of();
        }
        List<Outgoing> out = queue;
        queue = new ArrayList<>();
        counts.clear();
        return out;
    }

    int size() {
        return queue.size();
    }

    /** Messages refused because a destination's queue was full, since creation. */
    long dropped() {
        return dropped;
    }
}
