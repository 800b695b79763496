package io.weft.routing;

import java.util.List;

/**
 * The interest table a node holds, for the admin API ({@code GET /v1/interest},
 * {@code meshctl interest}): plain records of strings, numbers, booleans and lists, so Jackson
 * (2.12 or later) serialises it as is. Lists are sorted (entries by pattern then group, peers and
 * sites by name). Digests are 16 hex digits, since JSON numbers lose 64-bit precision.
 *
 * @param node           this node's name
 * @param site           this node's site
 * @param incarnation    this node's incarnation
 * @param version        the version of the last interest delta this node announced
 * @param ready          {@link InterestEngine#ready()}
 * @param entries        this node's current entries, announced or not
 * @param pendingChanges entries added or removed locally but not yet announced
 * @param siteDigest     the digest of this node's view of its own site's aggregated interest
 * @param peers          the live same-site peers and what this node holds of their interest
 * @param sites          the remote sites with at least one live node
 */
public record InterestSnapshot(String node, String site, long incarnation, long version, boolean ready,
                               List<InterestEntry> entries, int pendingChanges, String siteDigest,
                               List<Peer> peers, List<Site> sites) {
    public InterestSnapshot {
        entries = List.copyOf(entries);
        peers = List.copyOf(peers);
        sites = List.copyOf(sites);
    }

    /** A same-site peer: its interest at (incarnation, version) as this node holds it. */
    public record Peer(String node, long incarnation, long version, List<InterestEntry> entries) {
        public Peer {
            entries = List.copyOf(entries);
        }
    }

    /**
     * A remote site: its aggregated interest as this node holds it.
     *
     * @param digest    digest of {@code entries}
     * @param confirmed a node of that site confirmed the digest (readiness)
     * @param gateway   this node's gateway peer in that site
     * @param liveNodes the site's nodes the membership layer reports alive
     */
    public record Site(String site, String digest, boolean confirmed, String gateway, List<String> liveNodes,
                       List<InterestEntry> entries) {
        public Site {
            liveNodes = List.copyOf(liveNodes);
            entries = List.copyOf(entries);
        }
    }

    static String hex(long digest) {
        return String.format("%016x", digest);
    }
}
