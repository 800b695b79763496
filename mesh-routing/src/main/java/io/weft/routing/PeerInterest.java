package io.weft.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What this node holds of one live same-site peer's interest. Not thread-safe. */
final class PeerInterest {
    final String name;
    long incarnation;
    long version;
    final Set<InterestEntry> entries = new HashSet<>();
    /** When a NodePull for this peer was last sent, while one is outstanding. */
    private long pullSentNanos;
    private boolean pullOutstanding;

    PeerInterest(String name, long incarnation) {
        this.name = name;
        this.incarnation = incarnation;
    }

    /**
     * Starts a pull of this peer's full interest at {@code nowNanos}, unless one started less than
     * {@code retryNanos} ago is still unanswered (then the answer is on its way, or it was lost and
     * the next round asks again).
     *
     * @return true when the caller should send the pull
     */
    boolean startPull(long nowNanos, long retryNanos) {
        if (pullOutstanding && nowNanos - pullSentNanos < retryNanos) {
            return false;
        }
        pullOutstanding = true;
        pullSentNanos = nowNanos;
        return true;
    }

    /** A full set of this peer arrived: whatever it brings, it answers the outstanding pull. */
    void pullAnswered() {
        pullOutstanding = false;
    }

    NodeVersion nodeVersion() {
        return new NodeVersion(incarnation, version);
    }

    List<InterestEntry> sorted() {
        List<InterestEntry> list = new ArrayList<>(entries);
        Collections.sort(list);
        return list;
    }

    MeshMessage.NodeFull full() {
        return new MeshMessage.NodeFull(name, incarnation, version, sorted());
    }
}
