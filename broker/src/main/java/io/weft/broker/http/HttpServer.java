package io.weft.broker.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.weft.protocol.Transports;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.weft.broker.Broker;
import io.weft.protocol.Transports;
import java.net.InetSocketAddress;

/**
 * The node's HTTP port: CloudEvents ingress, admin API, {@code /metrics} and {@code /healthz} (see the
 * package documentation). Runs on the broker's event loops, with the same transport (epoll or NIO).
 */
public final class HttpServer {
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final HttpChannelInitializer initializer;
    private final ChannelGroup connections = new DefaultChannelGroup("http", GlobalEventExecutor.INSTANCE);
    private Channel channel;

    public HttpServer(Broker broker) {
        this.initializer = new HttpChannelInitializer(HttpContext.of(broker));
    }

    /**
     * Binds {@code host:port} (0 = any free port) and returns once bound.
     *
     * @param tls makes the TLS handler that goes first on every connection (or null for a connection to
     *            close at once); null for plaintext
     */
    public void start(EventLoopGroup boss, EventLoopGroup workers, String host, int port,
                      java.util.function.Function<Channel, io.netty.channel.ChannelHandler> tls) throws InterruptedException {
        ServerBootstrap sb = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOCATOR, Transports.allocator())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        if (tls != null) {
                            io.netty.channel.ChannelHandler h = tls.apply(ch);
                            if (h == null) {
                                ch.close(); // too many TLS handshakes under way
                                return;
                            }
                            ch.pipeline().addLast("tls", h);
                        }
                        ch.pipeline().addLast(initializer);
                    }
                });
        channel = sb.bind(host, port).sync().channel();
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting and closes every open HTTP connection. */
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        connections.close().syncUninterruptibly();
    }
}
