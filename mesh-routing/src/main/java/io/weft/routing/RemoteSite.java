package io.weft.routing;

import io.weft.routing.MeshMessage.SiteUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What this node holds of one remote site: its live nodes, its aggregated interest and digest,
 * and this node's gateway peer there. Exists while the site has at least one live node.
 * Not thread-safe.
 */
final class RemoteSite {
    /** Most updates held while waiting for the ones they depend on. */
    static final int MAX_HELD = 32;

    final String name;
    /** Live node name to incarnation. */
    final TreeMap<String, Long> liveNodes = new TreeMap<>();
    final DigestedSet entries = new DigestedSet();
    String gateway;
    /**
     * Nodes whose gateway link died, skipped as gateway peer until the time given (monotonic nanos):
     * a killed node resets its links at once, but membership takes seconds to call it dead.
     */
    final TreeMap<String, Long> avoidUntil = new TreeMap<>();
    /** The digest was confirmed by a node of the site (SiteFull received or digest echoed). */
    boolean confirmed;
    /** When a SiteDigest asking for a full set was last sent, while one is outstanding. */
    long askedNanos;
    boolean askOutstanding;
    /** Updates that arrived before the ones they build on, oldest first. */
    final List<SiteUpdate> held = new ArrayList<>();
    long heldSinceNanos;

    RemoteSite(String name) {
        this.name = name;
    }

    /**
     * Re-chooses the gateway peer by rendezvous hashing on (chooser, candidate): every chooser
     * ranks the candidates differently, so the gateway load of a site spreads over its nodes, and
     * the choice only moves for choosers whose gateway left. Nodes to avoid are skipped unless
     * every live node is one.
     *
     * @return true when the gateway changed
     */
    boolean chooseGateway(String chooser, long now) {
        avoidUntil.values().removeIf(until -> until - now <= 0);
        boolean anyUsable = false;
        for (String candidate : liveNodes.keySet()) {
            anyUsable |= !avoidUntil.containsKey(candidate);
        }
        String best = null;
        long bestScore = 0;
        for (String candidate : liveNodes.keySet()) {
            if (anyUsable && avoidUntil.containsKey(candidate)) {
                continue;
            }
            long score = Hash64.rendezvous(chooser, candidate);
            if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
                best = candidate;
                bestScore = score;
            }
        }
        boolean changed = best == null ? gateway != null : !best.equals(gateway);
        gateway = best;
        return changed;
    }
}
