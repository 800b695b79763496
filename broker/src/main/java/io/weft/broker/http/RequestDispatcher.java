package io.weft.broker.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.weft.security.Permissions;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each complete request of one connection to its endpoint and writes exactly one response
 * per request, in order. Turns {@link HttpProblem}s into problem responses, and anything else into a
 * 500 that is logged: that is a bug, not bad input. Stops reading while responses pile up unread.
 *
 * <p>Some answers are asynchronous (the stream API, {@code ?ack=stream} publishes): while one is
 * pending the connection is not read, requests the decoder had already buffered wait in a queue, and
 * the answer is written on the channel's event loop before the next request is handled, so pipelined
 * requests are answered in order. One instance per connection.
 */
final class RequestDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final String EVENTS = "/v1/events";
    private static final String TOPICS_PREFIX = "/v1/topics/";
    private static final String TOPICS_SUFFIX = "/events";
    static final String STREAMS = "/v1/streams";
    static final String SUBSCRIPTIONS = "/v1/subscriptions";
    private static final String STREAMS_METHODS = "GET, POST, DELETE";
    /** The query parameter of the events endpoints asking for a durable publish, and its only value. */
    static final String ACK = "ack";
    static final String ACK_STREAM = "stream";

    /**
     * A response decided before the dispatcher saw the request (a 413 from the aggregator): it is queued
     * like a request so that it is written in its turn.
     */
    record Rejected(FullHttpResponse response) {
    }

    private final EventsEndpoint events;
    private final AdminEndpoints admin;
    private final java.util.Map<String, java.util.function.Supplier<Object>> views;
    private final HttpContext.StreamApi streams;
    private final HttpAccess access;
    /** Requests (and {@link Rejected}s) received and not handled yet, in order; owned by the event loop. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** Whether an asynchronous answer is pending: nothing else is handled until it is written. */
    private boolean busy;

    RequestDispatcher(EventsEndpoint events, AdminEndpoints admin,
                      java.util.Map<String, java.util.function.Supplier<Object>> views, HttpContext.StreamApi streams,
                      HttpAccess access) {
        this.access = access;
        this.events = events;
        this.admin = admin;
        this.views = views;
        this.streams = streams;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest) && !(msg instanceof Rejected)) {
            ctx.fireChannelRead(msg);
            return;
        }
        queue.add(msg);
        drain(ctx);
    }

    /** Handles queued requests until one is pending or none is left, then decides whether to read on. */
    private void drain(ChannelHandlerContext ctx) {
        while (!busy && !queue.isEmpty()) {
            if (!ctx.channel().isActive()) {
                // Closed (say after a Connection: close answer): the requests behind it are not acted on.
                releaseQueue();
                return;
            }
            Object next = queue.poll();
            if (next instanceof Rejected r) {
                write(ctx, r.response(), HttpUtil.isKeepAlive(r.response()));
                continue;
            }
            FullHttpRequest request = (FullHttpRequest) next;
            try {
                handle(ctx, request);
            } finally {
                request.release();
            }
        }
        ctx.channel().config().setAutoRead(!busy && ctx.channel().isWritable());
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            // The parser cannot find the next request after a malformed one: answer, then close.
            write(ctx, HttpResponses.problem(malformedRequest(decoded.cause())), false);
            return;
        }
        CompletableFuture<FullHttpResponse> answer = answer(ctx, request);
        HttpMethod method = request.method();
        String path = rawPath(request);
        if (answer.isDone()) {
            write(ctx, orInternalError(answer, method, path), keepAlive);
            return;
        }
        busy = true;
        answer.whenComplete((response, failure) -> {
            Runnable finish = () -> {
                busy = false;
                write(ctx, orInternalError(answer, method, path), keepAlive);
                drain(ctx);
            };
            try {
                ctx.executor().execute(finish);
            } catch (RejectedExecutionException e) {
                // The event loop is shutting down and the connection with it.
                if (response != null) {
                    response.release();
                }
            }
        });
    }

    /** The response of a completed answer, or a 500 (logged: a bug or a broken node) if it failed. */
    private static FullHttpResponse orInternalError(CompletableFuture<FullHttpResponse> answer, HttpMethod method,
            String path) {
        try {
            return answer.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            LOG.warn("HTTP {} {} failed", method, EventRules.printable(path),
                    e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            return HttpResponses.problem(HttpProblem.internal());
        }
    }

    private static void write(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** The response, complete unless an answer is asynchronous. Never completes exceptionally for bad input. */
    private CompletableFuture<FullHttpResponse> answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = rawPath(request);
        try {
            // health and metrics stay open: load balancers and Prometheus ask without credentials
            Permissions perms = path.equals("/healthz") || path.equals("/metrics") ? Permissions.ALL
                    : access.authenticate(request, io.weft.security.TlsContexts.peerCertificate(
                            ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class)));
            return route(request.method(), path, request, perms).handle((r, e) -> {
                if (e == null) {
                    return r;
                }
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof HttpProblem p) {
                    return HttpResponses.problem(p);
                }
                throw new CompletionException(cause);
            });
        } catch (HttpProblem p) {
            return CompletableFuture.completedFuture(HttpResponses.problem(p));
        } catch (RuntimeException e) {
            LOG.warn("HTTP {} {} failed", request.method(), EventRules.printable(path), e);
            return CompletableFuture.completedFuture(HttpResponses.problem(HttpProblem.internal()));
        }
    }

    private static String rawPath(FullHttpRequest request) {
        return new QueryStringDecoder(request.uri()).rawPath();
    }

    private CompletableFuture<FullHttpResponse> route(HttpMethod method, String path, FullHttpRequest request,
                                                      Permissions perms) {
        switch (path) {
            case EVENTS:
                allow(method, HttpMethod.POST, path);
                return publish(request, null, perms);
            case "/v1/node":
                allow(method, HttpMethod.GET, path);
                requireAdmin(perms, path);
                return done(admin.node());
            case "/healthz":
                allow(method, HttpMethod.GET, path);
                return done(admin.health());
            case "/metrics":
                allow(method, HttpMethod.GET, path);
                return done(admin.metrics());
            case "/v1/admin/reload":
                allow(method, HttpMethod.POST, path);
                requireAdmin(perms, path);
                return streams(method, request); // the node's admin API answers it
            default:
                if (path.equals(STREAMS) || path.startsWith(STREAMS + "/")) {
                    requireAdmin(perms, path);
                    return streams(method, request);
                }
                if (path.equals(SUBSCRIPTIONS) || path.startsWith(SUBSCRIPTIONS + "/")) {
                    requireAdmin(perms, path);
                    return subscriptions(method, request, path);
                }
                java.util.function.Supplier<Object> view = views.get(path);
                if (view != null) {
                    allow(method, HttpMethod.GET, path);
                    requireAdmin(perms, path);
                    return done(HttpResponses.json(io.netty.handler.codec.http.HttpResponseStatus.OK, view.get()));
                }
                String rawTopic = topicSegment(path);
                if (rawTopic == null) {
                    throw HttpProblem.notFound(EventRules.printable(path));
                }
                allow(method, HttpMethod.POST, path);
                return publish(request, decodeTopic(rawTopic), perms);
        }
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    /** The events endpoints: at once (202), or durably with {@code ?ack=stream} (201 once stored). */
    private static void requireAdmin(Permissions perms, String path) {
        if (!perms.admin()) {
            throw HttpProblem.forbidden(EventRules.printable(path) + " needs the admin permission");
        }
    }

    private CompletableFuture<FullHttpResponse> publish(FullHttpRequest request, String pathTopic, Permissions perms) {
        java.util.function.Function<String, String> denied = perms == Permissions.ALL ? topic -> null : topic -> {
            io.weft.security.PermissionCheck.Verdict v = io.weft.security.PermissionCheck.publish(perms, topic,
                    io.weft.broker.TopicRules.INSTANCE);
            return v.allowed() ? null : v.reason();
        };
        java.util.List<String> ack = new QueryStringDecoder(request.uri()).parameters().get(ACK);
        if (ack == null) {
            return done(events.publish(request, pathTopic, denied));
        }
        if (ack.size() != 1 || !ack.get(0).equals(ACK_STREAM)) {
            throw HttpProblem.invalidParameter(ACK, "query parameter '" + ACK + "' must be '" + ACK_STREAM
                    + "' (answer once a durable stream stored the events), or absent; got '"
                    + EventRules.printable(String.join(",", ack)) + "'");
        }
        return events.publishDurable(request, pathTopic, denied);
    }

    /**
     * {@code /v1/subscriptions...} (the CloudEvents Subscriptions API): passed through to the node's admin API;
     * errors are problem+json, a creation answers 201 with the new resource's Location.
     */
    private CompletableFuture<FullHttpResponse> subscriptions(HttpMethod method, FullHttpRequest request, String path) {
        if (method.equals(HttpMethod.OPTIONS)) {
            FullHttpResponse r = HttpResponses.bytes(HttpResponseStatus.OK, HttpResponses.JSON, new byte[0]);
            r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.ALLOW,
                    path.equals(SUBSCRIPTIONS) ? "GET, POST, OPTIONS" : "GET, PUT, DELETE, OPTIONS");
            return done(r);
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        return streams.request(method.name(), request.uri(), body).thenApply(r -> {
            byte[] json = r.getValue() == null ? new byte[0] : r.getValue();
            FullHttpResponse out = HttpResponses.bytes(HttpResponseStatus.valueOf(r.getKey()),
                    r.getKey() >= 400 ? HttpResponses.PROBLEM_JSON : HttpResponses.JSON, json);
            if (r.getKey() == 201) {
                try {
                    String id = Json.MAPPER.readTree(json).path("id").asText("");
                    if (!id.isEmpty()) {
                        out.headers().set(io.netty.handler.codec.http.HttpHeaderNames.LOCATION, SUBSCRIPTIONS + "/" + id);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return out;
        });
    }

    /** {@code /v1/streams...}: passed through to the stream API with the raw URI and the JSON body. */
    private CompletableFuture<FullHttpResponse> streams(HttpMethod method, FullHttpRequest request) {
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.POST) && !method.equals(HttpMethod.DELETE)) {
            throw HttpProblem.methodNotAllowed(EventRules.printable(method.name()),
                    EventRules.printable(rawPath(request)), STREAMS_METHODS);
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        return streams.request(method.name(), request.uri(), body).thenApply(r -> HttpResponses.bytes(
                HttpResponseStatus.valueOf(r.getKey()), HttpResponses.JSON, r.getValue() == null ? new byte[0] : r.getValue()));
    }

    /** The raw {topic} of {@code /v1/topics/{topic}/events}, or null for any other path. */
    static String topicSegment(String path) {
        if (!path.startsWith(TOPICS_PREFIX) || !path.endsWith(TOPICS_SUFFIX)
                || path.length() < TOPICS_PREFIX.length() + TOPICS_SUFFIX.length()) {
            return null;
        }
        String segment = path.substring(TOPICS_PREFIX.length(), path.length() - TOPICS_SUFFIX.length());
        return segment.indexOf('/') >= 0 ? null : segment;
    }

    private static String decodeTopic(String raw) {
        try {
            return PercentDecoder.decode(raw);
        } catch (IllegalArgumentException e) {
            throw HttpProblem.invalidTopic("topic", "the topic in the path is not valid percent-encoded UTF-8: "
                    + e.getMessage());
        }
    }

    private static void allow(HttpMethod method, HttpMethod allowed, String path) {
        if (!method.equals(allowed)) {
            throw HttpProblem.methodNotAllowed(EventRules.printable(method.name()), path, allowed.name());
        }
    }

    private static HttpProblem malformedRequest(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpProblem.badRequest(HttpResponseStatus.REQUEST_URI_TOO_LONG, cause.getMessage());
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpProblem.badRequest(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, cause.getMessage());
        }
        return HttpProblem.badRequest(HttpResponseStatus.BAD_REQUEST,
                "malformed HTTP request: " + EventRules.printable(String.valueOf(cause.getMessage())));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !busy) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Closed with requests still queued (or a pending answer): nothing will answer them.
        releaseQueue();
    }

    private void releaseQueue() {
        for (Object m; (m = queue.poll()) != null;) {
            ReferenceCountUtil.release(m instanceof Rejected r ? r.response() : m);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and the like: the peer is gone or broke the protocol; it affects only this connection.
        LOG.debug("HTTP connection {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
