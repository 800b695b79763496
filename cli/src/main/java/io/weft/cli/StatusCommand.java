package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.client.BrokerCandidate;
import io.weft.client.MeshClient;
import io.weft.protocol.Info;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code meshctl status}: every node of every site as the connected broker sees them, and its links. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the nodes of the mesh (all sites) and, with --links, this node's links and traffic.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Option(names = "--links", description = "Also show route and gateway links with events and bytes sent.")
    boolean links;

    @Option(names = "--topology", description = "Also show the site graph of the link-state map: sites, the links "
            + "between them with costs and the node pairs behind them, and the tree an event from each site follows.")
    boolean topology;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (MeshClient client = server.connect("meshctl-status")) {
            Info info = client.serverInfo();
            JsonNode nodes = Cli.JSON.readTree(client.admin("/v1/nodes").get(10, TimeUnit.SECONDS));
            JsonNode health = Cli.JSON.readTree(client.admin("/v1/node").get(10, TimeUnit.SECONDS)).path("health");
            JsonNode linkDoc = links ? Cli.JSON.readTree(client.admin("/v1/links").get(10, TimeUnit.SECONDS)) : null;
            JsonNode topoDoc = topology ? Cli.JSON.readTree(client.admin("/v1/topology").get(10, TimeUnit.SECONDS)) : null;
            if (json) {
                ObjectNode out = Cli.JSON.createObjectNode();
                out.put("server", client.connectedServer());
                out.put("node", info.node());
                out.put("site", info.site());
                out.put("version", info.serverVersion());
                out.put("protocolVersion", info.version());
                out.put("ready", info.ready());
                out.set("nodes", nodes.path("nodes"));
                out.set("unnamedMembers", nodes.path("unnamedMembers"));
                out.set("health", health);
                ArrayNode cands = out.putArray("candidates");
                for (BrokerCandidate c : client.candidates()) {
                    ObjectNode o = cands.addObject();
                    o.put("address", c.address());
                    o.put("node", c.node());
                    o.put("site", c.site());
                    o.put("ready", c.ready());
                    if (c.rttNanos() >= 0) {
                        o.put("rttMs", c.rttNanos() / 1e6);
                    } else {
                        o.putNull("rttMs");
                    }
                    o.put("error", c.error());
                }
                if (linkDoc != null) {
                    out.set("links", linkDoc);
                }
                if (topoDoc != null) {
                    out.set("topology", topoDoc);
                }
                System.out.println(Cli.JSON.writeValueAsString(out));
                return 0;
            }
            System.out.printf("connected to %s: node %s, site %s, meshd %s, protocol v%d, %s (nearest of %d candidates)%n",
                    client.connectedServer(), info.node(), info.site(), info.serverVersion(), info.version(),
                    info.ready() ? "ready" : "NOT READY", client.candidates().size());
            printHealth(health, nodes.path("unnamedMembers"));
            System.out.printf("%n%-12s %-20s %-10s %-22s %-22s%n", "SITE", "NODE", "STATE", "CLIENT", "MESH");
            for (JsonNode n : nodes.path("nodes")) {
                System.out.printf("%-12s %-20s %-10s %-22s %-22s%n", n.path("site").asText(),
                        n.path("node").asText() + (n.path("self").asBoolean() ? " *" : ""), n.path("state").asText(),
                        n.path("client").asText(), n.path("mesh").asText());
            }
            if (linkDoc != null) {
                System.out.printf("%n%-20s %-10s %-8s %-4s %12s %14s %10s %9s%n", "PEER", "SITE", "KIND", "DIR",
                        "EVENTS OUT", "BYTES OUT", "EVENTS IN", "RTT(us)");
                for (JsonNode l : linkDoc.path("links")) {
                    System.out.printf("%-20s %-10s %-8s %-4s %12d %14d %10d %9s%n", l.path("peer").asText(),
                            l.path("site").asText(), l.path("kind").asText(), l.path("direction").asText(),
                            l.path("eventsSent").asLong(), l.path("bytesSent").asLong(), l.path("eventsReceived").asLong(),
                            l.path("rttMicros").isNull() ? "-" : l.path("rttMicros").asText());
                }
                System.out.printf("%nsent by remote site:%n");
                linkDoc.path("sentBySite").fields().forEachRemaining(e -> System.out.printf("  %-12s %10d events %14d bytes%n",
                        e.getKey(), e.getValue().path("events").asLong(), e.getValue().path("bytes").asLong()));
            }
            if (topoDoc != null) {
                printTopology(topoDoc);
            }
        }
        return 0;
    }

    /** The site graph and trees of {@code GET /v1/topology}, for people. */
    static void printTopology(JsonNode t) {
        if (t.path("sites").isMissingNode()) {
            System.out.printf("%nsite graph: not known yet (the node has not started its link-state map)%n");
            return;
        }
        JsonNode db = t.path("database");
        System.out.printf("%nsite graph (link-state map: %d records, digest %s):%n", db.path("records").asInt(),
                db.path("digest").asText());
        for (JsonNode s : t.path("sites")) {
            System.out.printf("  %-12s %-11s nodes %s%n", s.path("site").asText(),
                    s.path("noTransit").asBoolean() ? "no-transit" : "", s.path("nodes"));
        }
        if (t.path("links").isEmpty()) {
            System.out.println("  no site links up");
        }
        for (JsonNode l : t.path("links")) {
            System.out.printf("  %s -- %s  cost %d  via %s%n", l.path("sites").get(0).asText(), l.path("sites").get(1).asText(),
                    l.path("cost").asInt(), l.path("pairs"));
        }
        System.out.printf("%ntrees (origin: site <- parent at depth):%n");
        t.path("trees").fields().forEachRemaining(e -> {
            StringBuilder b = new StringBuilder();
            e.getValue().path("parents").fields().forEachRemaining(p -> b.append(b.length() == 0 ? "" : ", ")
                    .append(p.getKey()).append(" <- ").append(p.getValue().asText()).append(" @")
                    .append(e.getValue().path("depths").path(p.getKey()).asInt()));
            System.out.printf("  %-12s %s  [%s]%n", e.getKey(), b.length() == 0 ? "(alone)" : b,
                    e.getValue().path("fingerprint").asText());
        });
        JsonNode gateways = t.path("gateways");
        if (gateways.size() > 0) {
            System.out.printf("%ngateways dialled (--gateways: address -> node that answers):%n");
            gateways.fields().forEachRemaining(g -> System.out.printf("  %-22s %s%n", g.getKey(), g.getValue().asText()));
        }
        JsonNode relayed = t.path("relayedInterest");
        if (relayed.path("sites").size() > 0) {
            System.out.printf("%nrelayed interest (site: speaker, version, entries)%s:%n",
                    relayed.path("speaking").asBoolean() ? ", this node speaks for its site" : "");
            relayed.path("sites").fields().forEachRemaining(r -> System.out.printf("  %-12s %s  v%s  %d entries%n",
                    r.getKey(), r.getValue().path("speaker").asText(), r.getValue().path("version").asText(),
                    r.getValue().path("entries").asInt()));
        }
        StringBuilder drops = new StringBuilder();
        t.path("drops").fields().forEachRemaining(d -> {
            if (d.getValue().asLong() > 0) {
                drops.append(drops.length() == 0 ? "" : ", ").append(d.getKey()).append(' ').append(d.getValue().asLong());
            }
        });
        if (drops.length() > 0) {
            System.out.printf("%ntree events dropped here: %s%n", drops);
        }
    }

    /**
     * The node's view of the mesh: consistent, or each disagreement between membership and links
     * (a node that is up but unseen must show here, not as lost events).
     */
    static void printHealth(JsonNode health, JsonNode unnamed) {
        if (health.isMissingNode()) {
            return;
        }
        String state = health.path("state").asText();
        JsonNode problems = health.path("problems");
        if (state.equals("ready") && problems.isEmpty()) {
            System.out.println("view: consistent (membership, links and interest agree)");
            return;
        }
        System.out.println("view: " + (state.equals("ready") ? "ready, settling" : state.toUpperCase(java.util.Locale.ROOT)));
        for (JsonNode r : health.path("reasons")) {
            System.out.println("  not ready: " + r.asText());
        }
        for (JsonNode p : problems) {
            System.out.printf("  %s (for %.1f s)%n", p.path("detail").asText(), p.path("seconds").asDouble());
        }
        if (unnamed.size() > 0) {
            System.out.println("  unnamed membership members: " + unnamed);
        }
        JsonNode repairs = health.path("repairs");
        if (repairs.size() > 0) {
            System.out.println("  repairs so far: " + repairs);
        }
    }
}
