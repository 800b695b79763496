package io.weft.broker.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each complete request of one connection to its endpoint and writes exactly one response
 * per request, in order. Turns {@link HttpProblem}s into problem responses, and anything else into a
 * 500 that is logged: that is a bug, not bad input. Stops reading while responses pile up unread.
 */
final class RequestDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final String EVENTS = "/v1/events";
    private static final String TOPICS_PREFIX = "/v1/topics/";
    private static final String TOPICS_SUFFIX = "/events";

    private final EventsEndpoint events;
    private final AdminEndpoints admin;
    private final java.util.Map<String, java.util.function.Supplier<Object>> views;

    RequestDispatcher(EventsEndpoint events, AdminEndpoints admin,
                      java.util.Map<String, java.util.function.Supplier<Object>> views) {
        this.events = events;
        this.admin = admin;
        this.views = views;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        FullHttpResponse response;
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            // The parser cannot find the next request after a malformed one: answer, then close.
            response = HttpResponses.problem(malformedRequest(decoded.cause()));
            keepAlive = false;
        } else {
            response = answer(request);
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response);
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    private FullHttpResponse answer(FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).rawPath();
        try {
            return route(request.method(), path, request);
        } catch (HttpProblem p) {
            return HttpResponses.problem(p);
        } catch (RuntimeException e) {
            LOG.warn("HTTP {} {} failed", request.method(), EventRules.printable(path), e);
            return HttpResponses.problem(HttpProblem.internal());
        }
    }

    private FullHttpResponse route(HttpMethod method, String path, FullHttpRequest request) {
        switch (path) {
            case EVENTS:
                allow(method, HttpMethod.POST, path);
                return events.publish(request, null);
            case "/v1/node":
                allow(method, HttpMethod.GET, path);
                return admin.node();
            case "/healthz":
                allow(method, HttpMethod.GET, path);
                return admin.health();
            case "/metrics":
                allow(method, HttpMethod.GET, path);
                return admin.metrics();
            default:
                java.util.function.Supplier<Object> view = views.get(path);
                if (view != null) {
                    allow(method, HttpMethod.GET, path);
                    return HttpResponses.json(io.netty.handler.codec.http.HttpResponseStatus.OK, view.get());
                }
                String rawTopic = topicSegment(path);
                if (rawTopic == null) {
                    throw HttpProblem.notFound(EventRules.printable(path));
                }
                allow(method, HttpMethod.POST, path);
                return events.publish(request, decodeTopic(rawTopic));
        }
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
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
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
