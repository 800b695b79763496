package io.weft.client;

import io.netty.buffer.ByteBuf;
import io.weft.protocol.EventPage;
import io.weft.protocol.Frames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The client's calls waiting for a broker's answer, by reference: flush pings (PING/PONG), admin
 * documents (ADMIN/ADMIN_REPLY), API requests (REQUEST/ADMIN_REPLY) and stream reads (READ/EVENTS).
 * One reference sequence for all, so an ADMIN_REPLY finds its caller whichever kind asked.
 * Thread-safe.
 *
 * <p>A request's future is completed through {@code completeLater} (the client's completion thread),
 * because callers chain more requests on it and must not run on the I/O thread; pings and admin
 * documents complete in place.
 */
final class PendingReplies {
    private final AtomicLong refs = new AtomicLong();
    private final Map<Long, CompletableFuture<Void>> pings = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<String>> admins = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<AdminResponse>> requests = new ConcurrentHashMap<>();
    private final Map<Long, Read> reads = new ConcurrentHashMap<>();
    private final Consumer<Runnable> completeLater;

    PendingReplies(Consumer<Runnable> completeLater) {
        this.completeLater = completeLater;
    }

    /** Registers a flush; returns the token its PING carries. */
    long addPing(CompletableFuture<Void> f) {
        long ref = refs.incrementAndGet();
        pings.put(ref, f);
        return ref;
    }

    /** Registers an admin document call; returns the reference its ADMIN frame carries. */
    long addAdmin(CompletableFuture<String> f) {
        long ref = refs.incrementAndGet();
        admins.put(ref, f);
        return ref;
    }

    /** Registers an API request; returns the reference its REQUEST frame carries. */
    long addRequest(CompletableFuture<AdminResponse> f) {
        long ref = refs.incrementAndGet();
        requests.put(ref, f);
        return ref;
    }

    /** A READ waiting for its EVENTS: what it asked for, for errors. */
    private record Read(String stream, long fromSeq, CompletableFuture<StreamPage> future) {
    }

    /** Registers a READ of {@code stream} from {@code fromSeq}; returns the reference its frame carries. */
    long addRead(String stream, long fromSeq, CompletableFuture<StreamPage> f) {
        long ref = refs.incrementAndGet();
        reads.put(ref, new Read(stream, fromSeq, f));
        return ref;
    }

    /** Forgets call {@code ref} (its frame could not be sent); true when it was still waiting. */
    boolean forget(long ref) {
        return pings.remove(ref) != null || admins.remove(ref) != null || requests.remove(ref) != null
                || reads.remove(ref) != null; // refs are unique
    }

    /** Forgets READ {@code ref} if it still waits (a timeout); true when it did. */
    boolean forgetRead(long ref) {
        return reads.remove(ref) != null;
    }

    /**
     * An EVENTS frame, its reader index at the body: a page completes its READ (on the completion
     * thread), any other status fails it with the broker's error.
     */
    void onEvents(Frames.EventsHeader h, ByteBuf body) {
        Read r = reads.remove(h.ref());
        if (r == null) {
            return;
        }
        if (h.status() < 200 || h.status() >= 300) {
            String error = body.toString(body.readerIndex(), h.length(), StandardCharsets.UTF_8);
            MeshException e = new MeshException("read of stream " + r.stream() + " from " + r.fromSeq()
                    + ": broker answered " + h.status() + " " + error);
            completeLater.accept(() -> r.future().completeExceptionally(e));
            return;
        }
        StreamPage page;
        try {
            EventPage.Page p = EventPage.read(body, h.length());
            List<StreamEvent> events = new ArrayList<>(p.entries().size());
            for (EventPage.Entry e : p.entries()) {
                events.add(new StreamEvent(e.seq(), e.timeMillis(), e.topic(), e.event()));
            }
            page = new StreamPage(events, p.next(), p.lastSeq());
        } catch (RuntimeException e) {
            completeLater.accept(() -> r.future().completeExceptionally(e));
            throw e;
        }
        completeLater.accept(() -> r.future().complete(page));
    }

    /** Forgets request {@code ref} if {@code f} still waits for it (a timeout); true when it did. */
    boolean forgetRequest(long ref, CompletableFuture<AdminResponse> f) {
        return requests.remove(ref, f);
    }

    void onPong(long token) {
        CompletableFuture<Void> f = pings.remove(token);
        if (f != null) {
            f.complete(null);
        }
    }

    void onAdminReply(Frames.AdminReply reply) {
        CompletableFuture<AdminResponse> rf = requests.remove(reply.ref());
        if (rf != null) {
            AdminResponse response = new AdminResponse(reply.status(), reply.json());
            completeLater.accept(() -> rf.complete(response));
            return;
        }
        CompletableFuture<String> af = admins.remove(reply.ref());
        if (af != null) {
            if (reply.status() == 200) {
                af.complete(reply.json());
            } else {
                af.completeExceptionally(new MeshException("broker answered " + reply.status() + ": " + reply.json()));
            }
        }
    }

    /** Fails every waiting call with {@code e} (connection lost, client closed). */
    void failAll(MeshException e) {
        for (Long ref : List.copyOf(pings.keySet())) {
            CompletableFuture<Void> f = pings.remove(ref);
            if (f != null) {
                f.completeExceptionally(e);
            }
        }
        for (Long ref : List.copyOf(admins.keySet())) {
            CompletableFuture<String> f = admins.remove(ref);
            if (f != null) {
                f.completeExceptionally(e);
            }
        }
        for (Long ref : List.copyOf(reads.keySet())) {
            Read r = reads.remove(ref);
            if (r != null) {
                completeLater.accept(() -> r.future().completeExceptionally(e));
            }
        }
        for (Long ref : List.copyOf(requests.keySet())) {
            CompletableFuture<AdminResponse> f = requests.remove(ref);
            if (f != null) {
                completeLater.accept(() -> f.completeExceptionally(e));
            }
        }
    }
}
