package io.weft.broker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** {@code GET /v1/node}, {@code GET /healthz} and {@code GET /metrics}. */
final class AdminEndpoints {
    private static final PrometheusTextFormatWriter METRICS_WRITER = PrometheusTextFormatWriter.create();

    private final Supplier<Map<String, Object>> node;
    private final BooleanSupplier ready;
    private final PrometheusRegistry registry;

    AdminEndpoints(Supplier<Map<String, Object>> node, BooleanSupplier ready, PrometheusRegistry registry) {
        this.node = node;
        this.ready = ready;
        this.registry = registry;
    }

    FullHttpResponse node() {
        return HttpResponses.json(HttpResponseStatus.OK, node.get());
    }

    /**
     * 200 {@code {"status":"ready","node":..,"site":..}} once the node is ready; 503 with status
     * {@code starting} or {@code degraded} and the {@code reasons} (from the node document's
     * {@code health} part) otherwise.
     */
    FullHttpResponse health() {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean ok = ready.getAsBoolean();
        Map<String, Object> n = node.get();
        Object h = n.get("health");
        Map<?, ?> health = h instanceof Map<?, ?> m ? m : Map.of();
        body.put("status", ok ? "ready" : health.get("state") instanceof String st && !st.equals("ready") ? st : "starting");
        body.put("node", n.get("node"));
        body.put("site", n.get("site"));
        if (!ok) {
            Object reasons = health.get("reasons");
            body.put("reasons", reasons instanceof java.util.List<?> l && !l.isEmpty() ? l
                    : java.util.List.of("interest not synced with every site yet"));
            return HttpResponses.json(HttpResponseStatus.SERVICE_UNAVAILABLE, body);
        }
        return HttpResponses.json(HttpResponseStatus.OK, body);
    }

    /** The registry in the Prometheus text format 0.0.4. */
    FullHttpResponse metrics() {
        ByteBuf buf = Unpooled.buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            METRICS_WRITER.write(out, registry.scrape());
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        }
        return HttpResponses.content(HttpResponseStatus.OK, PrometheusTextFormatWriter.CONTENT_TYPE, buf);
    }
}
