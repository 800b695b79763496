package io.weft.routing.topology;

import java.util.List;

/**
 * The link-state gossip between nodes ({@link TopologyCodec} is its wire format): records flooded as
 * they change, and the anti-entropy that repairs what flooding missed (OSPF's database description
 * exchange: compare digests, then summaries, then pull).
 */
public sealed interface TopologyMessage {
    /** One node's record, flooded: a receiver that finds it newer installs it and passes it on. */
    record Record(LinkState state) implements TopologyMessage {
    }

    /**
     * The sender's {@link LinkStateDb#digest()}. A receiver whose digest differs answers with its
     * {@link Summary}; with {@code replyWanted} it also answers an equal digest, with its own digest.
     */
    record Digest(long digest, boolean replyWanted) implements TopologyMessage {
    }

    /**
     * The sender's {@link LinkStateDb#summary()}: the receiver sends the records it holds newer (or that
     * the sender lacks), and pulls those the sender holds newer.
     */
    record Summary(List<LinkState.Version> versions) implements TopologyMessage {
        public Summary {
            versions = List.copyOf(versions);
        }
    }

    /** Asks for the records of these nodes. */
    record Pull(List<String> nodes) implements TopologyMessage {
        public Pull {
            nodes = List.copyOf(nodes);
        }
    }
}
