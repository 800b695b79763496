package io.weft.routing.topology;

import io.weft.routing.Hash64;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The hop rules of multi-hop site routing, as pure decisions of one node (design: {@code
 * shared/research/multihop.md} 5.5). An event carries {@link Header}: its origin site, the
 * fingerprint of the origin's tree its publisher held, and the site hops so far.
 * <ul>
 *   <li>{@link #stamp}: the publisher stamps the current tree of its own site;</li>
 *   <li>{@link #receive}: a gateway hop is accepted only on that very tree (looked up by
 *       fingerprint among the last K graph versions), only from this site's parent in it, and only
 *       at this site's depth in it. Every accepted copy therefore moves along the edges of one
 *       tree, whatever the nodes' views: a site has one parent in a tree and the parent sends one
 *       copy per child, so no site accepts an event twice and nothing loops, without a de-dup
 *       cache. The cost of a change is bounded loss, never a duplicate;</li>
 *   <li>{@link #ingress}: the node where the event entered the site (the publisher, or the
 *       receiver of the gateway hop) sends it on to each child whose subtree holds a site that
 *       wants it, through an egress node that holds a link to that child;</li>
 *   <li>{@link #egress}: a site peer named as egress checks the tree again and its own link.</li>
 * </ul>
 * Each refusal names a {@link DropReason}, for the drop counters. Stateless apart from the node's
 * identity and the hop cap; the trees and links are arguments.
 */
public final class Forwarding {
    public static final int DEFAULT_MAX_SITE_HOPS = 32;

    /** Why an event (or its copy for one child site) was dropped; {@link #metricName()} labels the counter. */
    public enum DropReason {
        /** The event's tree is not among the trees this node holds: its view is older or newer than the sender's. */
        UNKNOWN_TREE,
        /** In the event's tree, the sending site is not this site's parent (or this site not the child's). */
        NOT_PARENT,
        /** The site hops do not equal this site's depth in the tree: an assertion, must stay 0. */
        BAD_DEPTH,
        /** More site hops than the cap: an assertion, must stay 0 unless the graph is deeper than the cap. */
        HOP_CAP,
        /** A child wants the event but no node of this site holds a link to it. */
        NO_EGRESS,
        /** The egress node's link to the child is down (it went down after the views were made). */
        LINK_DOWN;

        public String metricName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What an event carries for site routing.
     *
     * @param originSite the site it was published in
     * @param treeFp     the fingerprint of the origin's tree the publisher stamped
     * @param siteHops   gateway hops so far: the depth in the tree of the site that receives it
     */
    public record Header(String originSite, long treeFp, int siteHops) {
        public Header {
            LinkState.requireName(originSite, "origin site");
            if (siteHops < 0) {
                throw new IllegalArgumentException("siteHops must be >= 0, got " + siteHops);
            }
        }

        /** The header of the next gateway hop. */
        public Header next() {
            return new Header(originSite, treeFp, siteHops + 1);
        }
    }

    /** Send the event to child site {@code childSite} through {@code egressNode}, with header hops {@code siteHops}. */
    public record Forward(String childSite, String egressNode, int siteHops) {
    }

    /** The copy for {@code childSite} is dropped for {@code reason}. */
    public record Drop(String childSite, DropReason reason) {
    }

    /**
     * The outcome of one decision.
     *
     * @param reason   why the whole event was refused, or null when it was accepted
     * @param tree     the event's tree when accepted, else null
     * @param forwards where copies go, sorted by child site
     * @param drops    children that wanted a copy but cannot get one, sorted by child site
     */
    public record Decision(DropReason reason, SiteTree tree, List<Forward> forwards, List<Drop> drops) {
        public Decision {
            forwards = List.copyOf(forwards);
            drops = List.copyOf(drops);
        }

        static Decision refuse(DropReason reason) {
            return new Decision(reason, null, List.of(), List.of());
        }

        static Decision accept(SiteTree tree) {
            return new Decision(null, tree, List.of(), List.of());
        }

        public boolean accepted() {
            return reason == null;
        }
    }

    private final String site;
    private final String node;
    private final int maxSiteHops;

    /** @param maxSiteHops the safety cap on site hops, {@code >= 1} ({@link #DEFAULT_MAX_SITE_HOPS}) */
    public Forwarding(String site, String node, int maxSiteHops) {
        LinkState.requireName(site, "site");
        LinkState.requireName(node, "node");
        if (maxSiteHops < 1) {
            throw new IllegalArgumentException("maxSiteHops must be >= 1, got " + maxSiteHops);
        }
        this.site = site;
        this.node = node;
        this.maxSiteHops = maxSiteHops;
    }

    public String site() {
        return site;
    }

    public String node() {
        return node;
    }

    /**
     * The header of an event published here: this site's current tree, hop 0. Null when this node
     * knows no tree of its site (no record of it yet): the event can then reach no other site.
     */
    public Header stamp(TreeCache trees) {
        SiteTree t = trees.current(site);
        return t == null ? null : new Header(site, t.fingerprint(), 0);
    }

    /** The tree of a header this node publishes with, for {@link #ingress} at the publisher. */
    public SiteTree treeOf(Header header, TreeCache trees) {
        return trees.find(header.originSite(), header.treeFp());
    }

    /**
     * A gateway hop from a node of {@code fromSite}: accepted (this node becomes the site's
     * ingress, {@link Decision#tree()} is the event's tree) or refused with the reason.
     */
    public Decision receive(Header header, String fromSite, TreeCache trees) {
        SiteTree t = trees.find(header.originSite(), header.treeFp());
        if (t == null) {
            return Decision.refuse(DropReason.UNKNOWN_TREE);
        }
        if (!fromSite.equals(t.parent(site))) {
            return Decision.refuse(DropReason.NOT_PARENT);
        }
        if (header.siteHops() > maxSiteHops) {
            return Decision.refuse(DropReason.HOP_CAP);
        }
        if (header.siteHops() != t.depth(site)) {
            return Decision.refuse(DropReason.BAD_DEPTH);
        }
        return Decision.accept(t);
    }

    /**
     * Where the ingress sends the event on: to each child {@code C} of this site in {@code tree}
     * whose subtree holds a site of {@code matchingSites}, through this node when it holds a live
     * link to {@code C}, else through the holder of a link to {@code C} that rendezvous hashing
     * keyed by {@code C} picks (so every node of the site picks the same one from the same records).
     * Children that want the event but have no egress are in {@link Decision#drops()}.
     *
     * @param tree          the event's tree (from {@link #receive}, or {@link #treeOf} at the publisher)
     * @param matchingSites the sites whose interest matches the event (this site's own is ignored)
     * @param liveLinkSites the sites this node holds a live gateway link to, by its own link state
     * @param holders       child site to the nodes of this site holding a confirmed link to it
     *                      ({@link LinkStateDb#holders})
     */
    public Decision ingress(SiteTree tree, Header header, Collection<String> matchingSites, Set<String> liveLinkSites,
                            Function<String, List<String>> holders) {
        Objects.requireNonNull(tree, "tree");
        if (!tree.origin().equals(header.originSite()) || tree.fingerprint() != header.treeFp()) {
            throw new IllegalArgumentException("ingress of " + node + ": the header " + header + " is not of tree "
                    + tree);
        }
        TreeSet<String> wanted = new TreeSet<>();
        for (String m : matchingSites) {
            String c = tree.nextHop(site, m);
            if (c != null) {
                wanted.add(c);
            }
        }
        List<Forward> forwards = new ArrayList<>();
        List<Drop> drops = new ArrayList<>();
        int hops = header.siteHops() + 1;
        for (String c : wanted) {
            if (hops > maxSiteHops) {
                drops.add(new Drop(c, DropReason.HOP_CAP));
                continue;
            }
            String e = egressFor(c, liveLinkSites, holders.apply(c));
            if (e == null) {
                drops.add(new Drop(c, DropReason.NO_EGRESS));
            } else {
                forwards.add(new Forward(c, e, hops));
            }
        }
        return new Decision(null, tree, forwards, drops);
    }

    /**
     * This node when it holds a live link to {@code child}; else the holder with the highest
     * rendezvous score for {@code child} (this node excluded: the records say it holds a link it
     * knows is down); null when there is none.
     */
    String egressFor(String child, Set<String> liveLinkSites, List<String> holders) {
        if (liveLinkSites.contains(child)) {
            return node;
        }
        String best = null;
        long bestScore = 0;
        for (String h : holders) {
            if (h.equals(node)) {
                continue;
            }
            long score = Hash64.rendezvous(child, h);
            if (best == null || score > bestScore || (score == bestScore && h.compareTo(best) < 0)) {
                best = h;
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * A site peer (the ingress) named this node as egress of the event into {@code childSite}: it
     * checks the tree again with its own trees and that it still holds a live link to the child.
     * Accepted with one {@link Forward} through this node, or refused with the reason.
     */
    public Decision egress(Header header, String childSite, TreeCache trees, Set<String> liveLinkSites) {
        SiteTree t = trees.find(header.originSite(), header.treeFp());
        if (t == null) {
            return Decision.refuse(DropReason.UNKNOWN_TREE);
        }
        if (!site.equals(t.parent(childSite))) {
            return Decision.refuse(DropReason.NOT_PARENT);
        }
        int hops = header.siteHops() + 1;
        if (hops > maxSiteHops) {
            return Decision.refuse(DropReason.HOP_CAP);
        }
        if (!liveLinkSites.contains(childSite)) {
            return Decision.refuse(DropReason.LINK_DOWN);
        }
        return new Decision(null, t, List.of(new Forward(childSite, node, hops)), List.of());
    }
}
