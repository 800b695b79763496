package io.weft.broker.http;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.weft.protocol.Frames;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntBiFunction;

/**
 * {@code POST /v1/events} and {@code POST /v1/topics/{topic}/events}: reads the events in whichever
 * content mode the request uses, checks all of them, then publishes them in order, either at once
 * ({@link #publish}, {@code 202}) or durably ({@link #publishDurable}, {@code ?ack=stream}, {@code 201}
 * once a stream stored every event).
 */
final class EventsEndpoint {
    private final ToIntBiFunction<String, CloudEvent> publisher;
    private final HttpContext.DurablePublisher durable;

    /**
     * @param publisher publishes one event on a topic and returns the subscriptions it reached
     * @param durable publishes one event for a durable stream and completes with the stream's ack
     */
    EventsEndpoint(ToIntBiFunction<String, CloudEvent> publisher, HttpContext.DurablePublisher durable) {
        this.publisher = publisher;
        this.durable = durable;
    }

    /** @param pathTopic the percent-decoded topic of the path, or null to publish on each event's type */
    FullHttpResponse publish(FullHttpRequest request, String pathTopic) {
        return publish(request, pathTopic, topic -> null);
    }

    /**
     * @param denied the reason a topic may not be published to by the sender, or null when it may; checked
     *               for every event before any is published (a batch is all or nothing)
     */
    FullHttpResponse publish(FullHttpRequest request, String pathTopic, java.util.function.Function<String, String> denied) {
        Checked in = check(request, pathTopic);
        in.permitted(denied);
        long delivered = 0;
        for (int i = 0; i < in.size(); i++) {
            try {
                delivered += publisher.applyAsInt(in.topics().get(i), in.events().get(i));
            } catch (ProtocolException e) {
                throw in.rejected(i, e);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("accepted", in.size());
        body.put("delivered", delivered);
        return HttpResponses.json(HttpResponseStatus.ACCEPTED, body);
    }

    /**
     * Publishes every event of the request durably and answers once all are acked: {@code 201} with
     * {@code {"stream","seq","duplicate"}} for one event or {@code {"acks":[...]}} for a batch; {@code 503}
     * naming the reason (and the batch index) if a stream failed to store one. Bad input throws an
     * {@link HttpProblem} before anything is published, as {@link #publish} does.
     *
     * @param pathTopic the percent-decoded topic of the path, or null to publish on each event's type
     * @return the response; completes on whichever thread completed the last ack
     */
    CompletableFuture<FullHttpResponse> publishDurable(FullHttpRequest request, String pathTopic) {
        return publishDurable(request, pathTopic, topic -> null);
    }

    CompletableFuture<FullHttpResponse> publishDurable(FullHttpRequest request, String pathTopic,
                                                       java.util.function.Function<String, String> denied) {
        Checked in = check(request, pathTopic);
        in.permitted(denied);
        List<CompletableFuture<Frames.PubAck>> acks = new ArrayList<>(in.size());
        for (int i = 0; i < in.size(); i++) {
            try {
                acks.add(durable.publish(in.topics().get(i), in.events().get(i)));
            } catch (ProtocolException e) {
                throw in.rejected(i, e);
            }
        }
        return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                .thenApply(done -> durableResponse(acks.stream().map(CompletableFuture::join).toList(), in.batch()));
    }

    private static FullHttpResponse durableResponse(List<Frames.PubAck> acks, boolean batch) {
        List<Map<String, Object>> bodies = new ArrayList<>(acks.size());
        for (int i = 0; i < acks.size(); i++) {
            Frames.PubAck ack = acks.get(i);
            if (ack == null || ack.status() != Frames.ACK_STORED && ack.status() != Frames.ACK_DUPLICATE) {
                HttpProblem p = ack == null ? HttpProblem.outcomeUnknown("no acknowledgement")
                        : ack.status() == Frames.ACK_UNKNOWN ? HttpProblem.outcomeUnknown(ack.detail())
                        : HttpProblem.notStored(ack.detail());
                FullHttpResponse r = HttpResponses.problem(batch ? p.at(i) : p);
                r.headers().setInt(HttpHeaderNames.RETRY_AFTER, 1);
                return r;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("stream", ack.detail());
            body.put("seq", ack.seq());
            body.put("duplicate", ack.status() == Frames.ACK_DUPLICATE);
            bodies.add(body);
        }
        return HttpResponses.json(HttpResponseStatus.CREATED, batch ? Map.of("acks", bodies) : bodies.get(0));
    }

    /** Reads the events and checks every one of them (attributes, wire limits, topic). */
    private static Checked check(FullHttpRequest request, String pathTopic) {
        String topic = pathTopic == null ? null : EventRules.pathTopic(pathTopic);
        Incoming in = read(request);
        List<CloudEvent> events = in.events();
        List<String> topics = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            try {
                EventRules.wireLimits(events.get(i));
                topics.add(EventRules.topicOf(events.get(i), topic));
            } catch (HttpProblem p) {
                throw in.batch() ? p.at(i) : p;
            }
        }
        return new Checked(events, topics, in.batch(), topic != null);
    }

    /** Checked events and the topic each is published on. */
    private record Checked(List<CloudEvent> events, List<String> topics, boolean batch, boolean pathTopic) {
        int size() {
            return events.size();
        }

        /** Throws 403 (naming the batch index) for the first topic the sender may not publish to. */
        void permitted(java.util.function.Function<String, String> denied) {
            for (int i = 0; i < topics.size(); i++) {
                String reason = denied.apply(topics.get(i));
                if (reason != null) {
                    HttpProblem p = HttpProblem.forbidden(reason);
                    throw batch ? p.at(i) : p;
                }
            }
        }

        /** The problem for a publisher that refused event {@code i} although it passed our checks. */
        HttpProblem rejected(int i, ProtocolException e) {
            // Checked already; reaching this means the router's rules moved ahead of ours.
            HttpProblem p = e instanceof InvalidTopicException
                    ? HttpProblem.invalidTopic(pathTopic ? "topic" : "type", e.getMessage())
                    : HttpProblem.invalidEvent(null, e.getMessage());
            return batch ? p.at(i) : p;
        }
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
