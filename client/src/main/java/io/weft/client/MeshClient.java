package io.weft.client;

import io.cloudevents.CloudEvent;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ErrorFrame;
import io.weft.protocol.FrameDecoder;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Hello;
import io.weft.protocol.Info;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Topics;
import io.weft.protocol.Transports;
import io.weft.protocol.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection to the Weft mesh.
 *
 * <pre>{@code
 * try (MeshClient client = MeshClient.connect("127.0.0.1:7420")) {
 *     client.subscribe("orders.>", m -> System.out.println(m.topic() + " " + m.event().getId()));
 *     client.publish("orders.eu.created", CloudEventBuilder.v1()
 *             .withId("1").withSource(URI.create("/shop")).withType("com.example.order.created")
 *             .withData("application/json", "{\"id\":1}".getBytes(UTF_8)).build());
 *     client.flush(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Publishing is asynchronous and pipelined: {@link #publish} appends to a bounded outbound buffer
 * and returns; it blocks only while that buffer is full. {@link #flush} waits until the broker has
 * processed everything published before it. Core publishing is at most once: events in flight when
 * a connection drops are lost; durable streams (a later feature) acknowledge.
 *
 * <p>The client reconnects on its own (with back-off, trying every server), subscribes again, and
 * then sends what was published while disconnected. Handlers run on one dispatcher thread per client.
 * All methods are thread-safe.
 */
public final class MeshClient implements AutoCloseable {
    private static final int MAX_INBOUND_FRAME = 64 << 20;

    private final ClientOptions options;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Outbox outbox;
    private final Dispatcher dispatcher;
    private final ScheduledExecutorService reconnector;
    private final Map<Long, Subscription> subs = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Void>> pings = new ConcurrentHashMap<>();
    private final AtomicLong sids = new AtomicLong();
    private final AtomicLong pingTokens = new AtomicLong();
    private volatile Channel channel;
    private volatile Info info;
    private volatile String server;
    private volatile boolean closed;
    private int reconnectAttempts;

    private MeshClient(ClientOptions options) {
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-client-io", true),
                Transports.ioHandlerFactory());
        this.outbox = new Outbox(PooledByteBufAllocator.DEFAULT, options.maxPendingOutBytes);
        this.dispatcher = new Dispatcher("weft-client-dispatch", options.maxPendingInMessages,
                options.maxPendingInBytes, options.errorListener);
        this.reconnector = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("weft-client-reconnect", true));
        this.bootstrap = new Bootstrap().group(group).channel(Transports.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("frames", new FrameDecoder(MAX_INBOUND_FRAME));
                        ch.pipeline().addLast("client", new Handler());
                    }
                });
    }

    /** Connects to the first reachable of {@code servers} ({@code HOST:PORT}, comma lists allowed). */
    public static MeshClient connect(String... servers) {
        return connect(ClientOptions.builder().servers(servers).build());
    }

    /**
     * Connects with {@code options}. Returns once connected and greeted by a broker.
     *
     * @throws MeshException when no server could be reached; the message lists each failure
     */
    public static MeshClient connect(ClientOptions options) {
        MeshClient c = new MeshClient(options);
        try {
            c.connectAny();
            options.connectionListener.accept(new ClientOptions.ConnectionEvent(
                    ClientOptions.ConnectionState.CONNECTED, c.server));
            return c;
        } catch (RuntimeException e) {
            c.shutdown();
            throw e;
        }
    }

    /**
     * Publishes {@code event} on {@code topic}. Returns once the event is in the outbound buffer.
     *
     * @throws io.weft.protocol.InvalidTopicException for an invalid topic
     * @throws ProtocolException for an event missing a required attribute
     * @throws MeshException when the outbound buffer stayed full for the publish timeout, or the
     *     client is closed
     */
    public void publish(String topic, CloudEvent event) {
        append(buf -> Frames.writePub(buf, topic, event));
    }

    /** Publishes {@code event} on the topic named by its {@code type}. */
    public void publish(CloudEvent event) {
        publish(event.getType(), event);
    }

    /** Subscribes {@code handler} to events whose topic matches {@code pattern}. */
    public Subscription subscribe(String pattern, MessageHandler handler) {
        return subscribe(pattern, null, handler);
    }

    /**
     * Subscribes {@code handler} as a member of {@code queueGroup}: each event matching {@code pattern}
     * goes to one member of the group.
     *
     * @throws io.weft.protocol.InvalidTopicException for an invalid pattern
     */
    public Subscription subscribe(String pattern, String queueGroup, MessageHandler handler) {
        Topics.validatePattern(pattern);
        if (queueGroup != null && !Topics.isValidTopic(queueGroup)) {
            throw new IllegalArgumentException("invalid queue group name '" + queueGroup + "'");
        }
        if (handler == null) {
            throw new IllegalArgumentException("handler is required");
        }
        checkOpen();
        Subscription s = new Subscription(this, sids.incrementAndGet(), pattern, queueGroup, handler);
        subs.put(s.sid(), s);
        append(buf -> Frames.writeSub(buf, s.sid(), pattern, queueGroup));
        return s;
    }

    /** Ends {@code subscription}; no further events reach its handler. */
    public void unsubscribe(Subscription subscription) {
        if (subs.remove(subscription.sid()) != null) {
            subscription.deactivate();
            if (!closed) {
                append(buf -> Frames.writeUnsub(buf, subscription.sid()));
            }
        }
    }

    /**
     * Completes when the broker has processed everything this client sent before the call (a PING
     * answered by PONG). Fails if the connection is lost first.
     */
    public CompletableFuture<Void> flush() {
        long token = pingTokens.incrementAndGet();
        CompletableFuture<Void> f = new CompletableFuture<>();
        pings.put(token, f);
        try {
            append(buf -> Frames.writePing(buf, token));
        } catch (RuntimeException e) {
            pings.remove(token);
            f.completeExceptionally(e);
        }
        return f;
    }

    /** Blocking {@link #flush()}. */
    public void flush(Duration timeout) throws TimeoutException, InterruptedException {
        try {
            flush().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof MeshException ? (MeshException) e.getCause()
                    : new MeshException("flush failed: " + e.getCause(), e.getCause());
        }
    }

    /** What the current broker said in its handshake, or null while disconnected. */
    public Info serverInfo() {
        return channel == null ? null : info;
    }

    /** The broker this client is connected to ({@code HOST:PORT}), or null while disconnected. */
    public String connectedServer() {
        return channel == null ? null : server;
    }

    /** True while a connection to a broker is up. */
    public boolean isConnected() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** Bytes published but not yet handed to the network. */
    public long pendingOutBytes() {
        return outbox.pendingBytes();
    }

    /** Flushes what was published (up to the publish timeout) and closes the connection. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (isConnected()) {
            try {
                flush().get(Math.min(options.publishTimeout.toMillis(), 5000), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                // best effort: closing anyway
            }
        }
        closed = true;
        shutdown();
        options.connectionListener.accept(new ClientOptions.ConnectionEvent(ClientOptions.ConnectionState.CLOSED, null));
    }

    private void shutdown() {
        closed = true;
        for (Subscription s : subs.values()) {
            s.deactivate();
        }
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
        outbox.close();
        dispatcher.stop();
        reconnector.shutdownNow();
        failPings(new MeshException("client closed"));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private void checkOpen() {
        if (closed) {
            throw new MeshException("client is closed");
        }
    }

    private void append(java.util.function.Consumer<ByteBuf> writer) {
        checkOpen();
        try {
            outbox.append(writer, options.publishTimeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeshException("interrupted while waiting for room in the outbound buffer", e);
        }
    }

    // ---- connection management ----

    private void connectAny() {
        List<String> failures = new ArrayList<>();
        for (String s : options.servers) {
            try {
                open(s);
                return;
            } catch (MeshException e) {
                failures.add(s + ": " + e.getMessage());
            }
        }
        throw new MeshException("cannot connect to any broker: " + String.join("; ", failures));
    }

    /** Connects, handshakes, resubscribes and attaches the outbox. Blocking; never on the event loop. */
    private void open(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new MeshException("'" + address + "' is not HOST:PORT");
        }
        String host = address.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new MeshException("'" + address + "' has no numeric port");
        }
        ChannelFuture cf = bootstrap.connect(host, port).awaitUninterruptibly();
        if (!cf.isSuccess()) {
            throw new MeshException("connect failed: " + cf.cause().getMessage(), cf.cause());
        }
        Channel ch = cf.channel();
        Handler h = ch.pipeline().get(Handler.class);
        ByteBuf hello = ch.alloc().buffer(64);
        Frames.writeHello(hello, new Hello(Frames.MIN_PROTOCOL_VERSION, Frames.PROTOCOL_VERSION, options.name, options.site));
        ch.writeAndFlush(hello);
        Info i;
        try {
            i = h.handshake.get(options.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new MeshException("interrupted during handshake", e);
        } catch (ExecutionException e) {
            ch.close();
            throw new MeshException("handshake failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            ch.close();
            throw new MeshException("no answer to HELLO within " + options.connectTimeout.toMillis() + " ms");
        }
        info = i;
        server = address;
        ByteBuf resub = ch.alloc().buffer(256);
        for (Subscription s : subs.values()) {
            Frames.writeSub(resub, s.sid(), s.pattern(), s.queueGroup());
        }
        ch.writeAndFlush(resub);
        channel = ch;
        h.live = true;
        outbox.attach(ch);
        if (!ch.isActive()) {
            lost(ch);
        }
    }

    private void lost(Channel ch) {
        outbox.detach(ch);
        if (channel != ch) {
            return;
        }
        channel = null;
        failPings(new MeshException("connection to " + server + " lost"));
        if (closed) {
            return;
        }
        options.connectionListener.accept(new ClientOptions.ConnectionEvent(
                ClientOptions.ConnectionState.DISCONNECTED, server));
        reconnectAttempts = 0;
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        if (options.maxReconnectAttempts >= 0 && reconnectAttempts >= options.maxReconnectAttempts) {
            options.errorListener.accept(new MeshException("gave up reconnecting after " + reconnectAttempts + " attempts"));
            return;
        }
        long min = options.reconnectWaitMin.toMillis();
        long max = options.reconnectWaitMax.toMillis();
        long wait = Math.min(max, min << Math.min(reconnectAttempts, 20));
        wait = wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
        reconnectAttempts++;
        try {
            reconnector.schedule(this::reconnect, wait, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void reconnect() {
        if (closed || channel != null) {
            return;
        }
        try {
            connectAny();
            options.connectionListener.accept(new ClientOptions.ConnectionEvent(
                    ClientOptions.ConnectionState.RECONNECTED, server));
        } catch (MeshException e) {
            scheduleReconnect();
        }
    }

    private void failPings(MeshException e) {
        for (Long token : List.copyOf(pings.keySet())) {
            CompletableFuture<Void> f = pings.remove(token);
            if (f != null) {
                f.completeExceptionally(e);
            }
        }
    }

    /** Inbound frames of one connection, on its event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Info> handshake = new CompletableFuture<>();
        volatile boolean live;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                byte type = frame.readByte();
                switch (type) {
                    case FrameType.MSG:
                        onMsg(ctx, frame);
                        break;
                    case FrameType.INFO:
                        handshake.complete(Frames.readInfo(frame));
                        break;
                    case FrameType.PONG:
                        CompletableFuture<Void> f = pings.remove(Frames.readToken(frame));
                        if (f != null) {
                            f.complete(null);
                        }
                        break;
                    case FrameType.PING:
                        ByteBuf pong = ctx.alloc().buffer(13);
                        Frames.writePong(pong, Frames.readToken(frame));
                        ctx.writeAndFlush(pong);
                        break;
                    case FrameType.OK:
                        Subscription s = subs.get(Frames.readRef(frame));
                        if (s != null) {
                            s.confirmed().complete(null);
                        }
                        break;
                    case FrameType.ERR:
                        onError(Frames.readErr(frame));
                        break;
                    default:
                        throw new ProtocolException(ErrorCode.UNKNOWN_FRAME, "unknown frame " + FrameType.name(type));
                }
            } finally {
                frame.release();
            }
        }

        private void onMsg(ChannelHandlerContext ctx, ByteBuf frame) {
            Wire.need(frame, 6, "MSG");
            long sid = frame.readUnsignedInt();
            int topicLen = frame.readUnsignedShort();
            Wire.need(frame, topicLen, "MSG topic");
            String topic = frame.toString(frame.readerIndex(), topicLen, StandardCharsets.UTF_8);
            frame.skipBytes(topicLen);
            Subscription s = subs.get(sid);
            if (s == null) {
                return;
            }
            byte[] event = new byte[frame.readableBytes()];
            frame.readBytes(event);
            dispatcher.enqueue(new Message(s, topic, event), ctx.channel());
        }

        private void onError(ErrorFrame err) {
            if (!handshake.isDone()) {
                handshake.completeExceptionally(new MeshException(err.code(), err.toString(), null));
                return;
            }
            if (err.code() == ErrorCode.UNKNOWN_SUBSCRIPTION) {
                return;
            }
            Subscription s = err.ref() != 0 ? subs.get(err.ref()) : null;
            if (s != null && !s.confirmed().isDone()) {
                subs.remove(err.ref());
                s.deactivate();
                s.confirmed().completeExceptionally(new MeshException(err.code(), err.message(), null));
            }
            MeshException e = err.code() == ErrorCode.SLOW_CONSUMER ? new SlowConsumerException(err.message())
                    : new MeshException(err.code(), "broker " + server + ": " + err, null);
            options.errorListener.accept(e);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                outbox.writable();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            handshake.completeExceptionally(new MeshException("connection closed during handshake"));
            if (live) {
                lost(ctx.channel());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
            if (c instanceof ProtocolException) {
                options.errorListener.accept(new MeshException(((ProtocolException) c).code(),
                        "bad frame from broker: " + c.getMessage(), c));
            }
            ctx.close();
        }
    }
}
