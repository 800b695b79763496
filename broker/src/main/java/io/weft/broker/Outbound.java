package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.Frames;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The bounded outbound path of one client connection. Any event loop may {@link #offer} a MSG; the
 * connection's own event loop drains the queue into batched writes while the channel is writable.
 *
 * <p>Policy for a subscriber that does not keep up (core pub/sub, at most once): past the byte budget
 * new events for it are dropped and counted ({@code weft_slow_consumer_drops}); if it stays over budget
 * for longer than the slow-consumer timeout it is sent a fatal {@code SLOW_CONSUMER} error and closed.
 * Memory per connection is bounded by the queue budget plus Netty's write-buffer high water mark.
 */
final class Outbound implements Runnable {
    private static final int BATCH_BYTES = 64 * 1024;

    private final Channel channel;
    private final BrokerMetrics metrics;
    private final long queueBudgetBytes;
    private final long slowConsumerTimeoutNanos;
    private final long closeGraceMillis;
    private final LongSupplier nanoClock;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean slow = new AtomicBoolean();
    private volatile boolean closed;
    /** When the connection first dropped an event since it last drained, or 0. */
    private volatile long overBudgetSinceNanos;

    private record Pending(long sid, ByteBuf body) {
    }

    Outbound(Channel channel, BrokerMetrics metrics, MeshdConfig config, LongSupplier nanoClock) {
        this.channel = channel;
        this.metrics = metrics;
        this.queueBudgetBytes = config.queueBudgetBytes();
        this.slowConsumerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.slowConsumerTimeoutMillis);
        this.closeGraceMillis = config.slowConsumerCloseGraceMillis;
        this.nanoClock = nanoClock;
    }

    /**
     * Queues {@code body} (a PUB body) as a MSG for subscription {@code sid}. Retains {@code body} when
     * queued.
     *
     * @return false when the event was dropped: the connection is over its budget or closing
     */
    boolean offer(long sid, ByteBuf body) {
        if (closed || slow.get()) {
            metrics.slowConsumerDrops.inc();
            return false;
        }
        int frameBytes = Frames.MSG_HEADER_BYTES + body.readableBytes();
        if (queuedBytes.get() + frameBytes > queueBudgetBytes) {
            overBudget();
            return false;
        }
        queuedBytes.addAndGet(frameBytes);
        queue.offer(new Pending(sid, body.retain()));
        if (closed) {
            releaseQueued();
            return false;
        }
        kick();
        return true;
    }

    /** Schedules a drain on the connection's event loop unless one is already pending. */
    void kick() {
        if (scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this);
        }
    }

    /** Drains queued MSGs into batched writes while the channel is writable. Event loop only. */
    @Override
    public void run() {
        scheduled.set(false);
        if (closed) {
            releaseQueued();
            return;
        }
        ByteBuf batch = null;
        long events = 0;
        long bytes = 0;
        while (channel.isWritable()) {
            Pending p = queue.poll();
            if (p == null) {
                break;
            }
            int payload = p.body.readableBytes();
            int frameBytes = Frames.MSG_HEADER_BYTES + payload;
            try {
                if (batch != null && batch.writableBytes() < frameBytes) {
                    channel.write(batch, channel.voidPromise());
                    batch = null;
                }
                if (batch == null) {
                    long queued = queuedBytes.get();
                    batch = channel.alloc().directBuffer((int) Math.max(frameBytes, Math.min(BATCH_BYTES, queued)));
                }
                Frames.writeMsg(batch, p.sid, p.body);
            } finally {
                p.body.release();
            }
            queuedBytes.addAndGet(-frameBytes);
            events++;
            bytes += frameBytes;
        }
        if (batch != null) {
            channel.writeAndFlush(batch, channel.voidPromise());
        }
        if (events > 0) {
            metrics.eventsOut.inc(events);
            metrics.bytesOut.inc(bytes);
        }
        if (queuedBytes.get() <= queueBudgetBytes / 2) {
            // back well under budget: the next drop starts a new over-budget period
            overBudgetSinceNanos = 0;
        }
    }

    private void overBudget() {
        metrics.slowConsumerDrops.inc();
        long now = nanoClock.getAsLong();
        long since = overBudgetSinceNanos;
        if (since == 0) {
            overBudgetSinceNanos = now == 0 ? 1 : now;
        } else if (now - since > slowConsumerTimeoutNanos) {
            closeAsSlowConsumer();
        }
    }

    private void closeAsSlowConsumer() {
        if (!slow.compareAndSet(false, true)) {
            return;
        }
        metrics.slowConsumerDisconnects.inc();
        channel.eventLoop().execute(() -> {
            releaseQueued();
            ByteBuf err = channel.alloc().buffer(128);
            Frames.writeErr(err, ErrorCode.SLOW_CONSUMER, 0, "slow consumer: over the outbound budget of "
                    + queueBudgetBytes + " bytes for more than "
                    + TimeUnit.NANOSECONDS.toMillis(slowConsumerTimeoutNanos) + " ms; events were dropped");
            // the error queues behind what Netty already holds; close once it is written, or after a grace
            channel.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
            channel.eventLoop().schedule(() -> {
                channel.close();
            }, closeGraceMillis, TimeUnit.MILLISECONDS);
        });
    }

    /** True once this connection was marked a slow consumer. */
    boolean isSlow() {
        return slow.get();
    }

    /** The connection closed: drop everything queued. */
    void close() {
        closed = true;
        releaseQueued();
    }

    private void releaseQueued() {
        Pending p;
        while ((p = queue.poll()) != null) {
            queuedBytes.addAndGet(-(Frames.MSG_HEADER_BYTES + p.body.readableBytes()));
            p.body.release();
        }
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

}
