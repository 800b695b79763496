package io.weft.cli;

import io.weft.client.MeshClient;
import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code meshctl status}: the broker reached and the nodes it knows. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show the broker node and the nodes it knows.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (MeshClient client = server.connect("meshctl-status")) {
            Info info = client.serverInfo();
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("server", client.connectedServer());
                out.put("node", info.node());
                out.put("site", info.site());
                out.put("version", info.serverVersion());
                out.put("protocolVersion", info.version());
                out.put("ready", info.ready());
                List<Map<String, Object>> nodes = new ArrayList<>();
                for (NodeAddress n : info.nodes()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("node", n.node());
                    m.put("site", n.site());
                    m.put("address", n.clientAddress());
                    m.put("ready", n.ready());
                    nodes.add(m);
                }
                out.put("nodes", nodes);
                System.out.println(Cli.JSON.writeValueAsString(out));
            } else {
                System.out.printf("connected to %s: node %s, site %s, meshd %s, protocol v%d, %s%n",
                        client.connectedServer(), info.node(), info.site(), info.serverVersion(), info.version(),
                        info.ready() ? "ready" : "NOT READY");
                System.out.printf("%-20s %-12s %-24s %s%n", "NODE", "SITE", "ADDRESS", "STATE");
                for (NodeAddress n : info.nodes()) {
                    System.out.printf("%-20s %-12s %-24s %s%n", n.node(), n.site(), n.clientAddress(),
                            n.ready() ? "ready" : "starting");
                }
            }
        }
        return 0;
    }
}
