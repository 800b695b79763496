package io.weft.routing.topology;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Computes the shortest-path tree of an origin site: Dijkstra over a {@link SiteGraph}, with rules
 * that make the result a function of the graph alone, so that every node holding the same graph
 * computes the same tree and the same fingerprint:
 * <ul>
 *   <li>a site's parent is the candidate {@code u} minimising {@code (dist(u) + cost(u, v),
 *       hops(u) + 1, name(u))}: least cost, then fewest site hops (shorter trees, fewer chances to
 *       lose an event in flight), then the lowest name;</li>
 *   <li>a no-transit site other than the origin is settled but never relaxed: it can only be a
 *       leaf, so an edge site never carries traffic between two others.</li>
 * </ul>
 * Costs are positive, so every candidate that reaches a site at its best {@code (dist, hops)} has
 * a strictly smaller pair and is settled first: the last comparison, by name, sees all of them.
 * O(E log V) per origin.
 */
public final class TreeComputer {
    private TreeComputer() {
    }

    /** The tree of {@code origin} over {@code graph}, or null when {@code origin} is not in the graph. */
    public static SiteTree compute(SiteGraph graph, String origin) {
        int o = graph.indexOf(origin);
        return o < 0 ? null : compute(graph, o);
    }

    static SiteTree compute(SiteGraph graph, int origin) {
        int n = graph.size();
        long[] dist = new long[n];
        int[] hops = new int[n];
        int[] parent = new int[n];
        boolean[] settled = new boolean[n];
        Arrays.fill(dist, Long.MAX_VALUE);
        Arrays.fill(hops, -1);
        Arrays.fill(parent, -1);
        dist[origin] = 0;
        hops[origin] = 0;
        // entries {dist, hops, site}; stale ones (a better label was pushed since) are skipped
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> {
            int c = Long.compare(a[0], b[0]);
            if (c == 0) {
                c = Long.compare(a[1], b[1]);
            }
            return c != 0 ? c : Long.compare(a[2], b[2]);
        });
        queue.add(new long[] {0, 0, origin});
        while (!queue.isEmpty()) {
            long[] top = queue.poll();
            int u = (int) top[2];
            if (settled[u] || top[0] != dist[u] || top[1] != hops[u]) {
                continue;
            }
            settled[u] = true;
            if (u != origin && graph.isNoTransit(u)) {
                continue; // a leaf only
            }
            int[] adj = graph.adjacency(u);
            int[] cost = graph.costs(u);
            for (int k = 0; k < adj.length; k++) {
                int v = adj[k];
                if (settled[v]) {
                    continue;
                }
                long d = dist[u] + cost[k];
                int h = hops[u] + 1;
                if (better(d, h, u, dist[v], hops[v], parent[v])) {
                    dist[v] = d;
                    hops[v] = h;
                    parent[v] = u;
                    queue.add(new long[] {d, h, v});
                }
            }
        }
        return new SiteTree(graph, origin, parent, hops);
    }

    /** {@code (d, h, u) < (dv, hv, pv)}; site numbers follow name order, so comparing them compares names. */
    private static boolean better(long d, int h, int u, long dv, int hv, int pv) {
        if (d != dv) {
            return d < dv;
        }
        if (h != hv) {
            return h < hv;
        }
        return u < pv;
    }
}
