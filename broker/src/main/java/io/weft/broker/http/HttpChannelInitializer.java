package io.weft.broker.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * Builds the pipeline of one HTTP connection (see the package documentation). One instance serves
 * every connection of a server; tests hand it to an {@code EmbeddedChannel}.
 */
@ChannelHandler.Sharable
final class HttpChannelInitializer extends ChannelInitializer<Channel> {
    static final int MAX_INITIAL_LINE_BYTES = 8 * 1024;
    static final int MAX_HEADER_BYTES = 32 * 1024;
    /** A connection with no request or response for this long is closed. */
    static final int IDLE_TIMEOUT_SECONDS = 120;

    private final int maxPayloadBytes;
    private final java.util.Map<String, java.util.function.Supplier<Object>> views;
    private final ResponseMetrics metrics;
    private final EventsEndpoint events;
    private final AdminEndpoints admin;
    private final HttpContext.StreamApi streams;
    private final HttpAccess access;

    /** Registers the HTTP metrics in {@code context.registry()}: create one per registry. */
    HttpChannelInitializer(HttpContext context) {
        this.maxPayloadBytes = context.maxPayloadBytes();
        this.views = context.views();
        this.metrics = new ResponseMetrics(context.registry());
        this.events = new EventsEndpoint(context.publisher(), context.durable());
        this.streams = context.streams();
        this.access = context.access();
        this.admin = new AdminEndpoints(context.node(), context.ready(), context.registry());
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, IDLE_TIMEOUT_SECONDS))
                .addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                        .setMaxHeaderSize(MAX_HEADER_BYTES)))
                .addLast("metrics", metrics)
                .addLast("keepAlive", new HttpServerKeepAliveHandler())
                .addLast("aggregator", new PayloadLimitAggregator(maxPayloadBytes))
                .addLast("dispatcher", new RequestDispatcher(events, admin, views, streams, access));
    }
}
