package io.weft.broker.rules;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one encoded delivery attempt ({@link HttpBinding#encode}) to a sink. The I/O edge of HTTP
 * delivery: {@link JdkHttpSender} in production, a scripted fake in tests.
 *
 * <p>Contract:
 * <ul>
 *   <li>returns without blocking on the network (no waiting for a connection or an answer);</li>
 *   <li>the future always completes normally, within about {@code timeout}: with the status and
 *       {@code Retry-After} of the answer, {@link AttemptResult#TIMEOUT}, or
 *       {@link AttemptResult#CONNECT_FAILED} (refused, reset before an answer, DNS or TLS failure);
 *       never exceptionally;</li>
 *   <li>redirects are not followed (a 3xx is the result), the response body is discarded.</li>
 * </ul>
 */
public interface HttpSender {
    /**
     * Sends {@code request} to {@code sink} with {@code extraHeaders} (the subscription's credential
     * headers) after the request's own.
     */
    CompletableFuture<AttemptResult> send(URI sink, HttpBinding.Request request, List<HttpBinding.Header> extraHeaders,
            Duration timeout);
}
