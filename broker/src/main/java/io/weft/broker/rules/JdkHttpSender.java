package io.weft.broker.rules;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link HttpSender} over the JDK's {@link HttpClient}: HTTP/1.1 (webhook receivers speak it; h2c
 * upgrade attempts only confuse some), redirects never followed (a 3xx is the result: a sink that moved
 * is the operator's to fix, and following could leak credential headers to another host), a connect
 * timeout, the attempt's timeout over the whole exchange, the response body discarded.
 *
 * <p>Threads: the client runs on a fixed pool of {@code threads} daemon threads ({@code weft-sink-http-N})
 * rather than its default unbounded cached pool. The pool only runs the client's I/O callbacks and
 * completes futures (the dispatcher moves its own work to its scheduler), so a few threads should do;
 * not measured yet. Its queue is bounded in practice by the requests in flight, which the dispatcher bounds.
 *
 * <p>Timeouts: {@link HttpRequest.Builder#timeout} ends when the response headers arrive, so the
 * returned future also completes with {@link AttemptResult#TIMEOUT} after {@code timeout} whatever the
 * stage, and the exchange is then cancelled (which, since JDK 16, aborts it and closes its connection).
 * A connect timeout or a refused, reset or TLS-failed connection is {@link AttemptResult#CONNECT_FAILED}.
 *
 * <p>Headers: the client refuses to set {@code Connection}, {@code Content-Length}, {@code Expect},
 * {@code Host} and {@code Upgrade} (JDK 17, without {@code jdk.httpclient.allowRestrictedHeaders}).
 * {@link HttpBinding} and {@link SinkTarget} refuse those names at validation; should one arrive anyway
 * it is skipped, with one warning per name, rather than failing the delivery.
 *
 * <p>{@link #close()} refuses later sends (they complete as {@link AttemptResult#CONNECT_FAILED}) and
 * shuts the pool down; the JDK 17 client has no close of its own, so its selector thread ends when the
 * client is collected.
 */
public final class JdkHttpSender implements HttpSender, AutoCloseable {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_THREADS = 2;
    /** The names the JDK 17 client refuses, lower case. */
    static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private static final Logger LOG = LoggerFactory.getLogger(JdkHttpSender.class);

    private final ExecutorService executor;
    private final HttpClient client;
    private final Set<String> warnedHeaders = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** A sender with the default connect timeout ({@code PT5S}) and {@value #DEFAULT_THREADS} threads. */
    public JdkHttpSender() {
        this(DEFAULT_CONNECT_TIMEOUT, DEFAULT_THREADS);
    }

    /**
     * @param connectTimeout how long establishing a connection may take (TCP and TLS), > 0
     * @param threads        the client's threads, 1..64
     */
    public JdkHttpSender(Duration connectTimeout, int threads) {
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, not " + connectTimeout);
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads must be in [1, 64], not " + threads);
        }
        this.executor = Executors.newFixedThreadPool(threads, daemonThreads());
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(executor)
                .build();
    }

    @Override
    public CompletableFuture<AttemptResult> send(URI sink, HttpBinding.Request request,
            List<HttpBinding.Header> extraHeaders, Duration timeout) {
        if (closed) {
            return CompletableFuture.completedFuture(AttemptResult.CONNECT_FAILED);
        }
        CompletableFuture<HttpResponse<Void>> exchange;
        try {
            exchange = client.sendAsync(request(sink, request, extraHeaders, timeout),
                    HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            // a URI or method the client refuses: SinkTarget and HttpBinding should have caught it
            LOG.warn("cannot send to {}: {}", sink, e.toString());
            return CompletableFuture.completedFuture(AttemptResult.CONNECT_FAILED);
        }
        CompletableFuture<AttemptResult> result = exchange.handle((response, error) -> error == null
                ? new AttemptResult.Status(response.statusCode(), response.headers().firstValue("Retry-After")
                        .orElse(null))
                : failure(error));
        result.completeOnTimeout(AttemptResult.TIMEOUT, timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.thenAccept(r -> {
            if (r == AttemptResult.TIMEOUT) {
                exchange.cancel(true);
            }
        });
        return result;
    }

    /** Refuses later sends and shuts the client's threads down; attempts in flight may complete as failed. */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
    }

    private HttpRequest request(URI sink, HttpBinding.Request request, List<HttpBinding.Header> extraHeaders,
            Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sink)
                .timeout(timeout)
                .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
        for (HttpBinding.Header h : request.headers()) {
            header(b, h);
        }
        for (HttpBinding.Header h : extraHeaders) {
            header(b, h);
        }
        return b.build();
    }

    private void header(HttpRequest.Builder b, HttpBinding.Header h) {
        String lower = h.name().toLowerCase(Locale.ROOT);
        if (RESTRICTED_HEADERS.contains(lower)) {
            warnOnce(lower, h.name() + " is set by the HTTP client; the header is skipped");
            return;
        }
        try {
            b.header(h.name(), h.value());
        } catch (IllegalArgumentException e) {
            warnOnce(lower, "the HTTP client refuses header " + h.name() + " (" + e.getMessage() + "); skipped");
        }
    }

    private void warnOnce(String name, String message) {
        if (warnedHeaders.add(name)) {
            LOG.warn("{} (further skips of this header are not logged)", message);
        }
    }

    /** The result of an exchange that failed before an answer. */
    static AttemptResult failure(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof HttpConnectTimeoutException) {
            return AttemptResult.CONNECT_FAILED;
        }
        if (e instanceof HttpTimeoutException || e instanceof CancellationException) {
            return AttemptResult.TIMEOUT;
        }
        if (!(e instanceof IOException)) {
            LOG.debug("delivery attempt failed unexpectedly (counted as no connection)", e);
        }
        return AttemptResult.CONNECT_FAILED; // refused, reset or closed before an answer, DNS, TLS
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "weft-sink-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
