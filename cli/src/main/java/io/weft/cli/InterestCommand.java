package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.client.MeshClient;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code meshctl interest}: the interest table a node holds (GET /v1/interest). */
@Command(name = "interest", mixinStandardHelpOptions = true,
        description = "Show the interest table of a node: its own patterns, each site peer's patterns with version, "
                + "and each remote site's aggregated patterns with digest.")
final class InterestCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "Print the table as JSON (same as GET /v1/interest).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (MeshClient client = server.connect("meshctl-interest")) {
            String doc = client.admin("/v1/interest").get(10, TimeUnit.SECONDS);
            if (json) {
                System.out.println(doc);
                return 0;
            }
            JsonNode t = Cli.JSON.readTree(doc);
            System.out.printf("node %s (site %s), incarnation %d, version %d, %s%s%n", t.path("node").asText(),
                    t.path("site").asText(), t.path("incarnation").asLong(), t.path("version").asLong(),
                    t.path("ready").asBoolean() ? "ready" : "NOT READY",
                    t.path("pendingChanges").asInt() > 0 ? ", " + t.path("pendingChanges").asInt() + " changes pending" : "");
            System.out.printf("%n%-10s %-24s %-22s %s%n", "SCOPE", "NAME", "VERSION", "PATTERNS");
            row("local", t.path("node").asText(), "v" + t.path("version").asLong(), t.path("entries"));
            for (JsonNode p : t.path("peers")) {
                row("peer", p.path("node").asText(), p.path("incarnation").asLong() + ":v" + p.path("version").asLong(),
                        p.path("entries"));
            }
            for (JsonNode s : t.path("sites")) {
                row("site", s.path("site").asText() + " via " + s.path("gateway").asText(),
                        s.path("digest").asText() + (s.path("confirmed").asBoolean() ? "" : "?"), s.path("entries"));
            }
        }
        return 0;
    }

    private static void row(String scope, String name, String version, JsonNode entries) {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : entries) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(e.path("pattern").asText());
            if (e.hasNonNull("queueGroup")) {
                b.append("[q=").append(e.path("queueGroup").asText()).append(']');
            }
        }
        System.out.printf("%-10s %-24s %-22s %s%n", scope, name, version, b.length() == 0 ? "-" : b);
    }
}
