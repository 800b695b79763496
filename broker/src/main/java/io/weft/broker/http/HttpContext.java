package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.weft.broker.Broker;
import java.util.Map;
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
 */
record HttpContext(ToIntBiFunction<String, CloudEvent> publisher, Supplier<Map<String, Object>> node,
        BooleanSupplier ready, PrometheusRegistry registry, int maxPayloadBytes,
        Map<String, Supplier<Object>> views) {

    static HttpContext of(Broker broker) {
        return new HttpContext(broker.router()::publish, broker::describe, broker::ready,
                broker.metrics().registry(), broker.config().maxPayloadBytes, broker.adminViews());
    }
}
