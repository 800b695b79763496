package io.weft.routing.topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deliberately naive, independent restatement of the tree rules, to check {@link TreeComputer}
 * against (and, in the simulator, to compute ground truth from the simulator's own link table).
 * Over an adjacency matrix: relax every edge until nothing changes (Bellman-Ford over the
 * lexicographic pair {@code (cost, hops)}), where only the origin and transit sites may relay; then
 * the parent of {@code v} is the lowest-named neighbour {@code u} that may relay and reaches
 * {@code v} at its best pair, {@code (dist(u) + w, hops(u) + 1) == (dist(v), hops(v))}. Slow
 * (O(V^2) per pass) and obviously right, which is the point.
 */
public final class ReferenceTrees {
    private static final long INF = Long.MAX_VALUE / 4;

    /**
     * The reference tree.
     *
     * @param origin  its origin
     * @param parents site to parent, every reached site but the origin
     * @param depth   site to site hops, every reached site
     * @param dist    site to path cost, every reached site
     */
    public record Tree(String origin, Map<String, String> parents, Map<String, Integer> depth, Map<String, Long> dist) {
        /** The reached sites, sorted. */
        public List<String> sites() {
            return new ArrayList<>(depth.keySet());
        }

        public long fingerprint() {
            return SiteTree.fingerprint(origin, parents);
        }

        /** The sites in the subtree of {@code root} (itself included), by walking every site's parent chain. */
        public boolean inSubtree(String root, String site) {
            for (String s = site; s != null; s = parents.get(s)) {
                if (s.equals(root)) {
                    return depth.containsKey(site);
                }
            }
            return false;
        }
    }

    private ReferenceTrees() {
    }

    /**
     * @param sites     the site names (any order)
     * @param cost      symmetric; {@code cost[i][j] > 0} is the cost of link i—j, 0 for none
     * @param noTransit per site
     */
    public static Tree compute(List<String> sites, int[][] cost, boolean[] noTransit, String origin) {
        int n = sites.size();
        int o = sites.indexOf(origin);
        if (o < 0) {
            throw new IllegalArgumentException(origin + " is not a site");
        }
        long[] dist = new long[n];
        long[] hops = new long[n];
        java.util.Arrays.fill(dist, INF);
        java.util.Arrays.fill(hops, INF);
        dist[o] = 0;
        hops[o] = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int u = 0; u < n; u++) {
                if (dist[u] == INF || !(u == o || !noTransit[u])) {
                    continue;
                }
                for (int v = 0; v < n; v++) {
                    if (cost[u][v] <= 0 || v == o) {
                        continue;
                    }
                    long d = dist[u] + cost[u][v];
                    long h = hops[u] + 1;
                    if (d < dist[v] || (d == dist[v] && h < hops[v])) {
                        dist[v] = d;
                        hops[v] = h;
                        changed = true;
                    }
                }
            }
        }
        Map<String, String> parents = new TreeMap<>();
        Map<String, Integer> depth = new TreeMap<>();
        Map<String, Long> distance = new TreeMap<>();
        for (int v = 0; v < n; v++) {
            if (dist[v] == INF) {
                continue;
            }
            depth.put(sites.get(v), (int) hops[v]);
            distance.put(sites.get(v), dist[v]);
            if (v == o) {
                continue;
            }
            String best = null;
            for (int u = 0; u < n; u++) {
                boolean relays = dist[u] != INF && (u == o || !noTransit[u]);
                if (relays && cost[u][v] > 0 && dist[u] + cost[u][v] == dist[v] && hops[u] + 1 == hops[v]
                        && (best == null || sites.get(u).compareTo(best) < 0)) {
                    best = sites.get(u);
                }
            }
            parents.put(sites.get(v), best);
        }
        return new Tree(origin, Collections.unmodifiableMap(parents), Collections.unmodifiableMap(depth),
                Collections.unmodifiableMap(distance));
    }

    /** The reference tree over a {@link SiteGraph}, read through its public accessors only. */
    public static Tree compute(SiteGraph g, String origin) {
        List<String> sites = g.sites();
        int n = sites.size();
        int[][] cost = new int[n][n];
        boolean[] nt = new boolean[n];
        for (int i = 0; i < n; i++) {
            nt[i] = g.isNoTransit(sites.get(i));
            for (Map.Entry<String, Integer> e : g.neighbours(sites.get(i)).entrySet()) {
                cost[i][sites.indexOf(e.getKey())] = e.getValue();
            }
        }
        return compute(sites, cost, nt, origin);
    }
}
