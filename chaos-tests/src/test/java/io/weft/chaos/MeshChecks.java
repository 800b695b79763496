package io.weft.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Interest convergence and link state, read from the nodes' admin API. */
final class MeshChecks {
    private MeshChecks() {
    }

    /**
     * Interest has converged when the nodes of every site agree on their site's aggregated digest and
     * every running node holds exactly that digest for each other site.
     */
    static boolean converged(Cluster cluster) {
        return divergence(cluster).isEmpty();
    }

    /** What is not converged yet (empty when converged), for failure messages. */
    static List<String> divergence(Cluster cluster) {
        List<String> problems = new ArrayList<>();
        Map<String, JsonNode> views = new HashMap<>();
        for (Cluster.Node n : cluster.nodes()) {
            if (!n.alive()) {
                continue;
            }
            JsonNode v = cluster.get(n.name, "/v1/interest");
            if (v == null) {
                problems.add(n.name + " does not answer /v1/interest");
                continue;
            }
            views.put(n.name, v);
        }
        Map<String, String> siteDigest = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : views.entrySet()) {
            String site = cluster.node(e.getKey()).site;
            String d = e.getValue().path("siteDigest").asText();
            String prev = siteDigest.putIfAbsent(site, d);
            if (prev != null && !prev.equals(d)) {
                problems.add("site " + site + " nodes disagree on their own aggregate (" + prev + " vs " + d + " at "
                        + e.getKey() + ")");
            }
        }
        for (Map.Entry<String, JsonNode> e : views.entrySet()) {
            String mySite = cluster.node(e.getKey()).site;
            Map<String, String> held = new HashMap<>();
            e.getValue().path("sites").forEach(s -> held.put(s.path("site").asText(), s.path("digest").asText()));
            for (Map.Entry<String, String> s : siteDigest.entrySet()) {
                if (s.getKey().equals(mySite)) {
                    continue;
                }
                String h = held.get(s.getKey());
                if (!s.getValue().equals(h)) {
                    problems.add(e.getKey() + " holds " + h + " for site " + s.getKey() + ", which has " + s.getValue());
                }
            }
        }
        return problems;
    }

    /** Open links of {@code node} to nodes of {@code site}. */
    static long linksToSite(Cluster cluster, String node, String site) {
        JsonNode l = cluster.get(node, "/v1/links");
        if (l == null) {
            return -1;
        }
        long c = 0;
        for (JsonNode x : l.path("links")) {
            if (x.path("site").asText().equals(site)) {
                c++;
            }
        }
        return c;
    }

    /** Events a node sent over mesh links to nodes of {@code site}. */
    static long eventsSentToSite(Cluster cluster, String node, String site) {
        JsonNode l = cluster.get(node, "/v1/links");
        return l == null ? -1 : l.path("sentBySite").path(site).path("events").asLong(0);
    }

    /** No node of either site has a link open to the other. */
    static boolean noLinksBetween(Cluster cluster, String a, String b) {
        for (String n : cluster.names(a)) {
            if (linksToSite(cluster, n, b) != 0) {
                return false;
            }
        }
        for (String n : cluster.names(b)) {
            if (linksToSite(cluster, n, a) != 0) {
                return false;
            }
        }
        return true;
    }
}
