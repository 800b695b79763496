package io.weft.routing.topology;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The trees of a node's last K site graphs, looked up by {@code (origin, fingerprint)}.
 *
 * <p>Why keep old ones: an event is stamped with the fingerprint of the tree its publisher held,
 * and every hop accepts it only on that same tree. While a change floods, the hops of an event
 * hold different graphs; with the old trees kept, an event stamped just before a change still
 * finds its tree everywhere and completes on the old tree's live links, instead of being dropped
 * as {@code unknown_tree}. K bounds memory and how long an old tree lives (K=4 graph versions,
 * a few seconds of changes at most). A tree the change did not alter keeps its fingerprint, so it
 * is found in the newest version anyway.
 *
 * <p>Not thread-safe.
 */
public final class TreeCache {
    public static final int DEFAULT_VERSIONS = 4;

    private final int maxVersions;
    /** Newest first. */
    private final ArrayDeque<SiteTrees> versions = new ArrayDeque<>();

    public TreeCache() {
        this(DEFAULT_VERSIONS);
    }

    /** @param maxVersions how many graph versions to keep, {@code >= 1} */
    public TreeCache(int maxVersions) {
        if (maxVersions < 1) {
            throw new IllegalArgumentException("maxVersions must be >= 1, got " + maxVersions);
        }
        this.maxVersions = maxVersions;
    }

    /** Installs the trees of {@code graph} as the current version; see {@link #install(SiteTrees)}. */
    public boolean install(SiteGraph graph) {
        SiteTrees cur = versions.peekFirst();
        return (cur == null || !cur.graph().equals(graph)) && install(new SiteTrees(graph));
    }

    /**
     * Installs {@code trees} as the current version, dropping the oldest beyond K.
     *
     * @return false, and nothing changes, when its graph equals the current one
     */
    public boolean install(SiteTrees trees) {
        SiteTrees cur = versions.peekFirst();
        if (cur != null && cur.graph().equals(trees.graph())) {
            return false;
        }
        versions.addFirst(trees);
        while (versions.size() > maxVersions) {
            versions.removeLast();
        }
        return true;
    }

    /** The newest version, or null before the first install. */
    public SiteTrees current() {
        return versions.peekFirst();
    }

    /** The current tree of {@code origin}, or null when there is none. */
    public SiteTree current(String origin) {
        SiteTrees cur = versions.peekFirst();
        return cur == null ? null : cur.tree(origin);
    }

    /** The tree of {@code origin} with fingerprint {@code fingerprint} in the newest version that has it, or null. */
    public SiteTree find(String origin, long fingerprint) {
        for (Iterator<SiteTrees> it = versions.iterator(); it.hasNext(); ) {
            SiteTree t = it.next().tree(origin);
            if (t != null && t.fingerprint() == fingerprint) {
                return t;
            }
        }
        return null;
    }

    /** The number of graph versions held. */
    public int versions() {
        return versions.size();
    }
}
