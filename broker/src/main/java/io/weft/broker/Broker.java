package io.weft.broker;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.weft.broker.http.HttpServer;
import io.weft.protocol.FrameDecoder;
import io.weft.protocol.Frames;
import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import io.weft.protocol.Transports;
import io.weft.routing.SubscriptionTrie;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code meshd} node: binds the client and HTTP ports and wires sessions, routing and metrics
 * together. {@link #start} returns once every port is bound; {@link #close} releases everything.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    private static final int MATCH_CACHE = 4096;

    private final MeshdConfig config;
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final Router router;
    private final AtomicLong sessionIds = new AtomicLong();
    private final Instant startedAt = Instant.now();
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private Channel clientChannel;
    private HttpServer http;

    private Broker(MeshdConfig config) {
        this.config = config.validate();
        this.router = new Router(new SubscriptionTrie<>(MATCH_CACHE), metrics, PooledByteBufAllocator.DEFAULT);
        this.boss = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        this.workers = new MultiThreadIoEventLoopGroup(config.ioThreadCount(), Transports.ioHandlerFactory());
    }

    /** Starts a node and returns once all its ports are bound. */
    public static Broker start(MeshdConfig config) throws Exception {
        Broker b = new Broker(config);
        try {
            b.bind();
            return b;
        } catch (Exception e) {
            b.close();
            throw e;
        }
    }

    private void bind() throws Exception {
        Files.createDirectories(config.dataDir);
        int low = (int) Math.max(32 * 1024, config.maxPendingBytes / 4);
        int high = (int) Math.max(64 * 1024, config.maxPendingBytes / 2);
        ServerBootstrap sb = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(low, high))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("frames", new FrameDecoder(config.maxPayloadBytes));
                        ch.pipeline().addLast("session", new ClientSession(Broker.this, sessionIds.incrementAndGet()));
                    }
                });
        clientChannel = sb.bind(config.host, config.clientPort).sync().channel();
        http = new HttpServer(this);
        http.start(boss, workers, config.host, config.httpPort);
        LOG.info("meshd {} node={} site={} client={} http={} data={} transport={}", Version.get(), config.node, config.site,
                clientPort(), httpPort(), config.dataDir.toAbsolutePath(), Transports.name());
    }

    public int clientPort() {
        return ((InetSocketAddress) clientChannel.localAddress()).getPort();
    }

    public int httpPort() {
        return http.port();
    }

    public MeshdConfig config() {
        return config;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public Router router() {
        return router;
    }

    /** The node's readiness: with no mesh yet, a node is ready as soon as its ports are bound. */
    public boolean ready() {
        return clientChannel != null && clientChannel.isActive();
    }

    Info info(int version) {
        String addr = config.advertisedHost() + ":" + clientPort();
        return new Info(version, Version.get(), config.node, config.site, config.maxPayloadBytes, ready(),
                List.of(new NodeAddress(config.node, config.site, addr, ready())));
    }

    /** What {@code GET /v1/node} shows. */
    public Map<String, Object> describe() {
        Map<String, Object> ports = new LinkedHashMap<>();
        ports.put("client", clientPort());
        ports.put("mesh", config.meshPort);
        ports.put("http", httpPort());
        ports.put("raft", config.raftPort);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", config.node);
        m.put("site", config.site);
        m.put("version", Version.get());
        m.put("protocolVersion", Frames.PROTOCOL_VERSION);
        m.put("ready", ready());
        m.put("advertiseHost", config.advertisedHost());
        m.put("ports", ports);
        m.put("dataDir", config.dataDir.toAbsolutePath().toString());
        m.put("startedAt", startedAt.toString());
        m.put("uptimeSeconds", Duration.between(startedAt, Instant.now()).toSeconds());
        m.put("connections", (long) metrics.connectionCount());
        m.put("subscriptions", router.subscriptionCount());
        m.put("maxPayload", config.maxPayloadBytes);
        return m;
    }

    @Override
    public void close() {
        try {
            if (clientChannel != null) {
                clientChannel.close().syncUninterruptibly();
            }
            if (http != null) {
                http.close();
            }
        } finally {
            boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
