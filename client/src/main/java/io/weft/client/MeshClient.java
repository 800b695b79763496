package io.weft.client;

import io.cloudevents.CloudEvent;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
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
import io.weft.protocol.NodeAddress;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Topics;
import io.weft.protocol.Transports;
import io.weft.protocol.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * a connection drops are lost.
 *
 * <p><b>Durable streams.</b> {@link #publishDurable} sends an event that a stream must store before
 * the broker acknowledges it, and retries on its own (failed acks, timeouts, lost connections, each
 * attempt the same event, which the stream dedupes by source and id) until stored or the durable
 * publish timeout. {@link #request} calls the broker's admin API (streams, consumers, replay).
 *
 * <p><b>Nearest broker.</b> On connect and on every reconnect the candidates are the configured
 * servers plus every node the brokers list in their INFO (unless {@link ClientOptions.Builder#discover}
 * is off). The client opens connections to up to 16 of them at once, measures each one's round trip
 * (TCP connect + HELLO until INFO) and keeps the best: a ready node first, then one of its own
 * {@linkplain ClientOptions.Builder#site site}, then the lowest round trip; the other connections are
 * closed. Unreachable servers are skipped and their errors recorded ({@link #candidates()}).
 *
 * <p>On losing its broker the client reconnects on its own (with back-off; the first attempt skips
 * the broker just lost), subscribes again, and then sends what was published while disconnected.
 * Handlers run on one dispatcher thread per client. All methods are thread-safe.
 */
public final class MeshClient implements AutoCloseable {
    private static final int MAX_INBOUND_FRAME = 64 << 20;

    private final ClientOptions options;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Outbox outbox;
    private final Dispatcher dispatcher;
    private final ScheduledExecutorService reconnector;
    private final BrokerConnector<HandshakeAttempt> connector;
    private final Map<Long, Subscription> subs = new ConcurrentHashMap<>();
    private final PendingReplies replies = new PendingReplies(this::completeLater);
    private final DurableTracker durables;
    /** Durable retries and request timeouts; started on first use. */
    private ScheduledThreadPoolExecutor timer;
    /** Completes durable publish and request futures off the I/O thread; started on first use. */
    private ExecutorService completer;
    private final AtomicLong sids = new AtomicLong();
    private volatile Channel channel;
    private volatile Info info;
    private volatile String server;
    private volatile boolean closed;
    /** The node list of the latest INFO(s): candidates of the next reconnect. */
    private volatile List<NodeAddress> nodes = List.of();
    private volatile List<BrokerCandidate> candidates = List.of();
    private int reconnectAttempts;
    /** The broker just lost: the first reconnect attempt skips it. */
    private volatile String lostServer;

    private MeshClient(ClientOptions options) {
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-client-io", true),
                Transports.ioHandlerFactory());
        this.outbox = new Outbox(PooledByteBufAllocator.DEFAULT, options.maxPendingOutBytes);
        this.dispatcher = new Dispatcher("weft-client-dispatch", options.maxPendingInMessages,
                options.maxPendingInBytes, options.errorListener);
        this.reconnector = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("weft-client-reconnect", true));
        io.netty.handler.ssl.SslContext tls = ClientTls.context(options);
        this.bootstrap = new Bootstrap().group(group).channel(Transports.socketChannel())
                .option(ChannelOption.ALLOCATOR, Transports.allocator())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ClientTls.install(tls, ch);
                        }
                        ch.pipeline().addLast("frames", new FrameDecoder(MAX_INBOUND_FRAME));
                        ch.pipeline().addLast("client", new Handler());
                    }
                });
        this.durables = new DurableTracker(options.maxDurableInFlight, options.durableAttemptTimeout.toNanos(),
                options.durablePublishTimeout.toNanos(), options.durableRetryWaitMin.toNanos(),
                options.durableRetryWaitMax.toNanos(), System::nanoTime, this::completeLater, this::sendRetry);
        long connectNanos = options.connectTimeout.toNanos();
        Hello hello = new Hello(Frames.MIN_PROTOCOL_VERSION, Frames.PROTOCOL_VERSION, options.name, options.site);
        this.connector = new BrokerConnector<>(
                address -> new HandshakeAttempt(address, bootstrap, hello, ch -> ch.pipeline().get(Handler.class).handshake),
                new BrokerSelector(options.site, options.preferServers ? options.servers : List.of()),
                Math.min(connectNanos / 2, TimeUnit.SECONDS.toNanos(1)), connectNanos);
    }

    /** Connects to the nearest reachable of {@code servers} ({@code HOST:PORT}, comma lists allowed). */
    public static MeshClient connect(String... servers) {
        return connect(ClientOptions.builder().servers(servers).build());
    }

    /**
     * Connects with {@code options} to the nearest broker (see the class comment). Returns once
     * connected and greeted by a broker; takes about the slowest candidate's round trip, at most
     * a few times the connect timeout.
     *
     * @throws MeshException when no server could be reached; the message lists each failure
     */
    public static MeshClient connect(ClientOptions options) {
        MeshClient c = new MeshClient(options);
        try {
            c.connectAny(null);
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

    /**
     * Publishes {@code event} on {@code topic} to the durable stream whose subjects match the topic.
     * The future completes when the stream has stored it (or already held an event with the same
     * source and id). Until then the client retries on its own, always with this same event: when the
     * broker reports a failure, when an attempt is not acknowledged within the durable attempt timeout,
     * and after a lost connection (resent right after reconnecting), with a back-off between attempts.
     * Past the durable publish timeout the future fails with a {@link MeshException} naming the last
     * reason (e.g. no stream matches the topic).
     *
     * <p>At most {@link ClientOptions.Builder#maxDurableInFlight} durable publishes wait for their ack;
     * past that this method blocks up to the publish timeout. Futures complete on a client thread,
     * not the I/O thread; keep callbacks short.
     *
     * @throws io.weft.protocol.InvalidTopicException for an invalid topic
     * @throws ProtocolException for an event missing a required attribute
     * @throws MeshException when too many publishes stayed in flight (or the outbound buffer stayed
     *     full) for the publish timeout, or the client is closed
     */
    public CompletableFuture<PublishAck> publishDurable(String topic, CloudEvent event) {
        Topics.validateTopic(topic);
        Objects.requireNonNull(event, "event");
        checkOpen();
        startTimer();
        try {
            return durables.publish(topic, event, options.publishTimeout.toNanos(),
                    ref -> append(buf -> Frames.writePubDurable(buf, ref, topic, event)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeshException("interrupted while waiting for room for a durable publish", e);
        }
    }

    /** {@link #publishDurable(String, CloudEvent)} on the topic named by the event's {@code type}. */
    public CompletableFuture<PublishAck> publishDurable(CloudEvent event) {
        return publishDurable(event.getType(), event);
    }

    /** Durable publishes waiting for their ack. */
    public int durableInFlight() {
        return durables.inFlight();
    }

    /**
     * Calls the broker's admin API, e.g. {@code request("POST", "/v1/streams", "{...}")} or
     * {@code request("GET", "/v1/streams/orders/events?from_seq=1&count=100", null)}. The connected
     * broker forwards stream requests over the mesh to the node that can answer, so a reply may take
     * a few seconds.
     *
     * @param method HTTP-like method: GET, POST, PUT, DELETE
     * @param path the path with its query string (already URL-encoded)
     * @param jsonBody the JSON body, or null for none
     * @return completes with the reply whatever its status (4xx/5xx are answers, not failures);
     *     fails with a {@link MeshException} only when the connection is lost or no reply came within
     *     the request timeout
     */
    public CompletableFuture<AdminResponse> request(String method, String path, String jsonBody) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        checkOpen();
        ScheduledThreadPoolExecutor t = startTimer();
        CompletableFuture<AdminResponse> f = new CompletableFuture<>();
        long ref = replies.addRequest(f);
        return send(t, f, ref, r -> replies.forgetRequest(r, f), method + " " + path,
                buf -> Frames.writeRequest(buf, ref, method, path, body));
    }

    /**
     * Sends call {@code ref} (registered with {@link #replies} by the caller) as the frame {@code write}
     * writes, and fails {@code f} when no answer came within the request timeout ({@code forget} says
     * whether the call still waited), when the client closed, or when the frame could not be queued.
     */
    private <T> CompletableFuture<T> send(ScheduledThreadPoolExecutor timer, CompletableFuture<T> f, long ref,
                                          java.util.function.LongPredicate forget, String what,
                                          java.util.function.Consumer<ByteBuf> write) {
        long timeoutMs = options.requestTimeout.toMillis();
        try {
            ScheduledFuture<?> timeout = timer.schedule(() -> {
                if (forget.test(ref)) {
                    f.completeExceptionally(new MeshException(what + ": no reply from the broker within "
                            + timeoutMs + " ms"));
                }
            }, timeoutMs, TimeUnit.MILLISECONDS);
            f.whenComplete((r, e) -> timeout.cancel(false));
        } catch (RejectedExecutionException e) {
            replies.forget(ref);
            f.completeExceptionally(new MeshException("client is closed"));
            return f;
        }
        try {
            append(write);
        } catch (RuntimeException e) {
            replies.forget(ref);
            f.completeExceptionally(e);
        }
        return f;
    }

    /**
     * Reads up to {@code maxEvents} stored events of durable stream {@code stream}, in sequence order,
     * from sequence {@code fromSeq} (or from the stream's first event still kept, when retention has
     * removed {@code fromSeq}). One call is one page of at most about the broker's payload limit
     * (1 MiB by default), so it may hold fewer events than asked for: go on from
     * {@link StreamPage#next()}; {@link StreamPage#atEnd()} says when the stream held nothing more.
     * The connected broker answers from its own replica of the stream when that holds
     * {@code fromSeq} (a replica holds only committed events), otherwise from the stream's leader.
     * Events travel in their binary encoding; up to 8 reads may be in flight on a connection.
     *
     * @param maxEvents at most this many events (the broker caps a page at 10,000)
     * @return completes with the page; fails with a {@link MeshException} naming the broker's answer
     *     (e.g. 404: no such stream), when the connection is lost, when no answer came within the
     *     request timeout, or when the broker is too old to read streams this way (protocol version 1)
     */
    public CompletableFuture<StreamPage> read(String stream, long fromSeq, int maxEvents) {
        Objects.requireNonNull(stream, "stream");
        if (fromSeq < 1 || maxEvents < 1) {
            throw new IllegalArgumentException("fromSeq and maxEvents must be at least 1, got " + fromSeq
                    + " and " + maxEvents);
        }
        checkOpen();
        Info i = info;
        if (i != null && i.version() < Frames.READ_VERSION) {
            return CompletableFuture.failedFuture(new MeshException("broker " + i.node() + " speaks protocol version "
                    + i.version() + "; reading a stream needs version " + Frames.READ_VERSION + " (upgrade the broker)"));
        }
        ScheduledThreadPoolExecutor t = startTimer();
        CompletableFuture<StreamPage> f = new CompletableFuture<>();
        long ref = replies.addRead(stream, fromSeq, f);
        return send(t, f, ref, replies::forgetRead, "read of stream " + stream + " from " + fromSeq,
                buf -> Frames.writeRead(buf, ref, stream, fromSeq, maxEvents));
    }

    /**
     * Acks an event a push consumer delivered: one carrying the {@code weftstream},
     * {@code weftconsumer} and {@code weftseq} extensions (subscribe to the consumer's
     * {@code deliverTopic} to receive them). Unacked events come again after the consumer's ack wait,
     * with {@code weftdeliveries} counting the deliveries.
     *
     * @return the broker's answer (200 {@code {"acked":1}}, or 0 when it was acked before); fails with
     *     an {@link IllegalArgumentException} when the event is not a push consumer's
     */
    public CompletableFuture<AdminResponse> ack(Message message) {
        return settle(message, "ack");
    }

    /**
     * Gives back an event a push consumer delivered, unprocessed: it comes again at once instead of
     * after the ack wait (its delivery still counts toward the consumer's {@code maxDeliver}).
     *
     * @return the broker's answer (200 {@code {"redelivering":1}}, or 0 when it was acked or given back
     *     before); fails with an {@link IllegalArgumentException} when the event is not a push consumer's
     */
    public CompletableFuture<AdminResponse> nak(Message message) {
        return settle(message, "nak");
    }

    private CompletableFuture<AdminResponse> settle(Message message, String how) {
        io.cloudevents.CloudEvent e = message.event();
        Object stream = e.getExtension("weftstream");
        Object consumer = e.getExtension("weftconsumer");
        Object seq = e.getExtension("weftseq");
        if (stream == null || consumer == null || seq == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("event " + e.getId()
                    + " was not delivered by a push consumer (no weftstream, weftconsumer and weftseq extensions)"));
        }
        long n;
        try {
            n = Long.parseLong(seq.toString());
        } catch (NumberFormatException x) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("event " + e.getId()
                    + " has a weftseq that is not a number: " + seq));
        }
        return request("POST", "/v1/streams/" + stream + "/consumers/" + consumer + "/" + how, "{\"seqs\":[" + n + "]}");
    }

    /** Subscribes {@code handler} to events whose topic matches {@code pattern}. */
    public Subscription subscribe(String pattern, MessageHandler handler) {
        return subscribe(pattern, (String) null, handler);
    }

    /**
     * Subscribes {@code handler} to the events whose topic matches {@code pattern} and that {@code filter}
     * accepts. The filter travels with the subscription's interest: an event no filter accepts does not
     * leave the node it was published on. An invalid filter fails {@link Subscription#confirmed()} with
     * {@code INVALID_FILTER}, naming the field and position. Needs a broker of protocol version
     * {@value Frames#FILTER_VERSION} or later.
     */
    public Subscription subscribe(String pattern, Filter filter, MessageHandler handler) {
        Objects.requireNonNull(filter, "filter");
        return subscribe(pattern, null, filter, handler);
    }

    /**
     * Subscribes {@code handler} as a member of {@code queueGroup}: each event matching {@code pattern}
     * goes to one member of the group.
     *
     * @throws io.weft.protocol.InvalidTopicException for an invalid pattern
     */
    public Subscription subscribe(String pattern, String queueGroup, MessageHandler handler) {
        return subscribe(pattern, queueGroup, null, handler);
    }

    /**
     * Subscribes {@code handler} as a member of {@code queueGroup} that takes only the events {@code filter}
     * accepts: each event matching {@code pattern} goes to one member of the group whose filter (if it has
     * one) accepts it, wherever in the mesh that member is, and to no member when none accepts it. Members
     * of one group may have different filters, or none. Needs a broker of protocol version
     * {@value Frames#FILTER_VERSION} or later that accepts filters on queue groups (an older one fails
     * {@link Subscription#confirmed()} with {@code INVALID_FILTER}).
     *
     * @param queueGroup the group, or null for a plain subscription
     * @param filter     the filter, or null for none
     * @throws io.weft.protocol.InvalidTopicException for an invalid pattern
     */
    public Subscription subscribe(String pattern, String queueGroup, Filter filter, MessageHandler handler) {
        Topics.validatePattern(pattern);
        if (queueGroup != null && !Topics.isValidTopic(queueGroup)) {
            throw new IllegalArgumentException("invalid queue group name '" + queueGroup + "'");
        }
        if (handler == null) {
            throw new IllegalArgumentException("handler is required");
        }
        checkOpen();
        Info i = info;
        if (filter != null && i != null && i.version() < Frames.FILTER_VERSION) {
            throw new MeshException("broker " + i.node() + " speaks protocol version " + i.version()
                    + "; a subscription with a filter needs version " + Frames.FILTER_VERSION + " (upgrade the broker)");
        }
        String filterText = filter == null ? null : filter.text();
        Subscription s = new Subscription(this, sids.incrementAndGet(), pattern, queueGroup, filterText, handler);
        subs.put(s.sid(), s);
        append(buf -> Frames.writeSub(buf, s.sid(), pattern, queueGroup, filterText));
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
     * Reads an admin document of the connected broker as JSON: {@code /v1/node}, {@code /v1/nodes},
     * {@code /v1/interest}, {@code /v1/links} (the same documents as its HTTP admin API).
     *
     * @return completes with the JSON text, or fails with a {@link MeshException} (unknown path,
     *     connection lost)
     */
    public CompletableFuture<String> admin(String path) {
        CompletableFuture<String> f = new CompletableFuture<>();
        long ref = replies.addAdmin(f);
        try {
            append(buf -> Frames.writeAdmin(buf, ref, path));
        } catch (RuntimeException e) {
            replies.forget(ref);
            f.completeExceptionally(e);
        }
        return f;
    }

    /**
     * Completes when the broker has processed everything this client sent before the call (a PING
     * answered by PONG). Fails if the connection is lost first.
     */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        long token = replies.addPing(f);
        try {
            append(buf -> Frames.writePing(buf, token));
        } catch (RuntimeException e) {
            replies.forget(token);
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

    /**
     * The candidates considered at the last connect or reconnect, best first: the chosen broker (see
     * {@link #connectedServer()}) is the first reachable one. Each carries its node, site, readiness,
     * measured round trip, or the error that ruled it out. Empty before the first connect.
     */
    public List<BrokerCandidate> candidates() {
        return candidates;
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

    /**
     * Waits (up to the publish timeout, at most 5 s) for durable publishes in flight to be
     * acknowledged, flushes what was published, and closes the connection. Durable publishes still
     * unacknowledged then fail with "client closed".
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (isConnected()) {
            try {
                if (durables.inFlight() > 0) {
                    durables.awaitIdle(Math.min(options.publishTimeout.toNanos(), TimeUnit.SECONDS.toNanos(5)));
                }
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
        replies.failAll(new MeshException("client closed"));
        durables.close(new MeshException("client closed before the broker acknowledged the durable publish"));
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
            }
            if (completer != null) {
                completer.shutdown(); // runs the completions already queued
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Starts the timer of durable retries and request timeouts on first use. */
    private synchronized ScheduledThreadPoolExecutor startTimer() {
        if (timer == null) {
            if (closed) {
                throw new MeshException("client is closed");
            }
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("weft-client-timer", true));
            t.setRemoveOnCancelPolicy(true);
            long tick = Math.max(5, Math.min(50, Math.min(options.durableAttemptTimeout.toMillis() / 4,
                    options.durableRetryWaitMin.toMillis())));
            t.scheduleWithFixedDelay(() -> {
                try {
                    durables.tick();
                } catch (RuntimeException e) {
                    options.errorListener.accept(new MeshException("durable publish retry failed: " + e, e));
                }
            }, tick, tick, TimeUnit.MILLISECONDS);
            timer = t;
        }
        return timer;
    }

    /** Runs a future's completion on the completer thread (never the I/O thread), or here once closed. */
    private void completeLater(Runnable r) {
        ExecutorService c;
        synchronized (this) {
            if (completer == null && !closed) {
                completer = Executors.newSingleThreadExecutor(new DefaultThreadFactory("weft-client-completions", true));
            }
            c = completer;
        }
        if (c == null) {
            r.run();
            return;
        }
        try {
            c.execute(r);
        } catch (RejectedExecutionException e) {
            r.run();
        }
    }

    /** Queues a durable publish retry without blocking. */
    private boolean sendRetry(long ref, String topic, CloudEvent event) {
        if (closed) {
            return false;
        }
        try {
            outbox.append(buf -> Frames.writePubDurable(buf, ref, topic, event), 0);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            return false;
        }
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

    /**
     * Measures the candidates, keeps the best connection that is still up, resubscribes and attaches
     * the outbox. Blocking and bounded; never on the event loop.
     *
     * @param avoid the broker not to try (the one just lost), or null
     */
    private void connectAny(String avoid) {
        BrokerConnector.Pick<HandshakeAttempt> pick = connector.pick(options.servers, nodes, options.discover, avoid);
        HandshakeAttempt kept = null;
        try {
            candidates = pick.ranked;
            if (options.discover && !pick.nodes.isEmpty()) {
                nodes = pick.nodes;
            }
            for (HandshakeAttempt a : pick.answered()) {
                if (adopt(a)) {
                    kept = a;
                    return;
                }
            }
            throw new MeshException(pick.commonCode(), "cannot connect to any broker: " + pick.failures(), null);
        } finally {
            pick.closeAllBut(kept);
        }
    }

    /** Makes the answered attempt {@code a} the client's connection; false if it closed meanwhile. */
    private boolean adopt(HandshakeAttempt a) {
        Channel ch = a.channel;
        Info i = a.info.getNow(null);
        if (ch == null || i == null || !ch.isActive()) {
            return false;
        }
        Handler h = ch.pipeline().get(Handler.class);
        if (h == null) {
            return false; // the channel closed and its pipeline was torn down meanwhile
        }
        info = i;
        server = a.address;
        ByteBuf resub = ch.alloc().buffer(256);
        for (Subscription s : subs.values()) {
            Frames.writeSub(resub, s.sid(), s.pattern(), s.queueGroup(), s.filter());
        }
        // durable publishes whose attempt the lost connection took with it: resent before anything new
        for (DurableTracker.Send d : durables.reconnected()) {
            Frames.writePubDurable(resub, d.ref(), d.topic(), d.event());
        }
        ch.writeAndFlush(resub);
        channel = ch;
        h.live = true;
        outbox.attach(ch);
        if (!ch.isActive()) {
            lost(ch);
        }
        return true;
    }

    private void lost(Channel ch) {
        outbox.detach(ch);
        synchronized (this) {
            if (channel != ch) {
                return;
            }
            channel = null;
        }
        replies.failAll(new MeshException("connection to " + server + " lost"));
        durables.connectionLost("connection to " + server + " lost");
        if (closed) {
            return;
        }
        options.connectionListener.accept(new ClientOptions.ConnectionEvent(
                ClientOptions.ConnectionState.DISCONNECTED, server));
        reconnectAttempts = 0;
        lostServer = server;
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
        String avoid = lostServer;
        lostServer = null;
        try {
            connectAny(avoid);
            options.connectionListener.accept(new ClientOptions.ConnectionEvent(
                    ClientOptions.ConnectionState.RECONNECTED, server));
        } catch (MeshException e) {
            scheduleReconnect();
        } catch (RuntimeException e) {
            // never let an unexpected failure end the reconnect loop silently
            options.errorListener.accept(new MeshException("reconnect attempt failed: " + e, e));
            scheduleReconnect();
        }
    }

    /** Inbound frames of one connection, on its event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Info> handshake = new CompletableFuture<>();
        volatile boolean live;
        /** The INFO of a broker that asked for AUTH, until it answers OK. */
        private Info authenticating;

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            dispatcher.readComplete(); // the messages of this read go to the handlers as one batch
            ctx.fireChannelReadComplete();
        }

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
                        onInfo(ctx, Frames.readInfo(frame));
                        break;
                    case FrameType.PONG:
                        replies.onPong(Frames.readToken(frame));
                        break;
                    case FrameType.PING:
                        ByteBuf pong = ctx.alloc().buffer(13);
                        Frames.writePong(pong, Frames.readToken(frame));
                        ctx.writeAndFlush(pong);
                        break;
                    case FrameType.OK:
                        long ref = Frames.readRef(frame);
                        if (ref == 0 && authenticating != null) {
                            Info i = authenticating; // the broker took our AUTH: the handshake is done
                            authenticating = null;
                            handshake.complete(i);
                            break;
                        }
                        Subscription s = subs.get(ref);
                        if (s != null) {
                            s.confirmed().complete(null);
                        }
                        break;
                    case FrameType.PUB_ACK:
                        durables.onAck(Frames.readPubAck(frame));
                        break;
                    case FrameType.ADMIN_REPLY:
                        replies.onAdminReply(Frames.readAdminReply(frame));
                        break;
                    case FrameType.EVENTS:
                        replies.onEvents(Frames.readEventsHeader(frame), frame);
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

        /** The handshake's answer, or, on the live connection, the broker's news (e.g. a changed node list). */
        private void onInfo(ChannelHandlerContext ctx, Info i) {
            if (!handshake.isDone() && i.authRequired()) {
                try {
                    ClientAuth.answer(options, i, ctx.channel());
                    authenticating = i;
                } catch (MeshException e) {
                    handshake.completeExceptionally(e);
                }
                return;
            }
            if (!handshake.complete(i) && live) {
                info = i;
                if (options.discover && !i.nodes().isEmpty()) {
                    nodes = i.nodes();
                }
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
                handshake.completeExceptionally(new MeshException(err.code(), err.code() == ErrorCode.TLS_REQUIRED
                        ? "the broker requires TLS: give the mesh's CA certificate (--tls-ca or MESHCTL_TLS_CA)" : err.toString(), null));
                return;
            }
            if (!live || err.code() == ErrorCode.UNKNOWN_SUBSCRIPTION) {
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
            dispatcher.readComplete();
            handshake.completeExceptionally(new MeshException("connection closed during handshake"
                    + (options.tlsCa == null ? " (a broker that runs TLS closes plaintext connections: give its CA)" : "")));
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
            } else if (c instanceof io.netty.handler.ssl.NotSslRecordException) {
                handshake.completeExceptionally(new MeshException("TLS: the broker answered in plaintext: it runs "
                        + "without TLS (connect without a CA: no --tls-ca or MESHCTL_TLS_CA)", c));
            } else if (c instanceof javax.net.ssl.SSLException) {
                handshake.completeExceptionally(new MeshException("TLS: " + c.getMessage(), c));
            }
            ctx.close();
        }
    }
}
