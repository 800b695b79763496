package io.weft.routing.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One node's link-state record: which gateway links of other sites it holds, as that node alone
 * says (single writer). Records are versioned by {@code (incarnation, seq)}: the node bumps
 * {@code seq} whenever one of its gateway links goes up or down and on every refresh, and a
 * restart is a new, larger incarnation, so a stale copy of an older life is never installed over a
 * newer one ({@link #isNewerThan}). A link is used for routing only once the peer's record lists
 * it too (the two-way check of {@link LinkStateDb#siteGraph()}), so a half-open link or the stale
 * record of a dead node routes nothing.
 *
 * <p>A tombstone ({@link #tombstone}) says a node has left: a site peer that sees it leave the
 * per-site group floods it at the node's incarnation with {@code seq} = {@link Long#MAX_VALUE}, so
 * it beats every record of that incarnation and loses to the node's next life. It carries no
 * links.
 *
 * <p>Immutable; the links are copied and sorted by (peer site, peer node), so two records with the
 * same content are equal whatever the order the node listed its links in.
 *
 * @param node           the originating node, unique in the mesh
 * @param site           its site
 * @param incarnation    grows with every start of the node, {@code >= 0}
 * @param seq            grows with every re-origination within an incarnation, {@code >= 0}
 * @param noTransit      the node's site is an edge: never an interior site of a tree
 * @param acceptsInbound whether the node accepts inbound gateway connections (an edge does not)
 * @param tombstone      the node has left; then {@code links} is empty
 * @param meshAddr       the node's mesh address, {@code host:port}, for dialling; may be empty
 * @param links          the node's live gateway links, at most one per peer node
 */
public record LinkState(String node, String site, long incarnation, long seq, boolean noTransit,
                        boolean acceptsInbound, boolean tombstone, String meshAddr, List<Link> links) {
    /** Lowest and highest link cost; a cost travels as an unsigned 16-bit field. */
    public static final int MIN_COST = 1;
    public static final int MAX_COST = 65535;

    private static final Comparator<Link> LINK_ORDER =
            Comparator.comparing(Link::peerSite).thenComparing(Link::peerNode);

    /**
     * One gateway link of the node, to {@code peerNode} of {@code peerSite}, whoever dialled it.
     *
     * @param cost the cost this side configured, {@value #MIN_COST}..{@value #MAX_COST}; a site
     *             link costs the larger of its two sides' costs
     */
    public record Link(String peerSite, String peerNode, int cost) {
        public Link {
            requireName(peerSite, "peer site");
            requireName(peerNode, "peer node");
            if (cost < MIN_COST || cost > MAX_COST) {
                throw new IllegalArgumentException("link cost must be " + MIN_COST + ".." + MAX_COST + ", got " + cost
                        + " for the link to " + peerNode + " of site " + peerSite);
            }
        }
    }

    /** The version of a record, all anti-entropy compares: {@code (node, incarnation, seq)}. */
    public record Version(String node, long incarnation, long seq) {
        public Version {
            requireName(node, "node");
        }

        /** Whether this version supersedes {@code other}, a version of the same node. */
        public boolean isNewerThan(Version other) {
            return compare(incarnation, seq, other.incarnation, other.seq) > 0;
        }
    }

    public LinkState {
        requireName(node, "node");
        requireName(site, "site");
        Objects.requireNonNull(meshAddr, "meshAddr");
        if (incarnation < 0 || seq < 0) {
            throw new IllegalArgumentException("link state of " + node + ": incarnation and seq must be >= 0, got ("
                    + incarnation + ", " + seq + ")");
        }
        List<Link> sorted = new ArrayList<>(links);
        sorted.sort(LINK_ORDER);
        for (int i = 0; i < sorted.size(); i++) {
            Link l = sorted.get(i);
            if (l.peerSite().equals(site)) {
                throw new IllegalArgumentException("link state of " + node + ": a gateway link joins two sites, but "
                        + l.peerNode() + " is of the node's own site " + site);
            }
            if (i > 0 && sorted.get(i - 1).peerNode().equals(l.peerNode())
                    && sorted.get(i - 1).peerSite().equals(l.peerSite())) {
                throw new IllegalArgumentException("link state of " + node + ": two links to " + l.peerNode());
            }
        }
        if (tombstone && !sorted.isEmpty()) {
            throw new IllegalArgumentException("link state of " + node + ": a tombstone carries no links");
        }
        links = List.copyOf(sorted);
    }

    /** The tombstone of {@code node}'s incarnation: newer than any record of it, older than the next incarnation's. */
    public static LinkState tombstone(String node, String site, long incarnation) {
        return new LinkState(node, site, incarnation, Long.MAX_VALUE, false, false, true, "", List.of());
    }

    public Version version() {
        return new Version(node, incarnation, seq);
    }

    /** Whether this record supersedes {@code other}, a record of the same node: a larger (incarnation, seq). */
    public boolean isNewerThan(LinkState other) {
        if (!other.node.equals(node)) {
            throw new IllegalArgumentException("comparing link states of two nodes: " + node + " and " + other.node);
        }
        return compare(incarnation, seq, other.incarnation, other.seq) > 0;
    }

    /** The link to {@code peerNode} of {@code peerSite}, or null when this record lists none. */
    public Link linkTo(String peerSite, String peerNode) {
        int i = java.util.Collections.binarySearch(links, new Link(peerSite, peerNode, MIN_COST), LINK_ORDER);
        return i >= 0 ? links.get(i) : null;
    }

    static int compare(long incA, long seqA, long incB, long seqB) {
        int c = Long.compare(incA, incB);
        return c != 0 ? c : Long.compare(seqA, seqB);
    }

    static void requireName(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }
}
