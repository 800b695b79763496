package io.weft.broker.rules;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link HttpSender} that records each call and completes it when the test says: either from a
 * script of results given in advance (completed at once, in order) or, when the script is empty, left
 * pending until the test calls {@link Call#answer}. Single-threaded.
 */
final class FakeHttpSender implements HttpSender {
    /** One send. */
    static final class Call {
        final URI sink;
        final HttpBinding.Request request;
        final List<HttpBinding.Header> extraHeaders;
        final Duration timeout;
        final CompletableFuture<AttemptResult> future = new CompletableFuture<>();
        private final FakeHttpSender sender;

        Call(FakeHttpSender sender, URI sink, HttpBinding.Request request, List<HttpBinding.Header> extraHeaders,
                Duration timeout) {
            this.sender = sender;
            this.sink = sink;
            this.request = request;
            this.extraHeaders = extraHeaders;
            this.timeout = timeout;
        }

        /** The event's id, from the binary-mode {@code ce-id} header. */
        String eventId() {
            return request.header("ce-id");
        }

        boolean pending() {
            return !future.isDone();
        }

        /** Completes the call with {@code result}. */
        void answer(AttemptResult result) {
            if (future.isDone()) {
                throw new IllegalStateException("call for " + eventId() + " already answered");
            }
            sender.pending--;
            future.complete(result);
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private final Deque<AttemptResult> script = new ArrayDeque<>();
    private int pending;
    private int maxPending;

    /** The next calls complete at once with these results, in order. */
    FakeHttpSender script(AttemptResult... results) {
        script.addAll(List.of(results));
        return this;
    }

    @Override
    public CompletableFuture<AttemptResult> send(URI sink, HttpBinding.Request request,
            List<HttpBinding.Header> extraHeaders, Duration timeout) {
        Call call = new Call(this, sink, request, extraHeaders, timeout);
        calls.add(call);
        pending++;
        maxPending = Math.max(maxPending, pending);
        AttemptResult scripted = script.pollFirst();
        if (scripted != null) {
            call.answer(scripted);
        }
        return call.future;
    }

    List<Call> calls() {
        return calls;
    }

    Call call(int i) {
        return calls.get(i);
    }

    Call last() {
        return calls.get(calls.size() - 1);
    }

    /** Calls not answered yet, oldest first. */
    List<Call> pendingCalls() {
        return calls.stream().filter(Call::pending).toList();
    }

    /** The most calls ever pending at once. */
    int maxPending() {
        return maxPending;
    }

    /** The event ids of every call, in call order. */
    List<String> sentIds() {
        return calls.stream().map(Call::eventId).toList();
    }
}
