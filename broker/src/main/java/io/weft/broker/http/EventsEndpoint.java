package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntBiFunction;

/**
 * {@code POST /v1/events} and {@code POST /v1/topics/{topic}/events}: reads the events in whichever
 * content mode the request uses, checks all of them, then publishes them in order.
 */
final class EventsEndpoint {
    private final ToIntBiFunction<String, CloudEvent> publisher;

    /** @param publisher publishes one event on a topic and returns the subscriptions it reached */
    EventsEndpoint(ToIntBiFunction<String, CloudEvent> publisher) {
        this.publisher = publisher;
    }

    /** @param pathTopic the percent-decoded topic of the path, or null to publish on each event's type */
    FullHttpResponse publish(FullHttpRequest request, String pathTopic) {
        String topic = pathTopic == null ? null : EventRules.pathTopic(pathTopic);
        Incoming in = read(request);
        List<CloudEvent> events = in.events();
        boolean batch = in.batch();
        List<String> topics = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            try {
                EventRules.wireLimits(events.get(i));
                topics.add(EventRules.topicOf(events.get(i), topic));
            } catch (HttpProblem p) {
                throw batch ? p.at(i) : p;
            }
        }
        long delivered = 0;
        for (int i = 0; i < events.size(); i++) {
            try {
                delivered += publisher.applyAsInt(topics.get(i), events.get(i));
            } catch (ProtocolException e) {
                // Checked above; reaching this means the router's rules moved ahead of ours.
                HttpProblem p = e instanceof InvalidTopicException
                        ? HttpProblem.invalidTopic(topic == null ? "type" : "topic", e.getMessage())
                        : HttpProblem.invalidEvent(null, e.getMessage());
                throw batch ? p.at(i) : p;
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("accepted", events.size());
        body.put("delivered", delivered);
        return HttpResponses.json(HttpResponseStatus.ACCEPTED, body);
    }

    /** The events of one request; {@code batch} when errors must name the element. */
    private record Incoming(List<CloudEvent> events, boolean batch) {
    }

    private static Incoming read(FullHttpRequest request) {
        MediaType type = MediaType.parse(request.headers().get(HttpHeaderNames.CONTENT_TYPE));
        ByteBuf body = request.content();
        if (type != null && type.isCloudEventsFormat()) {
            if (!type.isUtf8()) {
                throw HttpProblem.unsupportedMediaType("charset '" + EventRules.printable(type.charset())
                        + "' is not supported; CloudEvents JSON is UTF-8");
            }
            switch (type.type()) {
                case MediaType.CLOUDEVENTS_JSON:
                    return new Incoming(List.of(JsonEventReader.readEvent(body)), false);
                case MediaType.CLOUDEVENTS_BATCH_JSON:
                    return new Incoming(JsonEventReader.readBatch(body), true);
                default:
                    throw HttpProblem.unsupportedMediaType("event format '" + EventRules.printable(type.type())
                            + "' is not supported; use " + MediaType.CLOUDEVENTS_JSON + " or "
                            + MediaType.CLOUDEVENTS_BATCH_JSON);
            }
        }
        if (BinaryModeReader.hasCloudEventHeaders(request.headers())) {
            return new Incoming(List.of(BinaryModeReader.read(request.headers(), body)), false);
        }
        throw HttpProblem.unsupportedMediaType("send a CloudEvent in binary mode (ce-* headers), structured mode ("
                + MediaType.CLOUDEVENTS_JSON + ") or batched mode (" + MediaType.CLOUDEVENTS_BATCH_JSON + ")"
                + (type == null ? "" : "; Content-Type '" + EventRules.printable(type.type()) + "' alone is not one"));
    }
}
