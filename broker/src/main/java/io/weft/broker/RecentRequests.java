package io.weft.broker;

import java.util.ArrayList;
import java.util.List;

/**
 * The reply topics of the last requests (durable publishes) sent over the links to one peer, with
 * when they were sent: a fixed ring, so memory stays bounded whatever the rate. When the peer's
 * link dies, the requests sent within the ack wait may have died with it, and their askers are
 * told at once instead of after the wait (a request that was in fact answered finds no one waiting,
 * and one that was stored is deduplicated when the client resends it).
 */
final class RecentRequests {
    private final String[] replyTos;
    private final long[] sentNanos;
    private int next;
    private int size;

    RecentRequests(int capacity) {
        replyTos = new String[capacity];
        sentNanos = new long[capacity];
    }

    synchronized void add(String replyTo, long nowNanos) {
        replyTos[next] = replyTo;
        sentNanos[next] = nowNanos;
        next = (next + 1) % replyTos.length;
        size = Math.min(size + 1, replyTos.length);
    }

    /** The reply topics of requests sent after {@code cutoffNanos}, oldest first; forgets them all. */
    synchronized List<String> drainSentAfter(long cutoffNanos) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            int at = Math.floorMod(next - size + i, replyTos.length);
            if (sentNanos[at] - cutoffNanos > 0) {
                out.add(replyTos[at]);
            }
            replyTos[at] = null;
        }
        size = 0;
        return out;
    }
}
