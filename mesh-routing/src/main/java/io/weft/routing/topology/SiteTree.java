package io.weft.routing.topology;

import io.weft.routing.Hash64;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The shortest-path tree of one origin site over one {@link SiteGraph}: the route every event
 * published in the origin takes to the other sites ({@link TreeComputer} builds it). Sites the
 * origin cannot reach are not in it.
 *
 * <p>Its {@link #fingerprint()} names it in event headers: a 64-bit hash of the canonical sorted
 * list of {@code (site, parent)}, so it depends on the parent map only. A graph change that leaves
 * the tree alone (a link elsewhere, a cost that changes no choice) leaves the fingerprint alone, and
 * events stamped before the change keep being accepted everywhere.
 *
 * <p>Immutable. Subtree questions cost O(1) ({@link #inSubtree}, by pre- and post-order numbers)
 * and {@link #nextHop} a binary search among the children.
 */
public final class SiteTree {
    private final SiteGraph graph;
    private final int origin;
    /** Per site number, the parent's number, or -1 for the origin and for sites not in the tree. */
    private final int[] parent;
    /** Per site number, the number of site hops from the origin, or -1 when not in the tree. */
    private final int[] depth;
    private final int[][] children;
    /** Pre-order number of each site; a subtree is the range {@code [pre, post)}. */
    private final int[] pre;
    private final int[] post;
    private final int size;
    private final long fingerprint;

    /** {@code parent} and {@code depth} are indexed by site number of {@code graph}; taken as they are. */
    SiteTree(SiteGraph graph, int origin, int[] parent, int[] depth) {
        this.graph = graph;
        this.origin = origin;
        this.parent = parent;
        this.depth = depth;
        int n = graph.size();
        int[] count = new int[n];
        int members = 0;
        for (int v = 0; v < n; v++) {
            if (depth[v] >= 0) {
                members++;
                if (parent[v] >= 0) {
                    count[parent[v]]++;
                }
            }
        }
        this.size = members;
        this.children = new int[n][];
        for (int v = 0; v < n; v++) {
            children[v] = new int[count[v]];
            count[v] = 0;
        }
        for (int v = 0; v < n; v++) { // ascending, so each list is sorted by number, that is by name
            if (depth[v] >= 0 && parent[v] >= 0) {
                children[parent[v]][count[parent[v]]++] = v;
            }
        }
        this.pre = new int[n];
        this.post = new int[n];
        number();
        this.fingerprint = computeFingerprint();
    }

    /** Pre- and post-order numbers by an explicit-stack walk (a chain of 1,000 sites must not overflow the stack). */
    private void number() {
        java.util.Arrays.fill(pre, -1);
        int[] stack = new int[Math.max(1, size)];
        int[] next = new int[graph.size()];
        int top = 0;
        int counter = 0;
        stack[top++] = origin;
        pre[origin] = counter++;
        while (top > 0) {
            int v = stack[top - 1];
            if (next[v] < children[v].length) {
                int c = children[v][next[v]++];
                pre[c] = counter++;
                stack[top++] = c;
            } else {
                post[v] = counter;
                top--;
            }
        }
    }

    private long computeFingerprint() {
        long h = Hash64.FNV_OFFSET;
        for (int v = 0; v < graph.size(); v++) {
            if (depth[v] >= 0) {
                h = mixPair(h, graph.site(v), parent[v] >= 0 ? graph.site(parent[v]) : null);
            }
        }
        return Hash64.fmix64(h);
    }

    /**
     * The fingerprint of the tree rooted at {@code origin} with {@code parents} (site to parent, for
     * every site of the tree but the origin): the same function as {@link #fingerprint()}, for
     * references that build parent maps their own way.
     */
    public static long fingerprint(String origin, Map<String, String> parents) {
        TreeMap<String, String> all = new TreeMap<>(parents);
        if (all.containsKey(origin)) {
            throw new IllegalArgumentException("the origin " + origin + " has no parent");
        }
        all.put(origin, null);
        long h = Hash64.FNV_OFFSET;
        for (Map.Entry<String, String> e : all.entrySet()) {
            h = mixPair(h, e.getKey(), e.getValue());
        }
        return Hash64.fmix64(h);
    }

    private static long mixPair(long h, String site, String parent) {
        h = Hash64.mixString(h, site);
        h = Hash64.mixUnit(h, Hash64.SEPARATOR);
        h = parent == null ? Hash64.mixUnit(h, Hash64.NULL_FIELD) : Hash64.mixString(h, parent);
        return Hash64.mixUnit(h, Hash64.SEPARATOR);
    }

    public String origin() {
        return graph.site(origin);
    }

    /** The graph the tree was computed from. */
    public SiteGraph graph() {
        return graph;
    }

    public long fingerprint() {
        return fingerprint;
    }

    /** The number of sites in the tree, the origin included. */
    public int size() {
        return size;
    }

    public boolean contains(String site) {
        int v = graph.indexOf(site);
        return v >= 0 && depth[v] >= 0;
    }

    /** The parent of {@code site}, or null for the origin and for a site not in the tree. */
    public String parent(String site) {
        int v = graph.indexOf(site);
        return v < 0 || parent[v] < 0 ? null : graph.site(parent[v]);
    }

    /** The site hops from the origin to {@code site}, or -1 when it is not in the tree. */
    public int depth(String site) {
        int v = graph.indexOf(site);
        return v < 0 ? -1 : depth[v];
    }

    /** The children of {@code site}, sorted; empty for a leaf and for a site not in the tree. */
    public List<String> children(String site) {
        int v = graph.indexOf(site);
        if (v < 0 || depth[v] < 0) {
            return List.of();
        }
        List<String> out = new ArrayList<>(children[v].length);
        for (int c : children[v]) {
            out.add(graph.site(c));
        }
        return Collections.unmodifiableList(out);
    }

    /** Whether {@code site} has children in this tree (without building {@link #children}: asked per event). */
    public boolean hasChildren(String site) {
        int v = graph.indexOf(site);
        return v >= 0 && depth[v] >= 0 && children[v].length > 0;
    }

    /** Whether {@code site} is {@code root} or below it. False when either is not in the tree. */
    public boolean inSubtree(String root, String site) {
        int r = graph.indexOf(root);
        int v = graph.indexOf(site);
        return r >= 0 && v >= 0 && depth[r] >= 0 && depth[v] >= 0 && pre[r] <= pre[v] && pre[v] < post[r];
    }

    /** The sites of the subtree rooted at {@code root} ({@code root} included), sorted; empty when not in the tree. */
    public List<String> subtree(String root) {
        List<String> out = new ArrayList<>();
        for (String s : graph.sites()) {
            if (inSubtree(root, s)) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * The child of {@code from} whose subtree holds {@code target}: where {@code from} sends an
     * event for {@code target}. Null when {@code target} is not below {@code from} (or is it).
     */
    public String nextHop(String from, String target) {
        int f = graph.indexOf(from);
        int t = graph.indexOf(target);
        if (f < 0 || t < 0 || f == t || depth[f] < 0 || depth[t] < 0 || pre[t] < pre[f] || pre[t] >= post[f]) {
            return null;
        }
        int[] cs = children[f]; // their pre-order numbers ascend in list order
        int lo = 0;
        int hi = cs.length - 1;
        while (lo < hi) { // the last child whose pre-order number is <= the target's
            int mid = (lo + hi + 1) >>> 1;
            if (pre[cs[mid]] <= pre[t]) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return graph.site(cs[lo]);
    }

    /** The sites of the tree, sorted. */
    public List<String> sites() {
        List<String> out = new ArrayList<>(size);
        for (int v = 0; v < graph.size(); v++) {
            if (depth[v] >= 0) {
                out.add(graph.site(v));
            }
        }
        return out;
    }

    /** Site to parent for every site of the tree but the origin, sorted by site. */
    public SortedMap<String, String> parents() {
        TreeMap<String, String> out = new TreeMap<>();
        for (int v = 0; v < graph.size(); v++) {
            if (parent[v] >= 0) {
                out.put(graph.site(v), graph.site(parent[v]));
            }
        }
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public String toString() {
        return "SiteTree[" + origin() + " " + String.format("%016x", fingerprint) + " " + parents() + "]";
    }
}
