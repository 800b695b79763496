package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/**
 * One established mesh connection to a peer (after the handshake). Either side may send on it; by
 * convention each node sends events on the links it dialled. Sending never blocks or queues without
 * bound: past the link's byte budget (queue plus Netty's write buffer) the event is dropped and
 * counted ({@code weft_link_drops_total}; core delivery is at most once, durable traffic is
 * acknowledged end to end).
 */
public final class MeshLink {
    private final Channel channel;
    private final NodeInfo peer;
    private final LinkKind kind;
    private final boolean outbound;
    private final int version;
    final LongAdder eventsSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder eventsReceived = new LongAdder();
    final LongAdder dropped = new LongAdder();
    volatile long lastRttNanos = -1;
    /** PONGs received, i.e. answered PINGs of this end (written by the link's event loop only). */
    volatile long pongs;
    private static final int BATCH_BYTES = 64 * 1024;
    /**
     * An event waiting for the link's event loop: the PUB body (shared with the caller, or a copy, see
     * {@link #hold}) and what its frame header says. {@code pins} when the body is a slice of a larger
     * buffer that it keeps alive.
     */
    private record Queued(int hop, Collection<String> groups, String replyTo, ByteBuf body, int frameBytes,
                          TreeHop tree, boolean pins) {
    }

    /**
     * How many larger buffers (the read buffers events arrived in) the queued events may keep alive by
     * sharing them rather than holding copies of their own. A queue that drains as it fills holds a few;
     * a link that falls behind would otherwise keep a whole read buffer alive for each event it holds,
     * while its budget counts only the events' bytes (a link that takes one event of each read buffer
     * would pin a hundred times its budget). Consecutive events of one buffer count once: the first of
     * such a run counts, and the run drains in order behind it.
     */
    static final int MAX_PINNING = 64;
    private final java.util.concurrent.atomic.AtomicInteger pinning = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * The buffer the last counted run of events shares (compared by identity only; it may have been
     * released and reused since, which lets at most this one buffer go uncounted).
     */
    private volatile ByteBuf lastPinned;

    private final java.util.Queue<Queued> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean scheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final long queueBudgetBytes;

    MeshLink(Channel channel, NodeInfo peer, LinkKind kind, boolean outbound, long queueBudgetBytes) {
        this(channel, peer, kind, outbound, queueBudgetBytes, 1);
    }

    MeshLink(Channel channel, NodeInfo peer, LinkKind kind, boolean outbound, long queueBudgetBytes, int version) {
        this.version = version;
        this.queueBudgetBytes = queueBudgetBytes;
        this.channel = channel;
        this.peer = peer;
        this.kind = kind;
        this.outbound = outbound;
    }

    /** The mesh protocol version this link speaks ({@link MeshFrames}). */
    public int version() {
        return version;
    }

    public NodeInfo peer() {
        return peer;
    }

    public LinkKind kind() {
        return kind;
    }

    public boolean outbound() {
        return outbound;
    }

    public boolean isActive() {
        return channel.isActive();
    }

    /**
     * Sends an event: {@code pubBody} (str16 topic + event) is retained and written, header first,
     * straight into the link's next batch, so an event is copied once per link and the caller may
     * release its reference at once. Events from any thread are queued and written by the link's
     * event loop in batches with one flush, so a busy link costs one task and one syscall per batch,
     * not per event.
     *
     * @return false when dropped because the link is down or over its write budget
     */
    public boolean sendEvent(int hop, Collection<String> groups, ByteBuf pubBody) {
        return sendEvent(hop, groups, null, pubBody);
    }

    /** As {@link #sendEvent(int, Collection, ByteBuf)}, with the topic a reply should go to (or null). */
    public boolean sendEvent(int hop, Collection<String> groups, String replyTo, ByteBuf pubBody) {
        if (!channel.isActive()) {
            dropped.increment();
            return false;
        }
        int headerBytes = 7;
        if (!groups.isEmpty()) {
            for (String g : groups) {
                headerBytes += 2 + g.length() * 3;
            }
        }
        if (replyTo != null) {
            headerBytes += 2 + replyTo.length() * 3;
        }
        int bytes = headerBytes + pubBody.readableBytes(); // an upper bound: UTF-8 of the names at 3 bytes a char
        if (queuedBytes.get() + bytes > queueBudgetBytes) {
            dropped.increment();
            return false;
        }
        queuedBytes.addAndGet(bytes);
        hold(hop, groups, replyTo, pubBody, bytes, null);
        eventsSent.increment();
        kick();
        return true;
    }

