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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MeshLink.class);
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
    /** The smallest batch buffer made: a trickle of events makes batches of one event each. */
    private static final int MIN_BATCH_BYTES = 256;

    /*
     * Events are written, header and body, into the link's open batch by the thread that sends them, under
     * the lock; the link's event loop takes the batches and writes them, one flush per drain. The body is
     * copied once, by its sender, and kept by nobody: a read buffer an event arrived in is never pinned by
     * a link that falls behind, and no reference count of a buffer shared across threads is touched per
     * event (earlier the queue held a retained slice of each event, and in a transit between two links on
     * different event loops that counter, incremented on one core and decremented on the other, was the
     * hottest method).
     */
    private final Object lock = new Object();
    /** Full batches waiting for the event loop, oldest first. Guarded by lock. */
    private final java.util.ArrayDeque<ByteBuf> ready = new java.util.ArrayDeque<>();
    /** The batch events are appended to, or null. Guarded by lock. */
    private ByteBuf open;
    /** The size of the last batch drained: the first guess for the next one's buffer. Guarded by lock. */
    private int lastBatchBytes = MIN_BATCH_BYTES;
    /** Bytes in batches not handed to Netty yet. */
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
     * Sends an event: {@code pubBody} (str16 topic + event) is written, header first, into the link's
     * open batch by the calling thread, so an event is copied once per link and the link keeps no
     * reference to it. The link's event loop writes the batches of any number of senders with one
     * flush per drain, so a busy link costs one task and one syscall per batch, not per event.
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
        if (!append(hop, groups, replyTo, pubBody, bytes, null)) {
            return false;
        }
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
        if (!append(0, java.util.List.of(), replyTo, pubBody, bytes, tree)) {
            return false;
        }
        eventsSent.increment();
        kick();
        return true;
    }

    /**
     * Writes an event's frame into the open batch (a new one when it does not fit: sized like the last
     * batch drained, growing up to {@link #BATCH_BYTES}, or to the frame when that is larger).
     * {@code maxBytes} is an upper bound of the frame's size. False (dropped, counted, logged) when the
     * frame cannot be written, e.g. a name past the 64 KiB string limit; nothing of it stays in the batch.
     */
    private boolean append(int hop, Collection<String> groups, String replyTo, ByteBuf pubBody, int maxBytes, TreeHop tree) {
        int written;
        synchronized (lock) {
            ByteBuf b = open;
            if (b != null && b.maxWritableBytes() < maxBytes) {
                ready.add(b);
                open = null; // before allocating: a failed allocation must not leave it both ready and open
                b = null;
            }
            if (b == null) {
                int first = Math.max(maxBytes, Math.min(BATCH_BYTES, lastBatchBytes));
                b = channel.alloc().directBuffer(first, Math.max(maxBytes, BATCH_BYTES));
                open = b;
            }
            int at = b.writerIndex();
            try {
                if (tree == null) {
                    MeshFrames.writeEventHeader(b, hop, groups, replyTo, pubBody.readableBytes());
                } else {
                    MeshFrames.writeTreeEventHeader(b, tree, replyTo, pubBody.readableBytes());
                }
                b.writeBytes(pubBody, pubBody.readerIndex(), pubBody.readableBytes());
            } catch (RuntimeException e) {
                b.writerIndex(at); // no partial frame: the peer would read the next frames as part of it
                dropped.increment();
                LOG.warn("mesh link {}: an event could not be framed, dropped: {}", this, e.toString());
                return false;
            }
            written = b.writerIndex() - at;
            queuedBytes.addAndGet(written); // under the lock: a drain that takes the batch subtracts it after
        }
        bytesSent.add(written);
        return true;
    }

    /** Bytes waiting in the link's batches (for tests). */
    long queuedBytes() {
        return queuedBytes.get();
    }

    /** Schedules a drain of the batches on the link's event loop unless one is pending. */
    void kick() {
        if (scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
    }

    private void drain() {
        scheduled.set(false);
        boolean active = channel.isActive();
        boolean wrote = false;
        while (true) {
            ByteBuf b;
            synchronized (lock) {
                if (active && !channel.isWritable()) {
                    break; // the rest waits: writability coming back kicks a drain
                }
                b = ready.poll();
                if (b == null) {
                    b = open;
                    open = null;
                    if (b != null) {
                        lastBatchBytes = Math.max(MIN_BATCH_BYTES, b.readableBytes());
                    }
                }
            }
            if (b == null) {
                break;
            }
            queuedBytes.addAndGet(-b.readableBytes());
            if (active) {
                channel.write(b, channel.voidPromise());
                wrote = true;
            } else {
                b.release();
            }
        }
        if (wrote) {
            channel.flush();
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
