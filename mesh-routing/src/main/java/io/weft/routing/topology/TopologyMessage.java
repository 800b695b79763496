package io.weft.routing.topology;

import io.weft.routing.InterestEntry;
import java.util.ArrayList;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The link-state gossip between nodes ({@link TopologyCodec} is its wire format): records flooded as
 * they change, and the anti-entropy that repairs what flooding missed (OSPF's database description
 * exchange: compare digests, then summaries, then pull).
 *
 * <p>The relayed site interest ({@link InterestRelay}) is a second database gossiped the same way,
 * with messages of its own: they are the {@link InterestGossip} kinds, which a caller dispatches on.
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

    /** The messages of the relayed site interest ({@link InterestRelay}); the others are the link state's. */
    sealed interface InterestGossip extends TopologyMessage {
    }

    /**
     * A change of one site's record from version {@code base} to the next, {@code version}, flooded in place
     * of the whole record: a receiver that holds {@code base} applies it and passes it on; one that holds
     * an older version (it missed a change) pulls the whole record from the sender; one that holds
     * {@code version} or newer ignores it.
     */
    record InterestDelta(String site, String speaker, SiteVersion base, SiteVersion version, long digest,
                         List<InterestEntry> added, List<InterestEntry> removed) implements InterestGossip {
        public InterestDelta {
            LinkState.requireName(site, "site");
            LinkState.requireName(speaker, "speaker");
            if (!version.follows(base)) {
                throw new IllegalArgumentException("a delta of site " + site + " goes from one version to the next, not "
                        + base + " to " + version);
            }
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }

        /** The record {@code base} becomes with this change: {@code base}'s entries plus added, minus removed, sorted. */
        public SiteInterestRecord applyTo(SiteInterestRecord baseRecord) {
            java.util.TreeSet<InterestEntry> entries = new java.util.TreeSet<>(baseRecord.entries());
            entries.removeAll(removed);
            entries.addAll(added);
            return new SiteInterestRecord(site, speaker, version, digest, new ArrayList<>(entries));
        }
    }

    /** One site's interest record, flooded: a receiver that finds it newer installs it and passes it on. */
    record SiteInterest(SiteInterestRecord record) implements InterestGossip {
    }

    /**
     * The sender's {@link InterestRelay#digest()}. A receiver whose digest differs answers with its
     * {@link InterestSummary}; with {@code replyWanted} it also answers an equal digest, with its own.
     */
    record InterestDigest(long digest, boolean replyWanted) implements InterestGossip {
    }

    /**
     * The version of every site record the sender holds: the receiver sends the records it holds newer
     * (or that the sender lacks), and pulls those the sender holds newer.
     */
    record InterestSummary(SortedMap<String, SiteVersion> versions) implements InterestGossip {
        public InterestSummary {
            versions = Collections.unmodifiableSortedMap(new TreeMap<>(versions));
        }
    }

    /** Asks for the records of these sites. */
    record InterestPull(List<String> sites) implements InterestGossip {
        public InterestPull {
            sites = List.copyOf(sites);
        }
    }
}
