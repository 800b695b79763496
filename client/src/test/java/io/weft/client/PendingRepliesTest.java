package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.Frames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PendingRepliesTest {
    /** Completions handed to the client's completion thread, run by the test when it says so. */
    private final List<Runnable> later = new ArrayList<>();
    private final PendingReplies replies = new PendingReplies(later::add);

    @Test
    void eachReplyReachesTheCallOfItsReference() {
        CompletableFuture<Void> ping = new CompletableFuture<>();
        CompletableFuture<String> admin = new CompletableFuture<>();
        CompletableFuture<AdminResponse> request = new CompletableFuture<>();
        long p = replies.addPing(ping);
        long a = replies.addAdmin(admin);
        long r = replies.addRequest(request);
        assertEquals(3, java.util.Set.of(p, a, r).size(), "one reference sequence for all kinds");

        replies.onAdminReply(new Frames.AdminReply(r, 404, "{\"error\":\"x\"}"));
        assertFalse(request.isDone(), "a request completes on the completion thread, not the I/O thread");
        later.forEach(Runnable::run);
        assertEquals(404, request.join().status(), "4xx is an answer, not a failure");

        replies.onAdminReply(new Frames.AdminReply(a, 200, "{}"));
        assertEquals("{}", admin.join());
        replies.onPong(p);
        assertTrue(ping.isDone() && !ping.isCompletedExceptionally());
        replies.onPong(p); // a second PONG for it changes nothing
    }

    @Test
    void anAdminDocumentCallFailsOnAnErrorStatus() {
        CompletableFuture<String> admin = new CompletableFuture<>();
        replies.onAdminReply(new Frames.AdminReply(replies.addAdmin(admin), 404, "unknown path"));
        assertTrue(admin.isCompletedExceptionally());
    }

    @Test
    void lostConnectionFailsEveryWaitingCallAndForgottenOnesStayUntouched() {
        CompletableFuture<Void> ping = new CompletableFuture<>();
        CompletableFuture<AdminResponse> request = new CompletableFuture<>();
        CompletableFuture<AdminResponse> timedOut = new CompletableFuture<>();
        replies.addPing(ping);
        replies.addRequest(request);
        long t = replies.addRequest(timedOut);
        assertTrue(replies.forgetRequest(t, timedOut));
        assertFalse(replies.forget(t), "already gone");

        replies.failAll(new MeshException("connection to x lost"));
        later.forEach(Runnable::run);
        assertTrue(ping.isCompletedExceptionally());
        assertTrue(request.isCompletedExceptionally());
        assertFalse(timedOut.isDone());
    }
}
