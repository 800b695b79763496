package io.weft.broker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;
import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.Delivery;
import io.weft.storage.InvalidStreamConfigException;
import io.weft.storage.StartPosition;
import io.weft.storage.StoredEvent;
import io.weft.storage.StreamConfig;
import io.weft.storage.raft.StreamHost;
import io.weft.storage.raft.StreamStateMachine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON of the stream API: request bodies parsed into stream and consumer settings (durations like
 * {@code 30s}, sizes like {@code 10GB}, times), and consumers and stored events rendered for answers.
 */
final class StreamJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Writes a CloudEvent straight into the generator of the page being built: JSON format, the
     * same serializer as {@link JsonFormat}. Serializing each event to its own byte array and copying
     * it in as a raw value (through a String) was half of a replay page's CPU.
     */
    private static final ObjectMapper EVENT_JSON = new ObjectMapper()
            .registerModule(JsonFormat.getCloudEventJacksonModule())
            .disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);

    private StreamJson() {
    }

    static StreamConfig streamConfig(JsonNode j, String defaultSite) {
        List<String> subjects = new ArrayList<>();
        j.path("subjects").forEach(s -> subjects.add(s.asText()));
        String site = j.hasNonNull("site") && !j.path("site").asText().isEmpty() ? j.path("site").asText() : defaultSite;
        return new StreamConfig(j.path("name").asText(null), subjects, j.path("replicas").asInt(1), site,
                duration("maxAge", j.path("maxAge"), Duration.ZERO), size("maxBytes", j.path("maxBytes")),
                j.path("maxEvents").asLong(0), duration("dedupeWindow", j.path("dedupeWindow"),
                StreamConfig.DEFAULT_DEDUPE_WINDOW));
    }

    static ConsumerConfig consumerConfig(JsonNode j) {
        return new ConsumerConfig(j.path("name").asText(null), StartPosition.parse(j.path("start").asText("first")),
                duration("ackWait", j.path("ackWait"), Duration.ofMillis(ConsumerConfig.DEFAULT_ACK_WAIT_MILLIS)).toMillis(),
                j.path("maxDeliver").asInt(0),
                j.hasNonNull("deadLetterTopic") && !j.path("deadLetterTopic").asText().isEmpty()
                        ? j.path("deadLetterTopic").asText() : null,
                j.path("maxAckPending").asInt(ConsumerConfig.DEFAULT_MAX_ACK_PENDING),
                j.hasNonNull("deliverTopic") && !j.path("deliverTopic").asText().isEmpty()
                        ? j.path("deliverTopic").asText() : null);
    }

    /** {@code 90s}, {@code 2m}, {@code 7d}, {@code 1h30m}, {@code 500ms}, ISO {@code PT2M}, or plain millis. */
    static Duration duration(String field, JsonNode n, Duration dflt) {
        if (n.isMissingNode() || n.isNull() || n.asText().isEmpty()) {
            return dflt;
        }
        if (n.isNumber()) {
            return Duration.ofMillis(n.asLong());
        }
        String s = n.asText().trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(s);
            Duration d = Duration.ZERO;
            int end = 0;
            while (m.find() && m.start() == end) {
                long v = Long.parseLong(m.group(1));
                d = d.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(v);
                    case "s" -> Duration.ofSeconds(v);
                    case "m" -> Duration.ofMinutes(v);
                    case "h" -> Duration.ofHours(v);
                    default -> Duration.ofDays(v);
                });
                end = m.end();
            }
            if (end == s.length() && end > 0) {
                return d;
            }
            if (s.chars().allMatch(Character::isDigit)) {
                return Duration.ofMillis(Long.parseLong(s));
            }
        } catch (RuntimeException e) {
            // fall through
        }
        throw new InvalidStreamConfigException(field, "'" + n.asText() + "' is not a duration (e.g. 30s, 2m, 7d, 1h30m)");
    }

    /** {@code 10GB}, {@code 512MiB}, {@code 1024}; 0 or absent means no limit. */
    static long size(String field, JsonNode n) {
        if (n.isMissingNode() || n.isNull() || n.asText().isEmpty()) {
            return 0;
        }
        if (n.isNumber()) {
            return n.asLong();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b?)")
                .matcher(n.asText().trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidStreamConfigException(field, "'" + n.asText() + "' is not a size (e.g. 512MB, 10GB)");
        }
        long unit = switch (m.group(2)) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            case "t" -> 1L << 40;
            default -> 1;
        };
        return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    }

    static long parseTime(String t) {
        if (t.chars().allMatch(Character::isDigit) && !t.isEmpty()) {
            return Long.parseLong(t);
        }
        return Instant.parse(t).toEpochMilli();
    }

    static Map<String, Object> consumerDoc(ConsumerInfo i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", i.config().name());
        m.put("start", i.config().start().toString());
        m.put("ackWait", Duration.ofMillis(i.config().ackWaitMillis()).toString());
        m.put("maxDeliver", i.config().maxDeliver());
        m.put("deadLetterTopic", i.config().deadLetterTopic());
        m.put("maxAckPending", i.config().maxAckPending());
        m.put("deliverTopic", i.config().deliverTopic());
        m.put("startSeq", i.startSeq());
        m.put("nextSeq", i.nextSeq());
        m.put("ackFloor", i.ackFloor());
        m.put("ackPending", i.ackPending());
        return m;
    }

    static byte[] deliveriesJson(List<Delivery> deliveries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + deliveries.size() * 256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (Delivery d : deliveries) {
                writeEvent(g, d.event(), d.deliveryCount());
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static void writeEvent(JsonGenerator g, StoredEvent e, int deliveryCount) throws IOException {
        g.writeStartObject();
        g.writeNumberField("seq", e.seq());
        g.writeNumberField("time", e.timeMillis());
        g.writeStringField("topic", e.topic());
        if (deliveryCount > 0) {
            g.writeNumberField("deliveryCount", deliveryCount);
            g.writeBooleanField("redelivered", deliveryCount > 1);
        }
        g.writeFieldName("event");
        CloudEvent ce = EventCodec.decode(Unpooled.wrappedBuffer(e.event()));
        EVENT_JSON.writeValue(g, ce);
        g.writeEndObject();
    }

    /** A stream's settings, contents, consumers and Raft state as this node's replica holds them. */
    static Map<String, Object> info(StreamHost host, String stream) {
        StreamStateMachine sm = host.replica(stream).orElseThrow(() -> new IllegalStateException("no replica of " + stream));
        StreamConfig c = sm.config();
        Map<String, Object> m = new LinkedHashMap<>();
        if (c == null) {
            m.put("name", stream);
            return m;
        }
        m.put("name", c.name());
        m.put("subjects", c.subjects());
        m.put("replicas", c.replicas());
        m.put("site", c.site());
        m.put("leader", host.leader(stream).orElse(""));
        m.put("peers", host.group(stream).map(g -> g.getPeers().stream().map(p -> p.getId().toString()).sorted().toList())
                .orElse(List.of()));
        sm.read(l -> {
            m.put("firstSeq", l.firstSeq());
            m.put("lastSeq", l.lastSeq());
            m.put("events", l.count());
            m.put("bytes", l.bytes());
            return null;
        });
        m.put("maxAge", c.maxAge().toString());
        m.put("maxBytes", c.maxBytes());
        m.put("maxEvents", c.maxEvents());
        m.put("dedupeWindow", c.dedupeWindow().toString());
        m.put("consumers", sm.consumers().stream().map(StreamJson::consumerDoc).toList());
        m.put("raft", host.raftStatus(stream));
        return m;
    }
}