    /**
     * Sends an event routed on the site trees ({@link MeshFrames#TREE_EVENT}), as {@link #sendEvent} does
     * otherwise. Only on links of version {@link MeshFrames#VERSION_TREE_EVENT} and up.
     *
     * @return false when dropped because the link is down, over its write budget, or too old to carry it
     */
    public boolean sendTreeEvent(TreeHop tree, String replyTo, ByteBuf pubBody) {
        if (!channel.isActive() || version < MeshFrames.VERSION_TREE_EVENT) {
            dropped.increment();
            return false;
        }
        int bytes = 6 + tree.maxHeaderBytes() + (replyTo == null ? 0 : 2 + replyTo.length() * 3) + pubBody.readableBytes();
        if (queuedBytes.get() + bytes > queueBudgetBytes) {
            dropped.increment();
            return false;
        }
        queuedBytes.addAndGet(bytes);
        hold(0, java.util.List.of(), replyTo, pubBody, bytes, tree);
        eventsSent.increment();
        kick();
        return true;
    }

    /**
     * Queues an event: its body is shared (retained, never copied until it is written into a batch) when
     * it is a buffer of its own size, or a slice of a larger one that an earlier event of the run shares,
     * or while fewer than {@link #MAX_PINNING} runs pin one; past that it is copied into a buffer of its
     * size.
     */
    private void hold(int hop, Collection<String> groups, String replyTo, ByteBuf pubBody, int bytes, TreeHop tree) {
        ByteBuf whole = pubBody.unwrap();
        // past wrappers (Netty's leak detector wraps a sample of buffers and their slices) to the buffer
        while (whole != null && whole.unwrap() != null) {
            whole = whole.unwrap();
        }
        boolean pins = false;
        ByteBuf body;
        if (whole == null || whole.capacity() <= pubBody.readableBytes() || whole == lastPinned) {
            body = pubBody.retainedDuplicate();
        } else if (pinning.incrementAndGet() <= MAX_PINNING) {
            lastPinned = whole;
            pins = true;
            body = pubBody.retainedDuplicate();
        } else {
            pinning.decrementAndGet();
            body = channel.alloc().buffer(pubBody.readableBytes());
            body.writeBytes(pubBody, pubBody.readerIndex(), pubBody.readableBytes());
        }
        queue.offer(new Queued(hop, groups, replyTo, body, bytes, tree, pins));
    }

    /** Runs of queued events counted as keeping a larger buffer alive (for tests). */
    int pinning() {
        return pinning.get();
    }

    private void release(Queued q) {
        q.body.release();
        if (q.pins) {
            pinning.decrementAndGet();
        }
    }

    /** Schedules a drain of the queue on the link's event loop unless one is pending. */
    void kick() {
        if (scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
    }

    private void drain() {
        scheduled.set(false);
        if (!channel.isActive()) {
            Queued q;
            while ((q = queue.poll()) != null) {
                queuedBytes.addAndGet(-q.frameBytes);
                release(q);
            }
            return;
        }
        ByteBuf batch = null;
        while (channel.isWritable()) {
            Queued q = queue.poll();
            if (q == null) {
                break;
            }
            int n = q.frameBytes;
            queuedBytes.addAndGet(-n);
            try {
                if (batch != null && batch.writableBytes() < n) {
                    channel.write(batch, channel.voidPromise());
                    batch = null;
                }
                if (batch == null) {
                    // sized to what is queued: Netty's write budget counts readable bytes, so a mostly empty
                    // 64 KiB batch per event on a slow link would pin 64 times the budget in direct memory
                    batch = channel.alloc().directBuffer((int) Math.max(n, Math.min(BATCH_BYTES, queuedBytes.get() + n)));
                }
                int at = batch.writerIndex();
                if (q.tree == null) {
                    MeshFrames.writeEventHeader(batch, q.hop, q.groups, q.replyTo, q.body.readableBytes());
                } else {
                    MeshFrames.writeTreeEventHeader(batch, q.tree, q.replyTo, q.body.readableBytes());
                }
                batch.writeBytes(q.body, q.body.readerIndex(), q.body.readableBytes());
                bytesSent.add(batch.writerIndex() - at);
            } finally {
                release(q);
            }
        }
        if (batch != null) {
            channel.writeAndFlush(batch, channel.voidPromise());
        }
    }

    /** Sends a whole frame (gossip); takes ownership of {@code frame}. */
    public boolean sendFrame(ByteBuf frame) {
        if (!channel.isActive()) {
            frame.release();
            return false;
        }
        channel.writeAndFlush(frame, channel.voidPromise());
        return true;
    }

    public long eventsSent() {
        return eventsSent.sum();
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public long eventsReceived() {
        return eventsReceived.sum();
    }

    public long dropped() {
        return dropped.sum();
    }

    /** Last heartbeat round trip in nanoseconds, or -1 before the first. */
    public long rttNanos() {
        return lastRttNanos;
    }

    /** How many of this end's PINGs the peer has answered. */
    public long pongsReceived() {
        return pongs;
    }

    void close(String reason) {
        if (channel.isActive()) {
            ByteBuf b = channel.alloc().buffer(32 + reason.length());
            MeshFrames.writeClose(b, reason);
            channel.writeAndFlush(b).addListener(f -> channel.close());
        }
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return (outbound ? "->" : "<-") + kind + " " + peer.name() + "@" + peer.site();
    }
}
