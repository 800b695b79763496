package io.weft.routing;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The interest gossip exchanged between nodes over route links (same site) and gateway links
 * (between sites). {@link MeshCodec} puts them on the wire; {@link InterestEngine} produces and
 * consumes them. All records are immutable; list arguments are copied.
 *
 * <p>Node messages travel over route links only and describe one node's interest, versioned by
 * {@link NodeVersion}. Site messages describe a site's aggregated interest, identified by its
 * digest: {@link SiteUpdate} and {@link SiteFull} come from the site itself (over a gateway
 * link, then forwarded inside the receiving site over routes), {@link SiteDigest} asks or
 * confirms.
 */
public sealed interface MeshMessage {

    /**
     * A batch of changes to {@code node}'s interest, sent by that node to its site peers. Applied
     * only on top of version {@code version - 1} of the same incarnation; a gap is answered with
     * {@link NodePull}.
     */
    record NodeDelta(String node, long incarnation, long version, List<InterestEntry> added,
                     List<InterestEntry> removed) implements MeshMessage {
        public NodeDelta {
            NodeId.requireName(node, "node");
            new NodeVersion(incarnation, version);
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }

        public NodeVersion nodeVersion() {
            return new NodeVersion(incarnation, version);
        }
    }

    /** The whole interest of {@code node} at a version; replaces any older state of it. */
    record NodeFull(String node, long incarnation, long version, List<InterestEntry> entries)
            implements MeshMessage {
        public NodeFull {
            NodeId.requireName(node, "node");
            new NodeVersion(incarnation, version);
            entries = List.copyOf(entries);
        }

        public NodeVersion nodeVersion() {
            return new NodeVersion(incarnation, version);
        }
    }

    /**
     * Anti-entropy inside a site: the versions the sender holds of its site's nodes, itself
     * included. The receiver answers with {@link NodeFull} for every node it holds newer and
     * {@link NodePull} for the nodes the sender holds newer; when {@code replyWanted} it then
     * sends its own digest back with {@code replyWanted == false}, which ends the exchange (and
     * tells the initiator it has synced, for readiness).
     */
    record NodeDigest(Map<String, NodeVersion> versions, boolean replyWanted) implements MeshMessage {
        public NodeDigest {
            TreeMap<String, NodeVersion> copy = new TreeMap<>();
            versions.forEach((node, v) -> copy.put(node, Objects.requireNonNull(v, node)));
            versions = Collections.unmodifiableMap(copy);
        }
    }

    /** Asks for a {@link NodeFull} of each named node the receiver knows. */
    record NodePull(List<String> nodes) implements MeshMessage {
        public NodePull {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * A change of {@code site}'s aggregated interest: apply only to a copy whose digest is
     * {@code baseDigest}; the result has digest {@code newDigest}.
     */
    record SiteUpdate(String site, long baseDigest, long newDigest, List<InterestEntry> added,
                      List<InterestEntry> removed) implements MeshMessage {
        public SiteUpdate {
            NodeId.requireName(site, "site");
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }
    }

    /** The whole aggregated interest of {@code site}, sent by a node of that site. */
    record SiteFull(String site, long digest, List<InterestEntry> entries) implements MeshMessage {
        public SiteFull {
            NodeId.requireName(site, "site");
            entries = List.copyOf(entries);
        }
    }

    /**
     * "This is the digest I hold for {@code site}." Sent to a node of {@code site}, it asks: that
     * node answers {@link SiteFull} when its own digest differs, and when it is equal echoes the
     * digest back if {@code ackWanted}. Sent by a node of {@code site} (the echo), it confirms.
     */
    record SiteDigest(String site, long digest, boolean ackWanted) implements MeshMessage {
        public SiteDigest {
            NodeId.requireName(site, "site");
        }
    }
}
