package io.weft.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The client's bounded outbound buffer. Callers append whole frames from any thread; the channel's
 * event loop takes everything appended so far in one write, so frames appended while a write is in
 * progress leave together in the next (pipelining and batching without a timer). While no channel is
 * attached (reconnecting) frames wait here. Past {@code maxBytes} appenders block until the buffer
 * drains or their deadline passes: back-pressure, never unbounded memory.
 */
final class Outbox {
    private static final int INITIAL_BYTES = 1024;

    private final ByteBufAllocator alloc;
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Runnable drainTask = this::drain;
    private ByteBuf pending;
    private Channel channel;
    private boolean drainScheduled;
    private boolean closed;

    Outbox(ByteBufAllocator alloc, long maxBytes) {
        this.alloc = alloc;
        this.maxBytes = maxBytes;
        this.pending = alloc.directBuffer(INITIAL_BYTES);
    }

    /**
     * Appends the frame(s) {@code writer} writes, waiting up to {@code timeoutNanos} for room.
     *
     * @throws MeshException when there was no room in time, or the client is closed
     * @throws RuntimeException whatever {@code writer} throws; nothing is appended then
     */
    void append(Consumer<ByteBuf> writer, long timeoutNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long nanos = timeoutNanos;
            while (!closed && pending.readableBytes() >= maxBytes) {
                if (nanos <= 0) {
                    throw new MeshException("outbound buffer full (" + maxBytes + " bytes) for "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: "
                            + (channel == null ? "not connected to any broker" : "the broker is not keeping up"));
                }
                nanos = notFull.awaitNanos(nanos);
            }
            if (closed) {
                throw new MeshException("client is closed");
            }
            int mark = pending.writerIndex();
            try {
                writer.accept(pending);
            } catch (RuntimeException e) {
                pending.writerIndex(mark);
                throw e;
            }
            scheduleDrainLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Starts writing to {@code ch} (after handshake and resubscription). */
    void attach(Channel ch) {
        lock.lock();
        try {
            channel = ch;
            scheduleDrainLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Stops writing to {@code ch}; frames appended from now on wait for the next attach. */
    void detach(Channel ch) {
        lock.lock();
        try {
            if (channel == ch) {
                channel = null;
                drainScheduled = false;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The channel became writable again: resume draining. */
    void writable() {
        lock.lock();
        try {
            scheduleDrainLocked();
        } finally {
            lock.unlock();
        }
    }

    private void scheduleDrainLocked() {
        if (!drainScheduled && channel != null && pending.isReadable()) {
            drainScheduled = true;
            channel.eventLoop().execute(drainTask);
        }
    }

    private void drain() {
        ByteBuf out;
        Channel ch;
        lock.lock();
        try {
            drainScheduled = false;
            ch = channel;
            if (ch == null || !pending.isReadable() || !ch.isWritable()) {
                return;
            }
            out = pending;
            // the next buffer starts at about the size of the last batch: small when paced, large when flooding
            pending = alloc.directBuffer(Math.max(INITIAL_BYTES, Math.min(Integer.highestOneBit(out.readableBytes()) << 1, 1 << 20)));
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        ch.writeAndFlush(out, ch.voidPromise());
    }

    /** Bytes waiting to be handed to the network. */
    long pendingBytes() {
        lock.lock();
        try {
            return pending.readableBytes();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            channel = null;
            pending.release();
            pending = alloc.directBuffer(0);
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
