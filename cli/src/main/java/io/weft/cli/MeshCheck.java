package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The judgement of {@code meshctl check}, apart from its I/O: given what every node says of itself
 * ({@code /v1/node}), of the mesh ({@code /v1/nodes}) and of its links ({@code /v1/links}), which
 * node misses whom. Pure: documents in, sentences out.
 */
final class MeshCheck {
    private MeshCheck() {
    }

    /**
     * What one node said; a document is null when the node did not answer.
     *
     * @param error why it did not answer, or null
     */
    record NodeDocs(String name, String site, String client, JsonNode node, JsonNode nodes, JsonNode links,
                    String error) {
    }

    /** Every node any node lists, by name: site and client address (from whoever listed it). */
    static Map<String, String[]> known(Collection<NodeDocs> docs) {
        Map<String, String[]> out = new TreeMap<>();
        for (NodeDocs d : docs) {
            out.putIfAbsent(d.name(), new String[] {d.site(), d.client()});
            if (d.nodes() != null) {
                for (JsonNode n : d.nodes().path("nodes")) {
                    out.putIfAbsent(n.path("node").asText(), new String[] {n.path("site").asText(), n.path("client").asText()});
                }
            }
        }
        return out;
    }

    /**
     * The membership group a node is in: its own site's when its site's links are configured
     * ({@code --gateways}, {@code siteLinks} in {@code /v1/node}), else the one group of every other node.
     * Null when the node did not answer.
     */
    static String group(NodeDocs d) {
        if (d == null || d.node() == null) {
            return null;
        }
        return d.node().path("siteLinks").isMissingNode() ? "" : "site " + d.site();
    }

    /**
     * The view part: every node answers, is ready, lists every known node of its membership group as
     * live and has no unnamed member. A node whose site's links are configured has a group of its own
     * site; the other nodes share one.
     */
    static List<String> viewProblems(Collection<NodeDocs> docs, Set<String> known) {
        List<String> out = new ArrayList<>();
        Map<String, String> groups = new TreeMap<>();
        for (NodeDocs d : docs) {
            String g = group(d);
            if (g != null) {
                groups.put(d.name(), g);
            }
        }
        for (NodeDocs d : docs) {
            if (d.error() != null) {
                out.add(d.name() + " does not answer (" + d.error() + ")");
                continue;
            }
            JsonNode health = d.node().path("health");
            String state = health.path("state").asText(d.node().path("ready").asBoolean() ? "ready" : "starting");
            if (!state.equals("ready")) {
                List<String> reasons = new ArrayList<>();
                health.path("reasons").forEach(r -> reasons.add(r.asText()));
                out.add(d.name() + " is " + state + (reasons.isEmpty() ? "" : ": " + String.join("; ", reasons)));
            }
            Set<String> live = new TreeSet<>();
            Map<String, String> states = new TreeMap<>();
            for (JsonNode n : d.nodes().path("nodes")) {
                String name = n.path("node").asText();
                String s = n.path("state").asText();
                states.put(name, s);
                if (n.path("self").asBoolean() || s.equals("alive")) {
                    live.add(name);
                }
            }
            List<String> misses = new ArrayList<>();
            String mine = groups.get(d.name());
            for (String k : known) {
                String theirs = groups.get(k);
                if (theirs != null && !theirs.equals(mine)) {
                    continue; // another membership group: reached through the site graph, not the view
                }
                if (!live.contains(k)) {
                    misses.add(k + " (" + states.getOrDefault(k, "unknown") + ")");
                }
            }
            if (!misses.isEmpty()) {
                out.add(d.name() + " misses " + String.join(", ", misses));
            }
            JsonNode unnamed = d.nodes().path("unnamedMembers");
            if (unnamed.size() > 0) {
                List<String> u = new ArrayList<>();
                unnamed.forEach(x -> u.add(x.asText()));
                out.add(d.name() + " has " + u.size() + " membership member(s) that have not said who they are: " + u);
            }
        }
        return out;
    }

    /**
     * The link part: every node has a route link up to every other node of its site and a gateway
     * link up to a node of every other site of its membership group; a node whose site's links are
     * configured instead has an answer at every address it was given and a gateway link up to each
     * site that answered there.
     *
     * @param sites every known node's site, by node name
     */
    static List<String> linkProblems(Collection<NodeDocs> docs, Map<String, String> sites) {
        List<String> out = new ArrayList<>();
        Set<String> meshSites = new TreeSet<>();
        Set<String> configured = new TreeSet<>();
        for (NodeDocs d : docs) {
            String g = group(d);
            if ("".equals(g)) {
                meshSites.add(d.site());
            } else if (g != null) {
                configured.add(d.site());
            }
        }
        sites.values().stream().filter(s -> !configured.contains(s)).forEach(meshSites::add);
        for (NodeDocs d : docs) {
            if (d.error() != null || d.links() == null) {
                continue;
            }
            Set<String> routes = new TreeSet<>();
            Set<String> gatewaySites = new TreeSet<>();
            for (JsonNode l : d.links().path("links")) {
                if (l.path("kind").asText().equals("route")) {
                    routes.add(l.path("peer").asText());
                } else if (l.path("kind").asText().equals("gateway")) {
                    gatewaySites.add(l.path("site").asText());
                }
            }
            List<String> missing = new ArrayList<>();
            sites.forEach((node, site) -> {
                if (site.equals(d.site()) && !node.equals(d.name()) && !routes.contains(node)) {
                    missing.add("route link to " + node);
                }
            });
            Set<String> wanted = new TreeSet<>();
            JsonNode siteLinks = d.node() == null ? null : d.node().path("siteLinks");
            if (siteLinks == null || siteLinks.isMissingNode()) {
                wanted.addAll(meshSites);
            } else {
                siteLinks.path("gateways").fields().forEachRemaining(a -> {
                    int at = a.getValue().asText().lastIndexOf('@');
                    if (at < 0) {
                        missing.add("answer at gateway address " + a.getKey());
                    } else {
                        wanted.add(a.getValue().asText().substring(at + 1));
                    }
                });
            }
            for (String site : wanted) {
                if (!site.equals(d.site()) && !gatewaySites.contains(site)) {
                    missing.add("gateway link to site " + site);
                }
            }
            if (!missing.isEmpty()) {
                out.add(d.name() + " has no " + String.join(", no ", missing));
            }
        }
        return out;
    }
}
