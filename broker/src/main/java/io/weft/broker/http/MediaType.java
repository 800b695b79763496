package io.weft.broker.http;

import java.util.Locale;

/**
 * The parts of a {@code Content-Type} header the ingress looks at: the lower-case media type and the
 * {@code charset} parameter (null when absent).
 */
record MediaType(String type, String charset) {
    static final String CLOUDEVENTS_JSON = "application/cloudevents+json";
    static final String CLOUDEVENTS_BATCH_JSON = "application/cloudevents-batch+json";
    private static final String CLOUDEVENTS_PREFIX = "application/cloudevents";

    /** Parses a header value; null or blank gives null. */
    static MediaType parse(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String[] parts = header.split(";");
        String charset = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("charset")) {
                charset = unquote(p.substring(eq + 1).trim()).toLowerCase(Locale.ROOT);
            }
        }
        return new MediaType(parts[0].trim().toLowerCase(Locale.ROOT), charset);
    }

    /** An event format of the CloudEvents HTTP binding ({@code application/cloudevents+x} or batch). */
    boolean isCloudEventsFormat() {
        return type.startsWith(CLOUDEVENTS_PREFIX + "+") || type.startsWith(CLOUDEVENTS_PREFIX + "-batch+");
    }

    /** True unless a charset other than UTF-8 is declared. */
    boolean isUtf8() {
        return charset == null || charset.equals("utf-8") || charset.equals("utf8");
    }

    /**
     * True for {@code application/json}, {@code text/json} and any {@code +json} type, and for an absent
     * datacontenttype, which the JSON event format says to treat as {@code application/json}.
     */
    static boolean isJson(String contentType) {
        MediaType m = parse(contentType);
        return m == null || m.type.equals("application/json") || m.type.equals("text/json")
                || m.type.endsWith("+json");
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
