package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.client.MeshClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meshctl apply -f FILE.yaml}: declares streams and subscriptions. Each YAML document (or JSON object)
 * has {@code kind: Stream} or {@code kind: Subscription} and a {@code name}; the rest is the resource as the
 * HTTP API takes it. A subscription's name is its id. Idempotent: what already is as the file says is left
 * alone, so applying a file twice changes nothing; {@code --prune} deletes the subscriptions the file does
 * not name. Streams are created when missing and never changed or deleted by apply (a stream holds data).
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Create or update the streams and subscriptions a YAML (or JSON) file declares; unchanged ones "
                + "are left alone. --prune deletes the subscriptions the file does not name.")
final class ApplyCommand implements Callable<Integer> {
    @Mixin
    ConnectOptions server;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
            description = "YAML documents (separated by ---) or JSON, each with kind: Stream|Subscription and name.")
    Path file;

    @Option(names = "--prune", description = "Delete every subscription of the mesh that the file does not name.")
    boolean prune;

    @Option(names = "--dry-run", description = "Say what would change, change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        Map<String, ObjectNode> streams = new LinkedHashMap<>();
        Map<String, ObjectNode> subscriptions = new LinkedHashMap<>();
        List<JsonNode> docs = SubscriptionCommand.Documents.read(file);
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            String where = file + " document " + (i + 1);
            if (!d.isObject()) {
                throw new IllegalArgumentException(where + ": not a mapping");
            }
            ObjectNode o = ((ObjectNode) d).deepCopy();
            String kind = text(o.remove("kind"));
            String name = text(o.remove("name"));
            if (name == null) {
                throw new IllegalArgumentException(where + ": 'name' is required");
            }
            if ("Stream".equals(kind)) {
                o.put("name", name);
                put(streams, name, o, where);
            } else if ("Subscription".equals(kind)) {
                if (!name.matches("[a-z0-9-]{1,64}")) {
                    throw new IllegalArgumentException(where + ": subscription name '" + name
                            + "' must be 1-64 lower-case letters, digits or '-' (it becomes the id)");
                }
                if (!o.has("protocol")) {
                    o.put("protocol", "HTTP");
                }
                put(subscriptions, name, o, where);
            } else {
                throw new IllegalArgumentException(where + ": kind must be Stream or Subscription, not " + kind);
            }
        }
        int changes = 0;
        try (MeshClient client = server.connect("meshctl-apply")) {
            for (Map.Entry<String, ObjectNode> s : streams.entrySet()) {
                changes += applyStream(client, s.getKey(), s.getValue());
            }
            for (Map.Entry<String, ObjectNode> s : subscriptions.entrySet()) {
                changes += applySubscription(client, s.getKey(), s.getValue());
            }
            if (prune) {
                TreeSet<String> gone = new TreeSet<>();
                for (JsonNode s : Api.call(client, "GET", SubscriptionCommand.PATH, null)) {
                    if (!subscriptions.containsKey(s.path("id").asText())) {
                        gone.add(s.path("id").asText());
                    }
                }
                for (String id : gone) {
                    if (!dryRun) {
                        Api.call(client, "DELETE", SubscriptionCommand.PATH + "/" + Api.seg(id), null);
                    }
                    System.out.println("subscription " + id + " deleted (pruned)");
                    changes++;
                }
            }
        }
        System.out.println(changes == 0 ? "nothing to change" : changes + " change(s)" + (dryRun ? " (dry run: none made)" : ""));
        return 0;
    }

    private int applyStream(MeshClient client, String name, ObjectNode desired) throws Exception {
        JsonNode current;
        try {
            current = Api.call(client, "GET", StreamCommand.streamPath(name), null);
        } catch (Api.ApiException e) {
            if (e.status != 404) {
                throw e;
            }
            if (!dryRun) {
                Api.call(client, "POST", "/v1/streams", desired);
            }
            System.out.println("stream " + name + " created");
            return 1;
        }
        List<String> differ = new ArrayList<>();
        for (String f : List.of("subjects", "replicas", "site")) {
            if (desired.has(f) && !within(desired.get(f), current.path(f))) {
                differ.add(f);
            }
        }
        System.out.println("stream " + name + (differ.isEmpty() ? " unchanged"
                : " exists with other " + differ + ": apply does not change streams (they hold data); delete it first"));
        return 0;
    }

    private int applySubscription(MeshClient client, String id, ObjectNode desired) throws Exception {
        String path = SubscriptionCommand.PATH + "/" + Api.seg(id);
        JsonNode current = null;
        try {
            current = Api.call(client, "GET", path, null);
        } catch (Api.ApiException e) {
            if (e.status != 404) {
                throw e;
            }
        }
        if (current != null && within(desired, current)) {
            System.out.println("subscription " + id + " unchanged");
            return 0;
        }
        if (!dryRun) {
            Api.call(client, "PUT", path, desired);
        }
        System.out.println("subscription " + id + (current == null ? " created" : " updated"));
        return 1;
    }

    /**
     * Whether everything {@code desired} says is already so in {@code current} (which has every default
     * filled in, and no secrets: a member {@code current} lacks is not compared).
     */
    static boolean within(JsonNode desired, JsonNode current) {
        if (desired.isObject() && current.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (current.has(f.getKey()) && !within(f.getValue(), current.get(f.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (desired.isArray() && current.isArray()) {
            if (desired.size() != current.size()) {
                return false;
            }
            for (int i = 0; i < desired.size(); i++) {
                if (!within(desired.get(i), current.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (desired.isContainerNode() || current.isContainerNode()) {
            return false;
        }
        return desired.equals(current) || desired.asText().equals(current.asText());
    }

    private static void put(Map<String, ObjectNode> m, String name, ObjectNode o, String where) {
        if (m.put(name, o) != null) {
            throw new IllegalArgumentException(where + ": '" + name + "' is declared twice");
        }
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
