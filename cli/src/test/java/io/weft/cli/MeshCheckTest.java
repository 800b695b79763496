package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MeshCheckTest {
    private static JsonNode json(String s) throws Exception {
        return Cli.JSON.readTree(s.replace('\'', '"'));
    }

    /** What node {@code self} says: ready, the given states, links to the given peers. */
    private static MeshCheck.NodeDocs docs(String self, String site, String state, String nodes, String links)
            throws Exception {
        return new MeshCheck.NodeDocs(self, site, "h:1",
                json("{'node':'" + self + "','site':'" + site + "','health':{'state':'" + state + "','reasons':"
                        + (state.equals("ready") ? "[]" : "['site peer a2 is live but no route link to it is up']") + "}}"),
                json("{'nodes':[" + nodes + "],'unnamedMembers':[]}"), json("{'links':[" + links + "]}"), null);
    }

    private static String node(String name, String site, String state, boolean self) {
        return "{'node':'" + name + "','site':'" + site + "','state':'" + state + "','self':" + self + "}";
    }

    private static String link(String peer, String site, String kind) {
        return "{'peer':'" + peer + "','site':'" + site + "','kind':'" + kind + "'}";
    }

    private static final Map<String, String> SITES = new TreeMap<>(Map.of("a1", "A", "a2", "A", "b1", "B"));

    @Test
    void aWholeMeshHasNoProblem() throws Exception {
        List<MeshCheck.NodeDocs> all = List.of(
                docs("a1", "A", "ready", node("a1", "A", "ready", true) + "," + node("a2", "A", "alive", false) + ","
                        + node("b1", "B", "alive", false), link("a2", "A", "route") + "," + link("b1", "B", "gateway")),
                docs("a2", "A", "ready", node("a1", "A", "alive", false) + "," + node("a2", "A", "ready", true) + ","
                        + node("b1", "B", "alive", false), link("a1", "A", "route") + "," + link("b1", "B", "gateway")),
                docs("b1", "B", "ready", node("a1", "A", "alive", false) + "," + node("a2", "A", "alive", false) + ","
                        + node("b1", "B", "ready", true), link("a1", "A", "gateway")));
        assertEquals(Set.of("a1", "a2", "b1"), MeshCheck.known(all).keySet());
        assertEquals(List.of(), MeshCheck.viewProblems(all, SITES.keySet()));
        assertEquals(List.of(), MeshCheck.linkProblems(all, SITES));
    }

    @Test
    void aSilentSplitIsNamedNodeByNode() throws Exception {
        // issue 12, run 1: a2 held a1 as down and never opened a route to it
        List<MeshCheck.NodeDocs> all = List.of(
                docs("a1", "A", "ready", node("a1", "A", "ready", true) + "," + node("a2", "A", "alive", false) + ","
                        + node("b1", "B", "alive", false), link("b1", "B", "gateway")),
                docs("a2", "A", "starting", node("a1", "A", "down", false) + "," + node("a2", "A", "starting", true) + ","
                        + node("b1", "B", "alive", false), link("b1", "B", "gateway")),
                new MeshCheck.NodeDocs("b1", "B", "h:3", null, null, null, "connection refused"));
        assertEquals(List.of(
                "a2 is starting: site peer a2 is live but no route link to it is up",
                "a2 misses a1 (down)",
                "b1 does not answer (connection refused)"), MeshCheck.viewProblems(all, SITES.keySet()));
        assertEquals(List.of("a1 has no route link to a2", "a2 has no route link to a1"),
                MeshCheck.linkProblems(all, SITES));
    }

    /** As {@link #docs}, for a node whose site's links are configured: {@code gateways} maps address to answer. */
    private static MeshCheck.NodeDocs configured(String self, String site, String nodes, String links, String gateways)
            throws Exception {
        return new MeshCheck.NodeDocs(self, site, "h:1",
                json("{'node':'" + self + "','site':'" + site + "','health':{'state':'ready','reasons':[]},"
                        + "'siteLinks':{'gateways':{" + gateways + "},'noTransit':true}}"),
                json("{'nodes':[" + nodes + "],'unnamedMembers':[]}"), json("{'links':[" + links + "]}"), null);
    }

    @Test
    void aSiteWithConfiguredLinksIsJudgedByItsGroupAndItsGateways() throws Exception {
        // a1 and b1 share the one group and dial each other; e1 and e2 (site E) only dial a1
        Map<String, String> sites = new TreeMap<>(Map.of("a1", "A", "b1", "B", "e1", "E", "e2", "E"));
        String core = node("a1", "A", "alive", false) + "," + node("b1", "B", "alive", false) + ","
                + node("e1", "E", "down", false) + "," + node("e2", "E", "down", false);
        List<MeshCheck.NodeDocs> all = List.of(
                docs("a1", "A", "ready", core.replace("'a1','site':'A','state':'alive','self':false",
                        "'a1','site':'A','state':'ready','self':true"),
                        link("b1", "B", "gateway") + "," + link("e1", "E", "gateway") + "," + link("e2", "E", "gateway")),
                docs("b1", "B", "ready", core.replace("'b1','site':'B','state':'alive','self':false",
                        "'b1','site':'B','state':'ready','self':true"), link("a1", "A", "gateway")),
                configured("e1", "E", node("e1", "E", "ready", true) + "," + node("e2", "E", "alive", false) + ","
                        + node("a1", "A", "down", false), link("e2", "E", "route") + "," + link("a1", "A", "gateway"),
                        "'h:11':'a1@A'"),
                configured("e2", "E", node("e1", "E", "alive", false) + "," + node("e2", "E", "ready", true),
                        link("e1", "E", "route"), "'h:11':'a1@A','h:12':'(no answer)'"));
        assertEquals(List.of(), MeshCheck.viewProblems(all, sites.keySet()),
                "nodes of another membership group are not expected live");
        assertEquals(List.of("e2 has no answer at gateway address h:12, no gateway link to site A"),
                MeshCheck.linkProblems(all, sites), "the core expects no link to E; E expects its gateways' sites");
    }
}
