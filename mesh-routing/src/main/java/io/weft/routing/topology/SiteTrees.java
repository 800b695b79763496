package io.weft.routing.topology;

import java.util.List;

/**
 * The trees of every origin site over one {@link SiteGraph}, computed on first use: a node needs
 * the trees of the origins whose events reach it, and a simulator or a node with hundreds of sites
 * should not pay N Dijkstras for trees nobody asks for. Since trees are a pure function of the
 * graph, one instance can be shared by every holder of an equal graph (the simulator interns them).
 *
 * <p>Not thread-safe (the lazy fill); the trees themselves are immutable.
 */
public final class SiteTrees {
    private final SiteGraph graph;
    private final SiteTree[] trees;

    public SiteTrees(SiteGraph graph) {
        this.graph = graph;
        this.trees = new SiteTree[graph.size()];
    }

    public SiteGraph graph() {
        return graph;
    }

    /** The tree of {@code origin}, or null when it is not in the graph. */
    public SiteTree tree(String origin) {
        int o = graph.indexOf(origin);
        if (o < 0) {
            return null;
        }
        if (trees[o] == null) {
            trees[o] = TreeComputer.compute(graph, o);
        }
        return trees[o];
    }

    /**
     * The origins whose trees hold {@code site}, sorted: the trees its events arrive on. A site is
     * in the tree of O exactly when some path joins them with only transit sites inside it, which
     * holds both ways, so these are the sites of {@code site}'s own tree. Empty when {@code site}
     * is not in the graph.
     */
    public List<String> origins(String site) {
        SiteTree own = tree(site);
        return own == null ? List.of() : own.sites();
    }
}
