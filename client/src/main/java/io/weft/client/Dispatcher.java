package io.weft.client;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Runs message handlers on one thread, off the network event loop.
 *
 * <p><b>Hand-over in batches.</b> The event loop collects the messages of one socket read and
 * hands them over as one batch when the read is complete ({@link #readComplete}), waking the
 * handler thread only if it sleeps. Handing over and waking per message cost more than the rest of
 * the client's receive path together (a third of the bench client's CPU was {@code unpark}).
 *
 * <p><b>Flow control.</b> Past {@code maxMessages} or {@code maxBytes} handed over and not yet
 * handled, the client stops reading its socket (TCP then pushes back to the broker) and resumes
 * below half of both. So a slow handler makes the broker see a slow consumer instead of this client
 * running out of memory.
 *
 * <p>Threads: {@link #enqueue} and {@link #readComplete} run on the client's single event loop;
 * {@link #run} is the handler thread.
 */
final class Dispatcher implements Runnable {
    /** Most messages collected before they are handed over, even within one read. */
    private static final int MAX_BATCH = 1024;

    private final ConcurrentLinkedQueue<List<Message>> ready = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedMessages = new AtomicLong();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final int maxMessages;
    private final long maxBytes;
    private final Consumer<MeshException> errors;
    private final Thread thread;
    /** Event loop only: the messages of the current read. */
    private List<Message> filling = new ArrayList<>();
    private long fillingBytes;
    private Channel fillingFrom;
    private volatile boolean sleeping;
    private volatile boolean stopped;
    private volatile Channel paused;

    Dispatcher(String name, int maxMessages, long maxBytes, Consumer<MeshException> errors) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.errors = errors;
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Event loop: one message of the current read; handed over at {@link #readComplete}. */
    void enqueue(Message m, Channel from) {
        filling.add(m);
        fillingBytes += m.encodedSize();
        fillingFrom = from;
        if (filling.size() >= MAX_BATCH) {
            handOver();
        }
    }

    /** Event loop: the socket read is complete; hands its messages over. */
    void readComplete() {
        if (!filling.isEmpty()) {
            handOver();
        }
    }

    /**
     * Event loop: hands the batch over, wakes the handler thread if it sleeps, and pauses reading
     * when over the bound. Pausing and resuming both happen on the event loop (the handler thread
     * only asks for a resume), so a resume can never be lost or overtake a later pause.
     */
    private void handOver() {
        List<Message> batch = filling;
        Channel from = fillingFrom;
        long messages = queuedMessages.addAndGet(batch.size());
        long bytes = queuedBytes.addAndGet(fillingBytes);
        filling = new ArrayList<>(Math.min(MAX_BATCH, Math.max(16, batch.size())));
        fillingBytes = 0;
        ready.offer(batch);
        if (sleeping) {
            LockSupport.unpark(thread);
        }
        if (paused == null && from != null && (messages >= maxMessages || bytes >= maxBytes)) {
            paused = from;
            from.config().setAutoRead(false);
            // the handler thread may have drained everything meanwhile without seeing the pause
            resumeIfDrained(from);
        }
    }

    /** Event loop: resume reading when the queue is back under half of both bounds. */
    private void resumeIfDrained(Channel ch) {
        if (paused == ch && queuedMessages.get() <= maxMessages / 2 && queuedBytes.get() <= maxBytes / 2) {
            paused = null;
            ch.config().setAutoRead(true);
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            List<Message> batch = ready.poll();
            if (batch == null) {
                sleeping = true;
                if (ready.isEmpty() && !stopped) {
                    LockSupport.park(this);
                }
                sleeping = false;
                continue;
            }
            long bytes = 0;
            for (Message m : batch) {
                if (stopped) {
                    return;
                }
                bytes += m.encodedSize();
                Subscription s = m.subscription();
                if (!s.isActive()) {
                    continue;
                }
                try {
                    s.handler().onMessage(m);
                } catch (RuntimeException | Error e) {
                    errors.accept(new MeshException("handler of " + s + " threw " + e, e));
                }
            }
            long messages = queuedMessages.addAndGet(-batch.size());
            bytes = queuedBytes.addAndGet(-bytes);
            Channel p = paused;
            if (p != null && messages <= maxMessages / 2 && bytes <= maxBytes / 2) {
                p.eventLoop().execute(() -> resumeIfDrained(p));
            }
        }
    }

    /** Messages handed over and waiting for their handler. */
    int queued() {
        return (int) queuedMessages.get();
    }

    void stop() {
        stopped = true;
        ready.clear();
        LockSupport.unpark(thread);
    }

    boolean onDispatcherThread() {
        return Thread.currentThread() == thread;
    }
}
