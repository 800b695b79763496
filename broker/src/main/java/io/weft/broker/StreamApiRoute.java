package io.weft.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.protocol.Topics;
import io.weft.storage.InvalidStreamConfigException;
import io.weft.storage.StreamConfig;
import io.weft.storage.raft.StreamHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an admin request on {@code /v1/streams...} asks for, before anything travels: the list, a
 * new stream, this node's own replica, or a call to a stream's leader with its request document.
 * Pure: method, path, query and body in, a {@link Route} out; {@link Streams} carries it out.
 *
 * <pre>
 * GET    /v1/streams                                   list
 * POST   /v1/streams                                   create
 * GET    /v1/streams/S[?local=true]                    info (local: this node's replica)
 * DELETE /v1/streams/S                                 delete
 * POST   /v1/streams/S/purge                           purge ({"keepFrom":SEQ} or {"keep":N}; none or no body: all;
 *                                                      the mesh's own streams are refused)
 * GET    /v1/streams/S/events?from_seq|from_time&count[&local=true]
 * POST   /v1/streams/S/consumers                       consumer.create (config validated here)
 * GET    /v1/streams/S/consumers/C, DELETE ...         consumer.info, consumer.delete
 * POST   /v1/streams/S/consumers/C/next?count, /ack    consumer.next, consumer.ack
 * POST   /v1/streams/S/consumers/C/nak                 consumer.nak ({"seqs":[..]}; none or no body: all pending)
 * </pre>
 */
final class StreamApiRoute {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamApiRoute() {
    }

    /** Where a request goes. */
    sealed interface Route {
    }

    /** {@code GET /v1/streams}: every stream's info, from every leader. */
    record ListAll() implements Route {
    }

    /** {@code POST /v1/streams}: a new stream with this configuration document. */
    record Create(JsonNode config) implements Route {
    }

    /** This node's own replica's info, leader or not. */
    record LocalInfo(String stream) implements Route {
    }

    /** Events of this node's own replica, leader or not ({@code req} has fromSeq and count). */
    record LocalEvents(String stream, ObjectNode req) implements Route {
    }

    /** A call to the stream's leader. */
    record Call(String stream, ObjectNode req) implements Route {
    }

    /** An answer without going anywhere. */
    record Refused(int status, String error) implements Route {
    }

    /**
     * A refusal when {@code stream} is not a valid stream name (it would otherwise become part of the
     * leader's API topic, wildcards and all), else null.
     */
    static Refused checkName(String stream) {
        return StreamConfig.validName(stream) ? null : new Refused(400, "'" + Topics.printable(stream)
                + "' is not a stream name (1-" + StreamConfig.MAX_NAME_LENGTH + " letters, digits, '-' or '_')");
    }

    /**
     * Puts what a purge body asks for into {@code req}: {@code keepFrom} (the first sequence kept, at
     * least 1) or {@code keep} (how many of the newest events are kept, at least 0), at most one of them;
     * neither (or no body) purges every event. Returns a refusal for anything else.
     */
    static Refused purgeBody(byte[] body, ObjectNode req) throws IOException {
        if (body == null || body.length == 0) {
            return null;
        }
        JsonNode b = JSON.readTree(body);
        if (b == null || b.isMissingNode() || b.isNull()) {
            return null;
        }
        if (!b.isObject()) {
            return new Refused(400, "a purge body is a JSON object: {\"keepFrom\": SEQ} or {\"keep\": N}");
        }
        java.util.Iterator<String> names = b.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!f.equals("keepFrom") && !f.equals("keep")) {
                return new Refused(400, "unknown purge field '" + Topics.printable(f) + "' (keepFrom or keep)");
            }
        }
        if (b.has("keepFrom") && b.has("keep")) {
            return new Refused(400, "give keepFrom or keep, not both");
        }
        for (String f : new String[] {"keepFrom", "keep"}) {
            if (!b.has(f)) {
                continue;
            }
            JsonNode v = b.get(f);
            long min = f.equals("keepFrom") ? 1 : 0;
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min) {
                return new Refused(400, f + ": " + v + (f.equals("keepFrom") ? " is not a sequence number (1 or more)"
                        : " is not a number of events (0 or more)"));
            }
            req.put(f, v.asLong());
        }
        return null;
    }

    static Route of(String method, String path, Map<String, String> query, byte[] body) {
        try {
            return parse(method, path, query, body);
        } catch (InvalidStreamConfigException e) {
            return new Refused(400, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Refused(400, "bad request: " + StreamHost.messageOf(e));
        }
    }

    private static Route parse(String method, String path, Map<String, String> query, byte[] body) throws IOException {
        String[] parts = path.substring(1).split("/");
        // v1 streams [name [consumers [c [next|ack]] | events]]
        if (parts.length < 2 || !parts[0].equals("v1") || !parts[1].equals("streams")) {
            return new Refused(404, "no stream API at " + path);
        }
        if (parts.length == 2) {
            return switch (method) {
                case "GET" -> new ListAll();
                case "POST" -> {
                    JsonNode c = JSON.readTree(body.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : body);
                    yield StreamConfig.isSystem(c.path("name").asText(""))
                            ? new Refused(400, "stream names starting with " + StreamConfig.SYSTEM_PREFIX
                                    + " are the mesh's own")
                            : new Create(c);
                }
                default -> new Refused(405, method + " not allowed on /v1/streams (use GET or POST)");
            };
        }
        String stream = parts[2];
        Refused badName = checkName(stream);
        if (badName != null) {
            return badName;
        }
        boolean local = "true".equals(query.get("local"));
        ObjectNode req = JSON.createObjectNode();
        if (parts.length == 3 && method.equals("GET") && local) {
            return new LocalInfo(stream);
        }
        if (parts.length == 3) {
            req.put("op", switch (method) {
                case "GET" -> "info";
                case "DELETE" -> "delete";
                default -> "";
            });
        } else if (parts.length == 4 && parts[3].equals("events") && method.equals("GET")) {
            req.put("op", "events");
            if (query.containsKey("from_seq")) {
                req.put("fromSeq", Long.parseLong(query.get("from_seq")));
            }
            if (local) {
                // this node's own replica, leader or not: for checking replicas against each other
                req.put("count", Integer.parseInt(query.getOrDefault("count", "1000")));
                return new LocalEvents(stream, req);
            }
            if (query.containsKey("from_time")) {
                req.put("fromTime", query.get("from_time"));
            }
            req.put("count", Integer.parseInt(query.getOrDefault("count", "1000")));
        } else if (parts.length == 4 && parts[3].equals("purge")) {
            if (!method.equals("POST")) {
                return new Refused(405, method + " not allowed on " + path + " (use POST)");
            }
            if (StreamConfig.isSystem(stream)) {
                return new Refused(403, "stream " + stream + " is one of the mesh's own (names starting with "
                        + StreamConfig.SYSTEM_PREFIX + "): it cannot be purged");
            }
            Refused bad = purgeBody(body, req.put("op", "purge"));
            if (bad != null) {
                return bad;
            }
        } else if (parts.length == 4 && parts[3].equals("consumers") && method.equals("POST")) {
            req.put("op", "consumer.create");
            JsonNode cfg = JSON.readTree(body.length == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : body);
            StreamJson.consumerConfig(cfg); // validate here: the error names the field before anything travels
            req.set("config", cfg);
        } else if (parts.length == 5 && parts[3].equals("consumers")) {
            req.put("consumer", parts[4]);
            req.put("op", switch (method) {
                case "GET" -> "consumer.info";
                case "DELETE" -> "consumer.delete";
                default -> "";
            });
        } else if (parts.length == 6 && parts[3].equals("consumers") && method.equals("POST")
                && (parts[5].equals("next") || parts[5].equals("ack") || parts[5].equals("nak"))) {
            req.put("consumer", parts[4]);
            req.put("op", "consumer." + parts[5]);
            if (parts[5].equals("next")) {
                req.put("count", Integer.parseInt(query.getOrDefault("count", "1")));
            } else if (body == null || body.length == 0) {
                req.putArray("seqs");
            } else {
                req.set("seqs", JSON.readTree(body).path("seqs"));
            }
        } else {
            return new Refused(404, "no stream API for " + method + " " + path);
        }
        if (req.path("op").asText().isEmpty()) {
            return new Refused(405, method + " not allowed on " + path);
        }
        return new Call(stream, req);
    }
}
