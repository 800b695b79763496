package io.weft.routing.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.FrameDecoder;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Transports;
import io.weft.protocol.Wire;
import io.weft.security.NodeIdentityCheck;
import io.weft.security.SpiffeId;
import io.weft.security.TlsContexts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh port: accepts route and gateway links, dials and keeps the outbound links the routing
 * core asks for (handshake deadline, heartbeats, reconnect with jittered back-off), and hands events
 * and gossip frames to a {@link Listener}. It decides nothing about routing.
 *
 * <p>A link that stops answering heartbeats within {@link Config#heartbeatTimeoutMillis} is closed
 * and reported down, so a hung peer is never waited on forever.
 */
public final class MeshNetwork implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshNetwork.class);
    /** The TLS handshake's own deadline on mesh links; the mesh handshake's starts after it. */
    static final long TLS_HANDSHAKE_MILLIS = 10_000;

    /** Timeouts and bounds of mesh links. */
    public record Config(long handshakeTimeoutMillis, long heartbeatIntervalMillis, long heartbeatTimeoutMillis,
                         long reconnectMinMillis, long reconnectMaxMillis, int maxFrameBytes, int writeBudgetBytes) {
    }

    /** Callbacks from the network; event and gossip callbacks run on Netty I/O threads. */
    public interface Listener {
        void linkUp(MeshLink link);

        void linkDown(MeshLink link, String reason);

        void nodesLearned(List<NodeInfo> nodes);

        /** A gossip frame (type byte at the reader index); released after the call returns. */
        void gossip(MeshLink link, ByteBuf frame);

        /** An event; {@code pubBody} is released after the call returns (retain to keep it). */
        void event(MeshLink link, int hop, List<String> groups, String replyTo, ByteBuf pubBody);

        /**
         * An event routed on the site trees ({@link MeshFrames#TREE_EVENT}); {@code pubBody} is released
         * after the call returns (retain or copy to keep it). A listener that routes no trees drops it.
         */
        default void treeEvent(MeshLink link, TreeHop tree, String replyTo, ByteBuf pubBody) {
        }
    }

    private final Config config;
    private final Listener listener;
    private final Supplier<Collection<NodeInfo>> directory;
    private final java.util.function.BooleanSupplier member;
    private final EventLoopGroup group;
    private final Map<String, Dialer> dialers = new ConcurrentHashMap<>();
    private final Map<String, MeshLink> outbound = new ConcurrentHashMap<>();
    private final Map<String, MeshLink> inbound = new ConcurrentHashMap<>();
    private volatile NodeInfo self;
    private volatile boolean closed;
    private volatile InetSocketAddress localAddress;
    private Channel server;
    private Tls tls;
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();

    /** TLS on mesh links: contexts for both directions and this node's identity to check peers against. */
    /** TLS handshakes under way on links this node accepted, bounded by {@link Tls#maxHandshakes}. */
    private final java.util.concurrent.atomic.AtomicInteger acceptedHandshakes = new java.util.concurrent.atomic.AtomicInteger();

    private record Tls(SslContext server, SslContext client, SpiffeId self, int maxHandshakes) {
    }

    /**
     * @param directory the nodes this node knows, told to every node that connects (WELCOME)
     * @param member    whether this node has joined the membership group, told likewise
     */
    public MeshNetwork(NodeInfo self, Config config, EventLoopGroup group, Listener listener,
                       Supplier<Collection<NodeInfo>> directory, java.util.function.BooleanSupplier member) {
        this.self = self;
        this.member = member;
        this.config = config;
        this.group = group;
        this.listener = listener;
        this.directory = directory;
    }

    /**
     * Turns on TLS for every link (call before {@link #bind}): both sides present node certificates, and
     * a peer whose certificate does not name the node and site it announces, or that dials a link of the
     * wrong kind for its site (a route link from another site, a gateway link from this one), is refused
     * with IDENTITY_MISMATCH before it learns or tells anything.
     */
    public void useTls(SslContext serverContext, SslContext clientContext, SpiffeId selfId) {
        useTls(serverContext, clientContext, selfId, 256);
    }

    /**
     * As {@link #useTls(SslContext, SslContext, SpiffeId)}, with at most {@code maxHandshakes} TLS handshakes
     * under way on accepted links: past it a new connection is closed at once and counted as a refusal
     * ({@code too_many_handshakes}), so a flood costs closes, not key exchanges.
     */
    public void useTls(SslContext serverContext, SslContext clientContext, SpiffeId selfId, int maxHandshakes) {
        this.tls = new Tls(serverContext, clientContext, selfId, maxHandshakes);
    }

    public boolean tlsEnabled() {
        return tls != null;
    }

    /** Peers refused by the identity check, by reason label. */
    public Map<String, Long> tlsRefusals() {
        Map<String, Long> out = new java.util.TreeMap<>();
        refusals.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Binds the mesh port; returns the bound port. */
    public int bind(String host, int port) throws InterruptedException {
        // links are dialled from the bound address too, so a host with several addresses (or a test
        // giving each node its own loopback address) shows peers which node a connection comes from
        InetSocketAddress local = new InetSocketAddress(host, 0);
        localAddress = local.getAddress() != null && !local.getAddress().isAnyLocalAddress() ? local : null;
        WriteBufferWaterMark marks = new WriteBufferWaterMark(config.writeBudgetBytes / 4, config.writeBudgetBytes / 2);
        server = new ServerBootstrap().group(group).channel(Transports.serverChannel())
                .childOption(ChannelOption.ALLOCATOR, Transports.allocator())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, new LinkHandler(null, null));
                    }
                })
                .bind(host, port).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private void pipeline(Channel ch, LinkHandler h) {
        Tls t = tls;
        if (t != null) {
            boolean accepting = h.dialer == null && h.probe == null;
            if (accepting && acceptedHandshakes.incrementAndGet() > t.maxHandshakes) {
                acceptedHandshakes.decrementAndGet();
                refusals.computeIfAbsent("too_many_handshakes", k -> new LongAdder()).increment();
                ch.close();
                return;
            }
            SslHandler ssl = (accepting ? t.server : t.client).newHandler(ch.alloc());
            ssl.setHandshakeTimeoutMillis(TLS_HANDSHAKE_MILLIS);
            if (accepting) {
                ssl.handshakeFuture().addListener(f -> acceptedHandshakes.decrementAndGet());
            }
            ch.pipeline().addLast("tls", ssl);
        }
        ch.pipeline().addLast("frames", new FrameDecoder(config.maxFrameBytes));
        ch.pipeline().addLast("link", h);
    }

    public void updateSelf(NodeInfo info) {
        this.self = info;
    }

    public NodeInfo self() {
        return self;
    }

    /** Keeps an outbound link of {@code kind} to {@code peer} up until {@link #dropLink}. Idempotent. */
    public void ensureLink(NodeInfo peer, LinkKind kind) {
        if (closed || peer.name().equals(self.name())) {
            return;
        }
        Dialer existing = dialers.get(peer.name());
        if (existing != null && existing.peer.equals(peer) && existing.kind == kind) {
            return;
        }
        if (existing != null) {
            existing.stop("replaced");
        }
        Dialer d = new Dialer(peer, kind);
        dialers.put(peer.name(), d);
        d.connect();
    }

    /** Stops keeping a link to {@code peerName} and closes it. */
    public void dropLink(String peerName, String reason) {
        Dialer d = dialers.remove(peerName);
        if (d != null) {
            d.stop(reason);
        }
    }

    /**
     * Dials {@code peer} again now, with a fresh back-off, unless a link to it is up (a repair for
     * a link that stays down while its node is live).
     *
     * @return true when it redialled
     */
    public boolean redial(NodeInfo peer, LinkKind kind) {
        if (closed || linkTo(peer.name()) != null) {
            return false;
        }
        dropLink(peer.name(), "redialling");
        ensureLink(peer, kind);
        return true;
    }

    /** Peers this node keeps outbound links to. */
    public java.util.Set<String> dialing() {
        return java.util.Set.copyOf(dialers.keySet());
    }

    /** The link to use for sending to {@code peer}: the outbound one, else an inbound one; or null. */
    public MeshLink linkTo(String peer) {
        MeshLink l = outbound.get(peer);
        if (l != null && l.isActive()) {
            return l;
        }
        l = inbound.get(peer);
        return l != null && l.isActive() ? l : null;
    }

    /** Every established link, both directions. */
    public List<MeshLink> links() {
        List<MeshLink> all = new ArrayList<>(outbound.values());
        all.addAll(inbound.values());
        return all;
    }

    /** Asks a seed ({@code host:port} of its mesh port) who it is and whom it knows. */
    public CompletableFuture<MeshFrames.Welcome> probe(String hostPort) {
        CompletableFuture<MeshFrames.Welcome> result = new CompletableFuture<>();
        InetSocketAddress addr;
        try {
            addr = parse(hostPort);
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(e);
            return result;
        }
        bootstrap(new LinkHandler(null, result)).connect(addr).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
            } else {
                ByteBuf hello = f.channel().alloc().buffer(128);
                MeshFrames.writeHello(hello, LinkKind.PROBE, self);
                f.channel().writeAndFlush(hello);
                long wait = config.handshakeTimeoutMillis + (tls != null ? TLS_HANDSHAKE_MILLIS : 0);
                f.channel().eventLoop().schedule(() -> {
                    if (result.completeExceptionally(new IOException("no WELCOME from " + hostPort + " within "
                            + wait + " ms"))) {
                        f.channel().close();
                    }
                }, wait, TimeUnit.MILLISECONDS);
            }
        });
        return result;
    }

    static InetSocketAddress parse(String hostPort) {
        io.weft.protocol.HostPort hp = io.weft.protocol.HostPort.parse(hostPort);
        return InetSocketAddress.createUnresolved(hp.host(), hp.port());
    }

    private Bootstrap bootstrap(LinkHandler handler) {
        WriteBufferWaterMark marks = new WriteBufferWaterMark(config.writeBudgetBytes / 4, config.writeBudgetBytes / 2);
        Bootstrap b = new Bootstrap().group(group).channel(Transports.socketChannel());
        if (localAddress != null) {
            b.localAddress(localAddress);
        }
        return b.option(ChannelOption.ALLOCATOR, Transports.allocator())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.handshakeTimeoutMillis)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, marks)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(ch, handler);
                    }
                });
    }

    @Override
    public void close() {
        closed = true;
        for (Dialer d : List.copyOf(dialers.values())) {
            d.stop("shutting down");
        }
        dialers.clear();
        for (MeshLink l : links()) {
            l.close("shutting down");
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    /** Keeps one outbound link to a peer: connect, handshake, and reconnect with back-off. */
    private final class Dialer {
        final NodeInfo peer;
        final LinkKind kind;
        volatile boolean stopped;
        int attempts;
        volatile Channel channel;

        Dialer(NodeInfo peer, LinkKind kind) {
            this.peer = peer;
            this.kind = kind;
        }

        void connect() {
            if (stopped || closed) {
                return;
            }
            InetSocketAddress addr;
            try {
                addr = parse(peer.meshAddress());
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot dial {}: {}", peer.name(), e.getMessage());
                return;
            }
            bootstrap(new LinkHandler(this, null)).connect(addr).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    retry("connect failed: " + f.cause().getMessage());
                    return;
                }
                Channel ch = f.channel();
                channel = ch;
                if (stopped) {
                    ch.close();
                    return;
                }
                ByteBuf hello = ch.alloc().buffer(128);
                MeshFrames.writeHello(hello, kind, self);
                ch.writeAndFlush(hello);
            });
        }

        void retry(String why) {
            if (stopped || closed) {
                return;
            }
            long min = config.reconnectMinMillis;
            long wait = Math.min(config.reconnectMaxMillis, min << Math.min(attempts, 16));
            wait = wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
            attempts++;
            if (attempts == 1 || attempts % 10 == 0) {
                LOG.info("link to {} ({}) down: {}; retrying in {} ms", peer.name(), kind, why, wait);
            }
            group.next().schedule(this::connect, wait, TimeUnit.MILLISECONDS);
        }

        void established() {
            attempts = 0;
        }

        void stop(String reason) {
            stopped = true;
            MeshLink l = outbound.get(peer.name());
            if (l != null && l.channel() == channel) {
                l.close(reason);
            } else if (channel != null) {
                channel.close();
            }
        }
    }

    /** Handshake, heartbeats and dispatch of one mesh connection. */
    private final class LinkHandler extends ChannelInboundHandlerAdapter {
        private final Dialer dialer;
        private final CompletableFuture<MeshFrames.Welcome> probe;
        private MeshLink link;
        private ScheduledFuture<?> handshakeTimer;
        private LinkHeartbeat heartbeat;
        private ScheduledFuture<?> heartbeatTimer;
        private boolean heardTraffic;
        private String closeReason = "connection closed";

        LinkHandler(Dialer dialer, CompletableFuture<MeshFrames.Welcome> probe) {
            this.dialer = dialer;
            this.probe = probe;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // over TLS the mesh handshake's deadline starts when the TLS handshake is done (the TLS
            // handler has its own): six JVMs starting on two cores took over 3 s for some TLS handshakes
            if (ctx.pipeline().get(SslHandler.class) == null) {
                startHandshakeTimer(ctx);
            }
            long now = System.nanoTime();
            heartbeat = new LinkHeartbeat(dialer != null || probe != null,
                    TimeUnit.MILLISECONDS.toNanos(config.heartbeatIntervalMillis),
                    TimeUnit.MILLISECONDS.toNanos(config.heartbeatTimeoutMillis), now);
            scheduleHeartbeat(ctx, now);
            ctx.fireChannelActive();
        }

        private void startHandshakeTimer(ChannelHandlerContext ctx) {
            handshakeTimer = ctx.executor().schedule(() -> {
                if (link == null) {
                    closeReason = "no handshake within " + config.handshakeTimeoutMillis + " ms";
                    ctx.close();
                }
            }, config.handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        }

        private void scheduleHeartbeat(ChannelHandlerContext ctx, long now) {
            heartbeatTimer = ctx.executor().schedule(() -> checkHeartbeat(ctx),
                    heartbeat.nextCheck(now) - now, TimeUnit.NANOSECONDS);
        }

        private void checkHeartbeat(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                return;
            }
            long now = System.nanoTime();
            switch (heartbeat.due(now)) {
                case CLOSE:
                    closeReason = "no heartbeat for " + config.heartbeatTimeoutMillis + " ms";
                    LOG.warn("mesh link {}: {}", link != null ? link : ctx.channel().remoteAddress(), closeReason);
                    ctx.close();
                    return;
                case PING:
                    if (link != null) {
                        ByteBuf ping = ctx.alloc().buffer(13);
                        MeshFrames.writePing(ping, MeshFrames.PING, now);
                        ctx.writeAndFlush(ping);
                    }
                    break;
                default:
                    break;
            }
            scheduleHeartbeat(ctx, now);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            heartbeat.heard(System.nanoTime(), heardTraffic);
            heardTraffic = false;
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                byte type = frame.getByte(frame.readerIndex());
                heardTraffic |= type != MeshFrames.PONG;
                if (link == null) {
                    frame.skipBytes(1);
                    handshake(ctx, type, frame);
                } else if (type == MeshFrames.EVENT) {
                    frame.skipBytes(1);
                    event(frame);
                } else if (type == MeshFrames.TREE_EVENT && link.version() >= MeshFrames.VERSION_TREE_EVENT) {
                    frame.skipBytes(1);
                    treeEvent(frame);
                } else if (type >= MeshFrames.GOSSIP_FIRST && type <= MeshFrames.GOSSIP_LAST) {
                    listener.gossip(link, frame);
                } else {
                    frame.skipBytes(1);
                    control(ctx, type, frame);
                }
            } catch (ProtocolException e) {
                closeReason = "protocol error: " + e.getMessage();
                LOG.warn("mesh link {}: {}", link != null ? link : ctx.channel().remoteAddress(), e.getMessage());
                ByteBuf b = ctx.alloc().buffer(64);
                MeshFrames.writeClose(b, e.getMessage());
                ctx.writeAndFlush(b).addListener(f -> ctx.close());
            } finally {
                frame.release();
            }
        }

        private void handshake(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
            if (type == MeshFrames.HELLO && dialer == null && probe == null) {
                MeshFrames.Hello hello = MeshFrames.readHello(frame);
                if (hello.node().name().equals(self.name())) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "a node named " + self.name()
                            + " already exists (is a node dialling itself, or are two nodes named alike?)");
                }
                checkIdentity(ctx, hello.node(), hello.kind());
                ByteBuf w = ctx.alloc().buffer(512);
                MeshFrames.writeWelcome(w, hello.version(), self, directory.get(), member.getAsBoolean());
                ctx.writeAndFlush(w);
                listener.nodesLearned(List.of(hello.node()));
                if (hello.kind() == LinkKind.PROBE) {
                    return;
                }
                established(new MeshLink(ctx.channel(), hello.node(), hello.kind(), false, config.writeBudgetBytes / 2,
                        hello.version()));
            } else if (type == MeshFrames.WELCOME && (dialer != null || probe != null)) {
                MeshFrames.Welcome welcome = MeshFrames.readWelcome(frame);
                checkIdentity(ctx, welcome.node(), dialer != null ? dialer.kind : LinkKind.PROBE);
                List<NodeInfo> learned = new ArrayList<>(welcome.known());
                learned.add(welcome.node());
                listener.nodesLearned(learned);
                if (probe != null) {
                    probe.complete(welcome);
                    ctx.close();
                    return;
                }
                if (!welcome.node().name().equals(dialer.peer.name())) {
                    throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "dialled " + dialer.peer.name()
                            + " at " + dialer.peer.meshAddress() + " but " + welcome.node().name() + " answered");
                }
                dialer.established();
                established(new MeshLink(ctx.channel(), welcome.node(), dialer.kind, true, config.writeBudgetBytes / 2,
                        welcome.version()));
            } else if (type == MeshFrames.CLOSE) {
                closeReason = "peer refused: " + Wire.readStr16(frame);
                LOG.warn("mesh handshake with {}: {}", ctx.channel().remoteAddress(), closeReason);
                ctx.close();
            } else {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "unexpected frame 0x"
                        + Integer.toHexString(type & 0xff) + " during the mesh handshake");
            }
        }

        /**
         * With TLS on: the peer's certificate must name the node and site it announced, in this mesh, and a
         * route link joins nodes of one site, a gateway link nodes of two. Refused peers are counted.
         */
        private void checkIdentity(ChannelHandlerContext ctx, NodeInfo peer, LinkKind kind) {
            Tls t = tls;
            if (t == null) {
                return;
            }
            Optional<NodeIdentityCheck.Refusal> refusal = NodeIdentityCheck.check(t.self,
                    TlsContexts.peerCertificate(ctx.pipeline().get(SslHandler.class)), peer.site(), peer.name());
            if (refusal.isEmpty() && kind == LinkKind.ROUTE && !peer.site().equals(self.site())) {
                refusal = Optional.of(new NodeIdentityCheck.Refusal(NodeIdentityCheck.Reason.WRONG_LINK_SITE,
                        "a route link joins nodes of one site, but " + peer.name() + " is of site " + peer.site()
                                + " and this node of site " + self.site()));
            } else if (refusal.isEmpty() && kind == LinkKind.GATEWAY && peer.site().equals(self.site())) {
                refusal = Optional.of(new NodeIdentityCheck.Refusal(NodeIdentityCheck.Reason.WRONG_LINK_SITE,
                        "a gateway link joins two sites, but " + peer.name() + " is of this node's site "
                                + self.site()));
            }
            if (refusal.isPresent()) {
                refusals.computeIfAbsent(refusal.get().reason().label, k -> new LongAdder()).increment();
                closeReason = "refused: " + refusal.get().message();
                throw new ProtocolException(ErrorCode.IDENTITY_MISMATCH, refusal.get().message());
            }
        }

        private void established(MeshLink l) {
            if (handshakeTimer != null) {
                handshakeTimer.cancel(false);
            }
            link = l;
            Map<String, MeshLink> table = l.outbound() ? outbound : inbound;
            MeshLink old = table.put(l.peer().name(), l);
            if (old != null && old.channel() != l.channel()) {
                old.close("replaced by a new connection");
            }
            listener.linkUp(l);
        }

        private void event(ByteBuf frame) {
            Wire.need(frame, 2, "EVENT header");
            int flags = frame.readUnsignedByte();
            int hop = flags & ~MeshFrames.HOP_REPLY_FLAG;
            int n = frame.readUnsignedByte();
            List<String> groups = n == 0 ? List.of() : new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                groups.add(Wire.readStr16(frame));
            }
            String replyTo = null;
            if ((flags & MeshFrames.HOP_REPLY_FLAG) != 0) {
                replyTo = Wire.readStr16(frame);
                io.weft.protocol.Topics.validateTopic(replyTo);
            }
            if (hop != MeshFrames.HOP_ROUTE && hop != MeshFrames.HOP_GATEWAY) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "unknown hop kind " + hop);
            }
            link.eventsReceived.increment();
            listener.event(link, hop, groups, replyTo, frame);
        }

        /**
         * The header of the last TREE_EVENT read on this link, and its bytes: the events of a busy topic
         * carry the same one, which is then not decoded again.
         */
        private TreeHop lastTreeHop;
        private int lastTreeFlags;
        private byte[] lastTreeBytes;

        /** The last header read when this frame's, after the flags, is the same bytes (then skipped); else null. */
        private TreeHop sameTreeHop(ByteBuf frame, int flags) {
            byte[] last = lastTreeBytes;
            // the reply flag says nothing of the header; the rest were checked when the last one was read
            if (last == null || (flags & ~MeshFrames.HOP_REPLY_FLAG) != (lastTreeFlags & ~MeshFrames.HOP_REPLY_FLAG)
                    || frame.readableBytes() < last.length) {
                return null;
            }
            int at = frame.readerIndex();
            for (int i = 0; i < last.length; i++) {
                if (frame.getByte(at + i) != last[i]) {
                    return null;
                }
            }
            frame.skipBytes(last.length);
            return lastTreeHop;
        }

        private void treeEvent(ByteBuf frame) {
            Wire.need(frame, 1, "TREE_EVENT flags");
            int flags = frame.readUnsignedByte();
            TreeHop tree = sameTreeHop(frame, flags);
            if (tree == null) {
                int at = frame.readerIndex();
                tree = MeshFrames.readTreeHop(frame, flags);
                lastTreeFlags = flags;
                lastTreeHop = tree;
                lastTreeBytes = new byte[frame.readerIndex() - at];
                frame.getBytes(at, lastTreeBytes);
            }
            String replyTo = null;
            if ((flags & MeshFrames.HOP_REPLY_FLAG) != 0) {
                replyTo = Wire.readStr16(frame);
                io.weft.protocol.Topics.validateTopic(replyTo);
            }
            link.eventsReceived.increment();
            listener.treeEvent(link, tree, replyTo, frame);
        }

        private void control(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
            switch (type) {
                case MeshFrames.PING:
                    ByteBuf pong = ctx.alloc().buffer(13);
                    MeshFrames.writePing(pong, MeshFrames.PONG, frame.readLong());
                    ctx.writeAndFlush(pong);
                    break;
                case MeshFrames.PONG:
                    Wire.need(frame, 8, "PONG");
                    link.lastRttNanos = System.nanoTime() - frame.readLong();
                    link.pongs++;
                    break;
                case MeshFrames.CLOSE:
                    closeReason = "closed by peer: " + Wire.readStr16(frame);
                    ctx.close();
                    break;
                default:
                    throw new ProtocolException(ErrorCode.UNKNOWN_FRAME, "unknown mesh frame 0x"
                            + Integer.toHexString(type & 0xff));
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    startHandshakeTimer(ctx);
                } else {
                    // a peer without a certificate from this mesh's CA, a plaintext peer, or garbage: it
                    // never gets as far as the identity check, and is counted and logged here
                    Throwable c = e.cause();
                    String reason = c instanceof io.netty.handler.ssl.NotSslRecordException ? "not_tls" : "tls_handshake";
                    refusals.computeIfAbsent(reason, k -> new LongAdder()).increment();
                    closeReason = "TLS handshake failed: " + (c.getMessage() != null ? c.getMessage() : c.toString());
                    LOG.warn("mesh link {} ({}): {}", ctx.channel().remoteAddress(), dialer != null
                            ? "dialling " + dialer.peer.name() : probe != null ? "probing" : "accepted", closeReason);
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (link != null && ctx.channel().isWritable()) {
                link.kick();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (handshakeTimer != null) {
                handshakeTimer.cancel(false);
            }
            if (heartbeatTimer != null) {
                heartbeatTimer.cancel(false);
            }
            if (probe != null) {
                probe.completeExceptionally(new IOException(closeReason));
            }
            if (link != null) {
                Map<String, MeshLink> table = link.outbound() ? outbound : inbound;
                table.remove(link.peer().name(), link);
                link.kick(); // releases whatever is still queued: the channel is inactive now
                listener.linkDown(link, closeReason);
            }
            if (dialer != null && dialers.get(dialer.peer.name()) == dialer) {
                dialer.retry(closeReason);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (c instanceof javax.net.ssl.SSLException && link == null) {
                ctx.close(); // a failed handshake: counted and logged with its completion event
                return;
            }
            closeReason = c instanceof IOException ? "I/O error: " + c.getMessage() : "error: " + c;
            if (!(c instanceof IOException)) {
                LOG.warn("mesh link {}: {}", link != null ? link : ctx.channel().remoteAddress(), closeReason);
            }
            ctx.close();
        }
    }
}
