package io.weft.routing.topology;

import io.weft.routing.Hash64;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The site graph: sites, the confirmed site links between them with their costs, and which sites
 * are no-transit. It is what {@link LinkStateDb#siteGraph()} derives from the link-state records
 * and all that {@link TreeComputer} reads, so two nodes with equal graphs compute equal trees.
 *
 * <p>Immutable. Sites are kept sorted by name and numbered in that order, so the numbering, the
 * adjacency lists (sorted too) and {@link #digest()} depend on the graph only, never on the order
 * the records arrived in. Links are undirected, one cost per link.
 */
public final class SiteGraph {
    /** The graph with no site at all: what a node knows before any record. */
    public static final SiteGraph EMPTY = new Builder().build();

    private final String[] sites;
    private final Map<String, Integer> index;
    private final boolean[] noTransit;
    /** Per site, its neighbours' numbers, ascending; {@link #costs} is parallel. */
    private final int[][] neighbours;
    private final int[][] costs;
    private final int links;
    private final long digest;

    private SiteGraph(String[] sites, boolean[] noTransit, int[][] neighbours, int[][] costs) {
        this.sites = sites;
        this.noTransit = noTransit;
        this.neighbours = neighbours;
        this.costs = costs;
        this.index = new HashMap<>(sites.length * 2);
        for (int i = 0; i < sites.length; i++) {
            index.put(sites[i], i);
        }
        int n = 0;
        for (int[] adj : neighbours) {
            n += adj.length;
        }
        this.links = n / 2;
        this.digest = computeDigest();
    }

    /** Collects sites and links in any order; {@link #build()} sorts them. */
    public static final class Builder {
        private final TreeMap<String, Boolean> sites = new TreeMap<>();
        private final TreeMap<String, TreeMap<String, Integer>> adjacency = new TreeMap<>();

        /** Adds {@code site}; it is no-transit when any call says so. */
        public Builder site(String site, boolean noTransit) {
            LinkState.requireName(site, "site");
            sites.merge(site, noTransit, Boolean::logicalOr);
            return this;
        }

        /**
         * Adds the link {@code a}—{@code b} (and both sites, if absent, as transit sites); when the
         * link is there already it keeps the lower cost: of several node pairs joining two sites,
         * the cheapest carries the traffic.
         */
        public Builder link(String a, String b, int cost) {
            if (a.equals(b)) {
                throw new IllegalArgumentException("a site link joins two sites, got " + a + " twice");
            }
            if (cost < LinkState.MIN_COST || cost > LinkState.MAX_COST) {
                throw new IllegalArgumentException("site link cost must be " + LinkState.MIN_COST + ".."
                        + LinkState.MAX_COST + ", got " + cost + " for " + a + "-" + b);
            }
            site(a, false);
            site(b, false);
            adjacency.computeIfAbsent(a, k -> new TreeMap<>()).merge(b, cost, Math::min);
            adjacency.computeIfAbsent(b, k -> new TreeMap<>()).merge(a, cost, Math::min);
            return this;
        }

        public SiteGraph build() {
            String[] names = sites.keySet().toArray(new String[0]);
            Map<String, Integer> number = new HashMap<>();
            for (int i = 0; i < names.length; i++) {
                number.put(names[i], i);
            }
            boolean[] nt = new boolean[names.length];
            int[][] adj = new int[names.length][];
            int[][] cost = new int[names.length][];
            for (int i = 0; i < names.length; i++) {
                nt[i] = sites.get(names[i]);
                TreeMap<String, Integer> m = adjacency.getOrDefault(names[i], new TreeMap<>());
                adj[i] = new int[m.size()];
                cost[i] = new int[m.size()];
                int k = 0;
                for (Map.Entry<String, Integer> e : m.entrySet()) { // sorted by name, so by number too
                    adj[i][k] = number.get(e.getKey());
                    cost[i][k] = e.getValue();
                    k++;
                }
            }
            return new SiteGraph(names, nt, adj, cost);
        }
    }

    public int size() {
        return sites.length;
    }

    /** The sites, sorted by name. */
    public List<String> sites() {
        return Collections.unmodifiableList(Arrays.asList(sites));
    }

    /** The number of {@code site} (its rank by name), or -1 when it is not in the graph. */
    public int indexOf(String site) {
        Integer i = index.get(site);
        return i == null ? -1 : i;
    }

    public String site(int number) {
        return sites[number];
    }

    public boolean contains(String site) {
        return index.containsKey(site);
    }

    /** Whether {@code site} may only be a leaf of trees rooted elsewhere; false for a site not in the graph. */
    public boolean isNoTransit(String site) {
        Integer i = index.get(site);
        return i != null && noTransit[i];
    }

    public boolean isNoTransit(int number) {
        return noTransit[number];
    }

    /** The neighbours of {@code site} to the cost of the link, sorted by name; empty for a site not in the graph. */
    public Map<String, Integer> neighbours(String site) {
        Integer i = index.get(site);
        TreeMap<String, Integer> out = new TreeMap<>();
        if (i != null) {
            for (int k = 0; k < neighbours[i].length; k++) {
                out.put(sites[neighbours[i][k]], costs[i][k]);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The cost of the link {@code a}—{@code b}, or 0 when there is none. */
    public int cost(String a, String b) {
        Integer i = index.get(a);
        Integer j = index.get(b);
        if (i == null || j == null) {
            return 0;
        }
        int k = Arrays.binarySearch(neighbours[i], j);
        return k >= 0 ? costs[i][k] : 0;
    }

    /** The number of site links. */
    public int linkCount() {
        return links;
    }

    /** Neighbour numbers of site {@code number}, ascending; callers must not modify the array. */
    int[] adjacency(int number) {
        return neighbours[number];
    }

    /** Costs parallel to {@link #adjacency}; callers must not modify the array. */
    int[] costs(int number) {
        return costs[number];
    }

    /**
     * A 64-bit hash of the canonical form (sites in order with their no-transit flag, then each
     * link once with its cost): equal graphs have equal digests on every node and JVM.
     */
    public long digest() {
        return digest;
    }

    private long computeDigest() {
        long h = Hash64.FNV_OFFSET;
        for (int i = 0; i < sites.length; i++) {
            h = Hash64.mixString(h, sites[i]);
            h = Hash64.mixUnit(h, noTransit[i] ? 1 : 0);
            h = Hash64.mixUnit(h, Hash64.SEPARATOR);
        }
        for (int i = 0; i < sites.length; i++) {
            for (int k = 0; k < neighbours[i].length; k++) {
                if (neighbours[i][k] > i) {
                    h = Hash64.mixLong(h, ((long) i << 32) | neighbours[i][k]);
                    h = Hash64.mixUnit(h, costs[i][k]);
                }
            }
        }
        return Hash64.fmix64(h);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SiteGraph g) || g.digest != digest) {
            return false;
        }
        return Arrays.equals(sites, g.sites) && Arrays.equals(noTransit, g.noTransit)
                && Arrays.deepEquals(neighbours, g.neighbours) && Arrays.deepEquals(costs, g.costs);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(digest);
    }

    /** For logs and test failures: {@code a*-b(2), ...}, a star marking a no-transit site. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("SiteGraph[");
        for (int i = 0; i < sites.length; i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append(sites[i]).append(noTransit[i] ? "*" : "");
            char sep = ':';
            for (int k = 0; k < neighbours[i].length; k++) {
                if (neighbours[i][k] > i) {
                    b.append(sep);
                    sep = ',';
                    b.append(sites[neighbours[i][k]]).append('(').append(costs[i][k])
                            .append(')');
                }
            }
        }
        return b.append(']').toString();
    }
}
