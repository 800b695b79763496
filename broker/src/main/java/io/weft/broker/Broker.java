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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.function.Supplier;
import io.weft.routing.net.NodeInfo;
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
    private volatile MeshNode mesh;
    private Streams streams;
    private Rules rules;
    private RuleRunner ruleRunner;
    private int meshPort;

    private final NodeTls tls;
    /** The security config in force, or null without --security-config; replaced by {@link #reload}. */
    private volatile io.weft.security.SecurityPolicy policy;
    private final java.util.Set<ClientSession> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Reloads reloads;

    private Broker(MeshdConfig config) throws java.io.IOException {
        this.config = config.validate();
        this.tls = NodeTls.of(config);
        this.policy = loadPolicy(config);
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
        // attached before the client port opens, so no subscription can miss the mesh
        mesh = new MeshNode(config, router, workers, System.currentTimeMillis(), tls);
        router.attach(mesh);
        streams = new Streams(config, router, mesh, metrics);
        rules = new Rules(config, streams, mesh, new java.security.SecureRandom());
        ruleRunner = new RuleRunner(config, rules, router, streams);
        streams.onSystemStreams(ruleRunner);
        metrics.registerRules(ruleRunner::statuses);
        int raftPort = streams.start(tls == null ? null : tls.raft());
        int low = (int) Math.max(32 * 1024, config.maxPendingBytes / 4);
        int high = (int) Math.max(64 * 1024, config.maxPendingBytes / 2);
        ServerBootstrap sb = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOCATOR, Transports.allocator())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(low, high))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            io.netty.handler.ssl.SslHandler h = tls.clientPortHandler(ch);
                            if (h == null) {
                                ch.close();
                                return;
                            }
                            ch.pipeline().addLast("tls-first", new TlsRequired());
                            ch.pipeline().addLast("tls", h);
                        }
                        ch.pipeline().addLast("frames", new FrameDecoder(config.maxPayloadBytes));
                        ch.pipeline().addLast("session", new ClientSession(Broker.this, sessionIds.incrementAndGet()));
                    }
                });
        clientChannel = sb.bind(config.host, config.clientPort).sync().channel();
        http = new HttpServer(this);
        http.start(boss, workers, config.host, config.httpPort, tls == null ? null : tls::httpPortHandler);
        if (tls != null) {
            metrics.registerTls(tls::handshakesRefused);
        }
        reloads = new Reloads(this, config, tls);
        reloads.watch();
        meshPort = mesh.start(clientPort(), httpPort(), raftPort);
        metrics.registerMesh(mesh);
        LOG.info("meshd {} node={} site={} client={} http={} mesh={} membership={} raft={} data={} transport={}"
                        + " common-pool={} buffer-chunk={}KiB",
                Version.get(), config.node, config.site, clientPort(), httpPort(), meshPort,
                mesh.self().membershipAddress(), raftPort,
                config.dataDir.toAbsolutePath(), Transports.name(),
                java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(),
                (PooledByteBufAllocator.defaultPageSize()
                        << PooledByteBufAllocator.defaultMaxOrder()) / 1024);
    }

    /** The users and permissions of --security-config; null without one (everyone may do everything). */
    private static io.weft.security.SecurityPolicy loadPolicy(MeshdConfig config) throws java.io.IOException {
        if (config.securityConfig == null || config.securityConfig.isBlank()) {
            return null;
        }
        try {
            io.weft.security.SecurityPolicy p = io.weft.security.SecurityPolicy.load(java.nio.file.Path.of(config.securityConfig));
            p.validatePatterns(io.weft.protocol.Topics::validatePattern);
            LOG.info("security config {}: {} user(s), digest {}", config.securityConfig, p.users().size(),
                    p.digest().substring(0, 12));
            return p;
        } catch (io.weft.security.SecurityPolicy.PolicyException e) {
            throw new java.io.IOException("--security-config: " + e.getMessage(), e);
        }
    }

    io.weft.security.SecurityPolicy policy() {
        return policy;
    }

    /** Who may use the HTTP port: everyone without a security config; asks the config in force at each request. */
    public io.weft.broker.http.HttpAccess httpAccess() {
        return (request, cert) -> {
            io.weft.security.SecurityPolicy p = policy;
            return p == null ? io.weft.security.Permissions.ALL : io.weft.broker.http.HttpAccess.of(p,
                    tls == null ? null : tls.identity().mesh(), method -> metrics.authFailures.labelValues(method).inc())
                    .authenticate(request, cert);
        };
    }

    void sessionOpened(ClientSession s) {
        sessions.add(s);
    }

    void sessionClosed(ClientSession s) {
        sessions.remove(s);
    }

    /**
     * Reads the security config again; when it changed and is valid, it is in force from now on: every
     * connection is checked against it ({@link ClientSession#policyChanged}).
     *
     * @return whether it changed
     * @throws java.io.IOException naming the field or file at fault; the config in force stays
     */
    synchronized boolean reloadPolicy() throws java.io.IOException {
        if (policy == null) {
            return false;
        }
        io.weft.security.SecurityPolicy next = loadPolicy(config);
        if (next.digest().equals(policy.digest())) {
            return false;
        }
        policy = next;
        sessions.forEach(s -> s.policyChanged(next));
        return true;
    }

    /** Reloads the TLS files and the security config now (SIGHUP, POST /v1/admin/reload). */
    public Reloads.Outcome reload(String trigger) {
        return reloads.reload(trigger);
    }

    /** This node's TLS, or null when it runs plaintext. */
    NodeTls tls() {
        return tls;
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

    Streams streams() {
        return streams;
    }

    /**
     * Answers an admin request with a method and body (the stream API, {@code /v1/streams...}, and the
     * read-only views for GET); shared by the native REQUEST frame and HTTP.
     *
     * @return the status and JSON body; the future may complete on another thread
     */
    public java.util.concurrent.CompletableFuture<Map.Entry<Integer, byte[]>> request(String method, String uri, byte[] body) {
        io.netty.handler.codec.http.QueryStringDecoder q = new io.netty.handler.codec.http.QueryStringDecoder(uri);
        Map<String, String> query = new LinkedHashMap<>();
        q.parameters().forEach((k, v) -> query.put(k, v.isEmpty() ? "" : v.get(0)));
        String path = q.path();
        if (path.equals("/v1/streams") || path.startsWith("/v1/streams/")) {
            return streams.request(method, path, query, body).thenApply(r -> Map.entry(r.status(), r.json()));
        }
        if (path.equals(Rules.PATH) || path.startsWith(Rules.PATH + "/")) {
            return rules.request(method, path, body).thenApply(r -> Map.entry(r.status(), r.json()));
        }
        if (path.equals(Reloads.PATH)) {
            Streams.Response r = !method.equals("POST") ? Streams.Response.error(405, method + " not allowed on " + path
                    + ": POST reloads") : reloadResponse(reload("POST " + path));
            return java.util.concurrent.CompletableFuture.completedFuture(Map.entry(r.status(), r.json()));
        }
        Supplier<Object> view = adminViews().get(path);
        Streams.Response r = view == null ? Streams.Response.error(404, "no admin document at " + path)
                : !method.equals("GET") ? Streams.Response.error(405, method + " not allowed on " + path)
                : Streams.Response.of(200, view.get());
        return java.util.concurrent.CompletableFuture.completedFuture(Map.entry(r.status(), r.json()));
    }

    /**
     * Publishes {@code event} on {@code topic} for a durable stream (the HTTP ingress uses this): core
     * subscribers get it at once; the future completes with the stream's ack, or a failed PubAck
     * (status {@link Frames#ACK_FAILED}) saying why. Never completes exceptionally.
     *
     * @throws io.weft.protocol.ProtocolException for an invalid topic or event
     */
    public java.util.concurrent.CompletableFuture<Frames.PubAck> publishDurable(String topic, io.cloudevents.CloudEvent event) {
        io.weft.protocol.Topics.validateTopic(topic);
        io.netty.buffer.ByteBuf body = io.netty.buffer.PooledByteBufAllocator.DEFAULT.buffer(256);
        java.util.concurrent.CompletableFuture<Frames.PubAck> f = new java.util.concurrent.CompletableFuture<>();
        try {
            io.weft.protocol.Wire.writeStr16(body, topic);
            io.weft.protocol.EventCodec.encode(event, body);
            metrics.httpEventsIn.inc();
            metrics.httpBytesIn.inc(body.readableBytes());
            streams.publishDurable(topic, body, f::complete);
        } finally {
            body.release();
        }
        return f;
    }

    public int meshPort() {
        return meshPort;
    }

    /**
     * Ready once the ports are bound, the node has joined the mesh and has synced interest with at
     * least one peer of every known site (so early publishes are not silently lost).
     */
    public boolean ready() {
        return clientChannel != null && clientChannel.isActive() && mesh != null && mesh.ready();
    }

    Info info(int version) {
        boolean ready = ready();
        List<NodeAddress> nodes = new ArrayList<>();
        nodes.add(new NodeAddress(config.node, config.site, config.advertisedHost() + ":" + clientPort(), ready));
        for (NodeInfo n : mesh.nodes()) {
            if (!n.name().equals(config.node) && mesh.isLive(n.name()) && !n.clientAddress().isEmpty()) {
                nodes.add(new NodeAddress(n.name(), n.site(), n.clientAddress(), true));
            }
        }
        return new Info(version, Version.get(), config.node, config.site, config.maxPayloadBytes, ready, nodes);
    }

    /** Read-only JSON documents of the admin API, by path; shared by HTTP and the native ADMIN frame. */
    public Map<String, Supplier<Object>> adminViews() {
        Map<String, Supplier<Object>> v = new LinkedHashMap<>();
        v.put("/v1/node", this::describe);
        v.put("/v1/nodes", () -> AdminViews.nodes(this, mesh));
        v.put("/v1/interest", () -> AdminViews.interest(mesh));
        v.put("/v1/links", () -> AdminViews.links(mesh));
        v.put("/v1/gossip", () -> mesh.gossipStats());
        v.put("/v1/topology", () -> mesh.topology());
        return v;
    }

    /** What {@code GET /v1/node} shows. */
    public Map<String, Object> describe() {
        Map<String, Object> ports = new LinkedHashMap<>();
        ports.put("client", clientPort());
        ports.put("mesh", meshPort);
        ports.put("membership", mesh == null ? "" : mesh.self().membershipAddress());
        ports.put("http", httpPort());
        ports.put("raft", streams == null ? config.raftPort : streams.raftPort());
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
        m.put("tls", tls != null);
        m.put("auth", policy != null);
        if (policy != null) {
            m.put("securityConfigDigest", policy.digest());
        }
        if (tls != null) {
            m.put("tlsIdentity", tls.describe());
        }
        if (mesh != null) {
            m.put("health", mesh.health().describe(System.nanoTime()));
            java.util.Map<String, String> gateways = mesh.gatewayAnswers();
            if (gateways != null) {
                // --gateways: the site's links are configured; its membership group is its own site's
                Map<String, Object> siteLinks = new LinkedHashMap<>();
                siteLinks.put("gateways", gateways);
                siteLinks.put("noTransit", config.noTransit);
                m.put("siteLinks", siteLinks);
            }
        }
        return m;
    }

    private static Streams.Response reloadResponse(Reloads.Outcome o) {
        return Streams.Response.of(o.failed().isEmpty() ? 200 : 422, o.json());
    }

    @Override
    public void close() {
        try {
            if (reloads != null) {
                reloads.close();
            }
            if (clientChannel != null) {
                clientChannel.close().syncUninterruptibly();
            }
            if (ruleRunner != null) {
                ruleRunner.close();
            }
            if (streams != null) {
                streams.close();
            }
            if (mesh != null) {
                mesh.close();
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
