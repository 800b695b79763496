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
    long pullSentNanos;
    boolean pullOutstanding;

    PeerInterest(String name, long incarnation) {
        this.name = name;
        this.incarnation = incarnation;
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
