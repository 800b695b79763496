package io.weft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Small shared helpers: durations, JSON, event formatting, error messages. */
final class Cli {
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
    private static final EventFormat EVENT_JSON = new JsonFormat();
    /** Writes non-JSON text data as a JSON string rather than base64. */
    private static final EventFormat EVENT_JSON_TEXT = new JsonFormat(false, true);

    private Cli() {
    }

    /** One event as a single line of CloudEvents JSON. */
    static String eventJson(CloudEvent e) {
        String ct = e.getDataContentType();
        boolean text = ct != null && ct.toLowerCase(Locale.ROOT).startsWith("text/");
        return new String((text ? EVENT_JSON_TEXT : EVENT_JSON).serialize(e), StandardCharsets.UTF_8);
    }

    /** One event for people: topic, type, id, source, then the data as text when it is text. */
    static String eventHuman(String topic, CloudEvent e) {
        StringBuilder b = new StringBuilder();
        b.append('[').append(topic).append("] ").append(e.getType())
                .append(" id=").append(e.getId())
                .append(" source=").append(e.getSource());
        if (e.getSubject() != null) {
            b.append(" subject=").append(e.getSubject());
        }
        if (e.getTime() != null) {
            b.append(" time=").append(e.getTime());
        }
        for (String ext : e.getExtensionNames()) {
            b.append(' ').append(ext).append('=').append(e.getExtension(ext));
        }
        if (e.getData() != null) {
            byte[] data = e.getData().toBytes();
            b.append(' ').append(isText(e.getDataContentType()) ? new String(data, StandardCharsets.UTF_8)
                    : "<" + data.length + " bytes " + e.getDataContentType() + ">");
        }
        return b.toString();
    }

    /** A stored event's {@code event} member (structured CloudEvents JSON) as a CloudEvent. */
    static CloudEvent parseEvent(com.fasterxml.jackson.databind.JsonNode event) throws java.io.IOException {
        return EVENT_JSON.deserialize(JSON.writeValueAsBytes(event));
    }

    /**
     * One stored event of the streams API ({@code {"seq","time","topic","event",...}}) for people:
     * {@code #SEQ} then what {@code meshctl sub} prints; redelivered ones are marked.
     */
    static String storedEventHuman(com.fasterxml.jackson.databind.JsonNode entry) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        b.append('#').append(entry.path("seq").asLong()).append(' ');
        if (entry.path("redelivered").asBoolean()) {
            b.append("(redelivered, delivery ").append(entry.path("deliveryCount").asInt()).append(") ");
        }
        b.append(eventHuman(entry.path("topic").asText(), parseEvent(entry.path("event"))));
        return b.toString();
    }

    private static boolean isText(String contentType) {
        if (contentType == null) {
            return true;
        }
        String c = contentType.toLowerCase(Locale.ROOT);
        return c.startsWith("text/") || c.contains("json") || c.contains("xml");
    }

    static String message(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && (c.getMessage() == null || c instanceof java.util.concurrent.ExecutionException)) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d} or ISO-8601. */
    static Duration parseDuration(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            switch (v.charAt(v.length() - 1)) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                case 'd': return Duration.ofDays(n);
                default: break;
            }
        } catch (RuntimeException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("'" + s + "' is not a duration (e.g. 500ms, 30s, 5m, 2h, 7d)");
    }

    /** picocli converter for {@link #parseDuration}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }
}
