package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.weft.broker.Broker;
import io.weft.protocol.Frames;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntBiFunction;

/**
 * What the HTTP port needs from its node. {@link #of(Broker)} wires a real broker; tests pass fakes so
 * the pipeline can run in an {@code EmbeddedChannel}.
 *
 * @param publisher publishes an event on a topic, returns the subscriptions reached, throws
 *     {@link io.weft.protocol.ProtocolException} for an invalid topic or event
 * @param node the document of {@code GET /v1/node}
 * @param ready whether {@code /healthz} reports ready
 * @param registry where the node's metrics live; the HTTP counters are registered in it
 * @param maxPayloadBytes the largest request body accepted
 * @param views further read-only JSON documents by path ({@code /v1/nodes}, {@code /v1/interest}, ...)
 * @param streams the stream admin API ({@code /v1/streams...})
 * @param durable publishes an event for a durable stream and acks once stored
 */
record HttpContext(ToIntBiFunction<String, CloudEvent> publisher, Supplier<Map<String, Object>> node,
        BooleanSupplier ready, PrometheusRegistry registry, int maxPayloadBytes,
        Map<String, Supplier<Object>> views, StreamApi streams, DurablePublisher durable, HttpAccess access) {

    HttpContext(ToIntBiFunction<String, CloudEvent> publisher, Supplier<Map<String, Object>> node,
            BooleanSupplier ready, PrometheusRegistry registry, int maxPayloadBytes,
            Map<String, Supplier<Object>> views, StreamApi streams, DurablePublisher durable) {
        this(publisher, node, ready, registry, maxPayloadBytes, views, streams, durable, HttpAccess.OPEN);
    }

    /** The stream admin API: {@code (method, uri with query, JSON body) -> (status, JSON body)}. */
    @FunctionalInterface
    interface StreamApi {
        /** @return the HTTP status and JSON body; may complete on any thread, possibly much later */
        CompletableFuture<Map.Entry<Integer, byte[]>> request(String method, String uri, byte[] body);
    }

    /** Publishes one event durably. */
    @FunctionalInterface
    interface DurablePublisher {
        /**
         * @return the stream's ack; never completes exceptionally (a failure is an
         *     {@link Frames#ACK_FAILED} ack naming the reason); may complete on any thread
         * @throws io.weft.protocol.ProtocolException for an invalid topic or event
         */
        CompletableFuture<Frames.PubAck> publish(String topic, CloudEvent event);
    }

    /** A node without durable streams: the stream API answers 404 and durable publishes fail. */
    HttpContext(ToIntBiFunction<String, CloudEvent> publisher, Supplier<Map<String, Object>> node,
            BooleanSupplier ready, PrometheusRegistry registry, int maxPayloadBytes,
            Map<String, Supplier<Object>> views) {
        this(publisher, node, ready, registry, maxPayloadBytes, views,
                (method, uri, body) -> CompletableFuture.completedFuture(Map.entry(404,
                        "{\"error\":\"durable streams are not available on this node\"}"
                                .getBytes(StandardCharsets.UTF_8))),
                (topic, event) -> CompletableFuture.completedFuture(new Frames.PubAck(0, Frames.ACK_FAILED, 0,
                        "durable streams are not available on this node")));
    }

    static HttpContext of(Broker broker) {
        return new HttpContext(broker.router()::publish, broker::describe, broker::ready,
                broker.metrics().registry(), broker.config().maxPayloadBytes, broker.adminViews(),
                broker::request, broker::publishDurable, broker.httpAccess());
    }
}
