package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.EventCodec;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Hello;
import io.weft.protocol.Info;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Topics;
import io.weft.protocol.Wire;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One native-protocol client connection: handshake, then PUB/SUB/UNSUB/PING. Any protocol violation
 * is answered with an ERR frame to this connection alone and, for fatal codes, a close; nothing it
 * sends can affect another connection. Runs on the connection's event loop only.
 */
final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Broker broker;
    private final long id;
    private final Map<Long, Subscription> subs = new HashMap<>();
    /** PUB_ACKs told on other threads (a stream's apply thread), written together by the event loop. */
    private final Queue<PendingAck> acks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean acksScheduled = new AtomicBoolean();
    private Outbound outbound;
    private ChannelHandlerContext ctx;
    private boolean greeted;
    private boolean closing;
    private ScheduledFuture<?> handshakeTimeout;
    private String clientName = "";
    /** READs answered on other threads and not yet written (event loop only). */
    private int readsInFlight;
    static final int MAX_READS_IN_FLIGHT = 8;

    /** Who the connection is and what it may do (the node's security config; everything without one). */
    private final SessionAccess access;

    ClientSession(Broker broker, long id) {
        this.broker = broker;
        this.id = id;
        this.access = new SessionAccess(broker.policy());
    }

    long id() {
        return id;
    }

    Outbound outbound() {
        return outbound;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.outbound = new Outbound(ctx.channel(), broker.metrics(), broker.config(), System::nanoTime);
        broker.metrics().connections.inc();
        broker.metrics().connectionsOpened.inc();
        broker.sessionOpened(this);
        // over TLS, the HELLO deadline starts when the TLS handshake is done (the TLS handler has its own
        // deadline): a handshake slowed by a busy machine must not eat the client's time to say HELLO
        if (ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null) {
            startHandshakeTimeout();
        }
        ctx.fireChannelActive();
    }

    private void startHandshakeTimeout() {
        handshakeTimeout = ctx.executor().schedule(() -> {
            if (!greeted) {
                fail(new ProtocolException(ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO within "
                        + broker.config().handshakeTimeoutMillis + " ms"));
            }
        }, broker.config().handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && e.isSuccess()) {
            startHandshakeTimeout();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        for (Subscription s : subs.values()) {
            broker.router().unsubscribe(s);
        }
        subs.clear();
        outbound.close();
        broker.sessionClosed(this);
        broker.metrics().connections.dec();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            outbound.kick();
            if (!closing) {
                ctx.channel().config().setAutoRead(true);
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (!closing) {
                handle(frame);
            }
        } catch (ProtocolException e) {
            fail(e);
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        // replies (PONG, OK, ADMIN) to a client that does not read must not pile up: stop reading it
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void handle(ByteBuf frame) {
        byte type = frame.readByte();
        if (!greeted && type != FrameType.HELLO) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    "expected HELLO as the first frame, got " + FrameType.name(type));
        }
        if (greeted && access.required() && type != FrameType.AUTH && type != FrameType.PING && type != FrameType.PONG) {
            broker.metrics().authFailures.labelValues("none").inc();
            throw new ProtocolException(ErrorCode.AUTH_REQUIRED, "this broker requires authentication before "
                    + FrameType.name(type) + " (methods: " + access.methods() + ")");
        }
        switch (type) {
            case FrameType.HELLO:
                hello(frame);
                break;
            case FrameType.AUTH:
                auth(Frames.readAuth(frame));
                break;
            case FrameType.PUB:
                pub(frame);
                break;
            case FrameType.SUB:
                sub(frame);
                break;
            case FrameType.UNSUB:
                unsub(frame);
                break;
            case FrameType.PING:
                ByteBuf pong = ctx.alloc().buffer(13);
                Frames.writePong(pong, Frames.readToken(frame));
                ctx.write(pong);
                break;
            case FrameType.PONG:
                break;
            case FrameType.ADMIN:
                admin(Frames.readAdmin(frame));
                break;
            case FrameType.PUB_DURABLE:
                pubDurable(frame);
                break;
            case FrameType.REQUEST:
                request(Frames.readRequest(frame));
                break;
            case FrameType.READ:
                read(Frames.readRead(frame));
                break;
            default:
                throw new ProtocolException(ErrorCode.UNKNOWN_FRAME, "unknown frame type " + FrameType.name(type));
        }
    }

    private void hello(ByteBuf frame) {
        if (greeted) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "HELLO sent twice");
        }
        Hello hello = Frames.readHello(frame);
        int version = Frames.negotiate(hello);
        greeted = true;
        clientName = hello.clientName();
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        NodeTls tls = broker.tls();
        access.fromCertificate(io.weft.security.TlsContexts.peerCertificate(
                ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class)), tls == null ? null : tls.identity().mesh(), broker.metrics());
        Info i = broker.info(version);
        if (access.required()) {
            if (version < Frames.AUTH_VERSION) {
                throw new ProtocolException(ErrorCode.AUTH_REQUIRED, "this broker requires authentication, which needs "
                        + "protocol version " + Frames.AUTH_VERSION + "; the client speaks " + version + ": upgrade it");
            }
            i = new Info(i.version(), i.serverVersion(), i.node(), i.site(), i.maxFrameBytes(), i.ready(), i.nodes(),
                    true, access.methods());
            // the AUTH deadline: as long as HELLO had
            handshakeTimeout = ctx.executor().schedule(() -> {
                if (access.required()) {
                    broker.metrics().authFailures.labelValues("none").inc();
                    fail(new ProtocolException(ErrorCode.AUTH_REQUIRED, "no AUTH within "
                            + broker.config().handshakeTimeoutMillis + " ms"));
                }
            }, broker.config().handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        }
        ByteBuf info = ctx.alloc().buffer(256);
        Frames.writeInfo(info, i);
        ctx.write(info);
    }

    private void auth(Frames.Auth a) {
        java.time.Instant expires;
        try {
            expires = access.authenticate(a, broker.metrics(), java.time.Instant.now());
        } catch (ProtocolException e) {
            LOG.warn("client {} ({}) from {}: {} (method {}, user '{}')", id, clientName,
                    ctx.channel().remoteAddress(), e.getMessage(), a.method(), a.user());
            throw e;
        }
        handshakeTimeout.cancel(false);
        if (expires != null) {
            // a JWT is valid until its exp, connected or not: the connection ends then
            long millis = Math.max(0, expires.toEpochMilli() - System.currentTimeMillis());
            ctx.executor().schedule(() -> {
                if (!closing && ctx.channel().isActive()) {
                    LOG.info("client {} ({}): its token expired at {}: disconnected", id, clientName, expires);
                    fail(new ProtocolException(ErrorCode.AUTH_EXPIRED, "the token expired at " + expires
                            + ": connect again with a new one"));
                }
            }, millis, TimeUnit.MILLISECONDS);
        }
        ByteBuf ok = ctx.alloc().buffer(9);
        Frames.writeOk(ok, 0);
        ctx.write(ok);
    }

    private void pubDurable(ByteBuf frame) {
        Wire.need(frame, 8, "PUB_DURABLE ref");
        long ref = frame.readLong();
        String topic = validatePub(frame);
        io.weft.security.PermissionCheck.Verdict v = access.publish(topic, broker.metrics());
        if (!v.allowed()) {
            tellAck(ref, new Frames.PubAck(ref, Frames.ACK_FAILED, 0, ErrorCode.PERMISSION_DENIED.name() + ": " + v.reason()));
            return;
        }
        broker.streams().publishDurable(topic, frame, ack -> tellAck(ref, ack));
    }

    private record PendingAck(long ref, Frames.PubAck ack) {
    }

    /**
     * Queues a PUB_ACK; one task on the event loop writes all queued with one flush (acks of one Raft
     * entry arrive together, and a task and a flush per ack cost more than the ack).
     */
    private void tellAck(long ref, Frames.PubAck ack) {
        acks.add(new PendingAck(ref, ack));
        if (acksScheduled.compareAndSet(false, true)) {
            try {
                ctx.executor().execute(this::writeAcks);
            } catch (RejectedExecutionException e) {
                acks.clear(); // the event loop is shutting down: the connection goes with it
            }
        }
    }

    private void writeAcks() {
        acksScheduled.set(false);
        ByteBuf out = null;
        PendingAck a;
        while ((a = acks.poll()) != null) {
            if (out == null) {
                out = ctx.alloc().buffer(Math.min(64 * 1024, 48 * (acks.size() + 1)));
            }
            Frames.writePubAck(out, a.ref(), a.ack().status(), a.ack().seq(), a.ack().detail());
        }
        if (out != null) {
            ctx.writeAndFlush(out, ctx.voidPromise());
        }
    }

    private void request(Frames.Request req) {
        if (!access.admin(broker.metrics())) {
            needsAdmin(req.ref(), req.method() + " " + req.path());
            return;
        }
        broker.request(req.method(), req.path(), req.body()).whenComplete((r, err) -> {
            int status = err == null ? r.getKey() : 500;
            byte[] json = err == null ? r.getValue()
                    : ("{\"error\":\"internal error\"}").getBytes(StandardCharsets.UTF_8);
            if (err != null) {
                LOG.warn("request {} {} failed", req.method(), req.path(), err);
            }
            ByteBuf reply = ctx.alloc().buffer(json.length + 16);
            Frames.writeAdminReply(reply, req.ref(), status, json);
            ctx.writeAndFlush(reply, ctx.voidPromise());
        });
    }

    /**
     * A READ: a page of a stream's events, answered with EVENTS. At most {@link #MAX_READS_IN_FLIGHT}
     * per connection, each page up to the payload limit: a client asking for more gets status 429 for
     * the excess instead of pages piling up in memory.
     */
    private void read(Frames.Read read) {
        if (!access.admin(broker.metrics())) {
            writeEvents(read.ref(), 403, "{\"error\":\"PERMISSION_DENIED: reading a stream needs the admin permission\"}"
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (readsInFlight >= MAX_READS_IN_FLIGHT) {
            writeEvents(read.ref(), 429, ("{\"error\":\"more than " + MAX_READS_IN_FLIGHT
                    + " reads in flight on this connection\"}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        readsInFlight++;
        broker.streams().readPage(read.stream(), read.fromSeq(), read.maxEvents()).whenComplete((r, err) -> {
            if (err != null) {
                LOG.warn("read of stream {} from {} failed", read.stream(), read.fromSeq(), err);
            }
            int status = err == null ? r.status() : 500;
            byte[] body = err == null ? r.json() : ("{\"error\":\"internal error\"}").getBytes(StandardCharsets.UTF_8);
            try {
                ctx.executor().execute(() -> {
                    readsInFlight--;
                    writeEvents(read.ref(), status, body);
                });
            } catch (RejectedExecutionException e) {
                // the event loop is shutting down: the connection goes with it
            }
        });
    }

    private void writeEvents(long ref, int status, byte[] body) {
        ByteBuf reply = ctx.alloc().buffer(body.length + 16);
        Frames.writeEvents(reply, ref, status, body);
        ctx.writeAndFlush(reply, ctx.voidPromise());
    }

    /** Validates a PUB body at the reader index (topic and event); returns the topic, index unchanged. */
    private String validatePub(ByteBuf frame) {
        int bodyStart = frame.readerIndex();
        Wire.need(frame, 2, "topic length");
        int topicLen = frame.getUnsignedShort(bodyStart);
        Wire.need(frame, 2 + topicLen, "topic");
        String topic = frame.toString(bodyStart + 2, topicLen, StandardCharsets.UTF_8);
        Topics.validateTopic(topic);
        int eventStart = bodyStart + 2 + topicLen;
        frame.readerIndex(eventStart);
        EventCodec.validate(frame, frame.writerIndex() - eventStart);
        frame.readerIndex(bodyStart);
        BrokerMetrics m = broker.metrics();
        m.clientEventsIn.inc();
        m.clientBytesIn.inc(frame.readableBytes());
        return topic;
    }

    private void pub(ByteBuf frame) {
        String topic = validatePub(frame);
        io.weft.security.PermissionCheck.Verdict v = access.publish(topic, broker.metrics());
        if (!v.allowed()) {
            sendError(ErrorCode.PERMISSION_DENIED, 0, v.reason());
            return;
        }
        broker.router().route(topic, frame);
    }

    private void sub(ByteBuf frame) {
        Frames.Sub sub = Frames.readSub(frame);
        Topics.validatePattern(sub.pattern());
        if (sub.queueGroup() != null && !Topics.isValidTopic(sub.queueGroup())) {
            throw new ProtocolException(ErrorCode.INVALID_PATTERN, "invalid queue group name '"
                    + sub.queueGroup() + "': use letters, digits, '-', '_' and dots");
        }
        String filter;
        try {
            filter = canonicalFilter(sub);
        } catch (IllegalArgumentException e) { // InvalidFilterException included
            sendError(ErrorCode.INVALID_FILTER, sub.sid(), e.getMessage());
            return;
        }
        Subscription existing = subs.get(sub.sid());
        if (existing != null) {
            // a client that reconnects may resend a SUB it had buffered: the same one is idempotent
            if (existing.pattern.equals(sub.pattern()) && java.util.Objects.equals(existing.queueGroup, sub.queueGroup())
                    && java.util.Objects.equals(existing.filter, filter)) {
                ByteBuf ok = ctx.alloc().buffer(9);
                Frames.writeOk(ok, sub.sid());
                ctx.write(ok);
            } else {
                sendError(ErrorCode.DUPLICATE_SUBSCRIPTION, sub.sid(), "subscription id " + sub.sid() + " already in use");
            }
            return;
        }
        io.weft.security.PermissionCheck.Verdict v = access.subscribe(sub.pattern(), sub.queueGroup(), broker.metrics());
        if (!v.allowed()) {
            sendError(ErrorCode.PERMISSION_DENIED, sub.sid(), v.reason());
            return;
        }
        if (subs.size() >= broker.config().maxSubscriptionsPerConnection) {
            sendError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, sub.sid(), "at most "
                    + broker.config().maxSubscriptionsPerConnection + " subscriptions per connection");
            return;
        }
        Subscription s = new Subscription(this, sub.sid(), sub.pattern(), sub.queueGroup(), filter, access.withheld(v));
        subs.put(sub.sid(), s);
        broker.router().subscribe(s);
        ByteBuf ok = ctx.alloc().buffer(9);
        Frames.writeOk(ok, sub.sid());
        ctx.write(ok);
    }

    /**
     * The canonical text of a SUB's filter (a JSON list of Subscriptions API filters, or a bare CESQL
     * expression), or null when it has none or one that accepts everything. A queue group member may have
     * one too: an event goes to one member of the group whose filter accepts it (docs/mesh.md).
     *
     * @throws io.weft.routing.filter.InvalidFilterException naming the field and position
     */
    private static String canonicalFilter(Frames.Sub sub) {
        if (sub.filter() == null) {
            return null;
        }
        String text = sub.filter().strip();
        io.weft.routing.filter.EventFilters f = text.startsWith("[") ? io.weft.routing.filter.EventFilters.parse(text)
                : io.weft.routing.filter.EventFilters.sql(text);
        return f.isAcceptAll() ? null : f.canonical();
    }

    private void unsub(ByteBuf frame) {
        long sid = Frames.readRef(frame);
        Subscription s = subs.remove(sid);
        if (s == null) {
            sendError(ErrorCode.UNKNOWN_SUBSCRIPTION, sid, "no subscription with id " + sid);
            return;
        }
        broker.router().unsubscribe(s);
    }

    private void admin(Frames.Admin req) {
        if (!access.admin(broker.metrics())) {
            needsAdmin(req.ref(), req.path());
            return;
        }
        java.util.function.Supplier<Object> view = broker.adminViews().get(req.path());
        int status = view == null ? 404 : 200;
        Object doc = view == null ? java.util.Map.of("error", "no admin document at " + req.path(),
                "paths", broker.adminViews().keySet()) : view.get();
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(doc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot render " + req.path() + ": " + e.getMessage());
        }
        ByteBuf reply = ctx.alloc().buffer(json.length + 16);
        Frames.writeAdminReply(reply, req.ref(), status, json);
        ctx.write(reply);
    }

    /** The 403 answer to an ADMIN or REQUEST frame of a user without the admin permission. */
    private void needsAdmin(long ref, String what) {
        byte[] json = ("{\"error\":\"PERMISSION_DENIED: " + what.replace("\"", "") + " needs the admin permission\"}")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf reply = ctx.alloc().buffer(json.length + 16);
        Frames.writeAdminReply(reply, ref, 403, json);
        ctx.write(reply);
    }

    private void sendError(ErrorCode code, long ref, String message) {
        broker.metrics().protocolErrors.labelValues(code.name()).inc();
        ByteBuf err = ctx.alloc().buffer(64 + message.length());
        Frames.writeErr(err, code, ref, message);
        ctx.write(err);
    }

    /**
     * The node reloaded its security config: on this connection's event loop, a user who is gone (or whose
     * credential changed) is disconnected with AUTH_FAILED, and each subscription is checked again: one no
     * longer allowed is removed with PERMISSION_DENIED, one a deny now overlaps has those events withheld.
     */
    void policyChanged(io.weft.security.SecurityPolicy next) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        c.executor().execute(() -> {
            if (closing) {
                return;
            }
            String gone = access.policyChanged(next);
            if (gone != null) {
                LOG.info("client {} ({}): disconnected: {}", id, clientName, gone);
                fail(new ProtocolException(ErrorCode.AUTH_REVOKED, gone));
                return;
            }
            if (!access.restricted()) {
                return;
            }
            for (java.util.Iterator<Subscription> it = subs.values().iterator(); it.hasNext(); ) {
                Subscription s = it.next();
                io.weft.security.PermissionCheck.Verdict v = access.subscribe(s.pattern, s.queueGroup, broker.metrics());
                if (!v.allowed()) {
                    it.remove();
                    broker.router().unsubscribe(s);
                    sendError(ErrorCode.PERMISSION_DENIED, s.sid, "subscription removed: the security config changed: "
                            + v.reason());
                } else {
                    s.withheld = access.withheld(v);
                }
            }
            ctx.flush();
        });
    }

    /** Answers a violation with ERR; a fatal code closes the connection once the error is written. */
    private void fail(ProtocolException e) {
        if (closing) {
            return;
        }
        broker.metrics().protocolErrors.labelValues(e.code().name()).inc();
        LOG.debug("client {} ({}): {}", id, clientName, e.getMessage());
        ByteBuf err = ctx.alloc().buffer(64 + e.getMessage().length());
        Frames.writeErr(err, e.code(), 0, e.getMessage());
        if (e.code().fatal()) {
            closing = true;
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(err);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof ProtocolException) {
            fail((ProtocolException) c);
        } else if (c instanceof IOException) {
            LOG.debug("client {} connection error: {}", id, c.toString());
            ctx.close();
        } else {
            LOG.warn("client {} ({}): unexpected error, closing", id, clientName, c);
            fail(new ProtocolException(ErrorCode.INTERNAL, "internal error: " + c));
        }
    }
}
