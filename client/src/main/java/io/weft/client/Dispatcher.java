package io.weft.client;

import io.netty.channel.Channel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Runs message handlers on one thread, off the network event loop. The queue between them is bounded
 * by flow control: past {@code maxMessages} or {@code maxBytes} waiting, the client stops reading its
 * socket (TCP then pushes back to the broker) and resumes below half of both. So a slow handler makes
 * the broker see a slow consumer instead of this client running out of memory.
 */
final class Dispatcher implements Runnable {
    private static final Message STOP = new Message(null, "", new byte[0]);

    private final LinkedBlockingQueue<Message> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final int maxMessages;
    private final long maxBytes;
    private final Consumer<MeshException> errors;
    private final Thread thread;
    private volatile Channel paused;

    Dispatcher(String name, int maxMessages, long maxBytes, Consumer<MeshException> errors) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.errors = errors;
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Event loop: queue a message; pause reading on {@code from} when over the bound. Pausing and
     * resuming both happen on the event loop (the dispatcher only asks for a resume), so a resume
     * can never be lost or overtake a later pause.
     */
    void enqueue(Message m, Channel from) {
        queue.add(m);
        long bytes = queuedBytes.addAndGet(m.encodedSize());
        if (paused == null && (queue.size() >= maxMessages || bytes >= maxBytes)) {
            paused = from;
            from.config().setAutoRead(false);
            // the dispatcher may have drained everything meanwhile without seeing the pause
            resumeIfDrained(from);
        }
    }

    /** Event loop: resume reading when the queue is back under half of both bounds. */
    private void resumeIfDrained(Channel ch) {
        if (paused == ch && queue.size() <= maxMessages / 2 && queuedBytes.get() <= maxBytes / 2) {
            paused = null;
            ch.config().setAutoRead(true);
        }
    }

    @Override
    public void run() {
        while (true) {
            Message m;
            try {
                m = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (m == STOP) {
                return;
            }
            long bytes = queuedBytes.addAndGet(-m.encodedSize());
            Channel p = paused;
            if (p != null && queue.size() <= maxMessages / 2 && bytes <= maxBytes / 2) {
                p.eventLoop().execute(() -> resumeIfDrained(p));
            }
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
    }

    /** Messages waiting for their handler. */
    int queued() {
        return queue.size();
    }

    void stop() {
        queue.clear();
        queue.add(STOP);
    }

    boolean onDispatcherThread() {
        return Thread.currentThread() == thread;
    }
}
