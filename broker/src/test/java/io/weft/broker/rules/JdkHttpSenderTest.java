package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The real sender against a JDK HTTP server on 127.0.0.1, port 0. */
class JdkHttpSenderTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long a test waits for a result at most (never a sleep: get returns as soon as it is there). */
    private static final long WAIT_SECONDS = 20;

    private record Received(String method, String path, Headers headers, byte[] body) {
    }

    @Test
    void statusesRetryAfterAndTheRequestAsSent() throws Exception {
        BlockingQueue<Received> received = new LinkedBlockingQueue<>();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService handlers = Executors.newFixedThreadPool(4);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/ok", ex -> {
            received.add(new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestHeaders(),
                    readAll(ex.getRequestBody())));
            reply(ex, 204);
        });
        server.createContext("/busy", ex -> {
            drain(ex);
            ex.getResponseHeaders().add("Retry-After", "7");
            reply(ex, 503);
        });
        server.createContext("/bad", ex -> {
            drain(ex);
            reply(ex, 400);
        });
        server.createContext("/moved", ex -> {
            drain(ex);
            ex.getResponseHeaders().add("Location", "/ok");
            reply(ex, 302);
        });
        server.createContext("/hang", ex -> {
            drain(ex);
            try {
                release.await(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(ex, 200);
        });
        server.start();
        JdkHttpSender sender = new JdkHttpSender(Duration.ofSeconds(5), 2);
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            HttpBinding binding = new HttpBinding("PUT", List.of(new HttpBinding.Header("X-Tenant", "acme")),
                    HttpBinding.ContentMode.BINARY);
            HttpBinding.Request request = binding.encode(TestEvents.order("{\"total\": 12.50}"));
            List<HttpBinding.Header> extra = List.of(new HttpBinding.Header("Authorization", "Bearer s3cr3t"),
                    new HttpBinding.Header("Host", "evil.example"));

            assertEquals(AttemptResult.status(204), send(sender, base + "/ok", request, extra, TIMEOUT));
            Received r = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals("PUT", r.method());
            assertEquals("e-1", r.headers().getFirst("ce-id"));
            assertEquals("application/json", r.headers().getFirst("Content-Type"));
            assertEquals("acme", r.headers().getFirst("X-Tenant"));
            assertEquals("Bearer s3cr3t", r.headers().getFirst("Authorization"));
            assertEquals("127.0.0.1:" + server.getAddress().getPort(), r.headers().getFirst("Host"),
                    "a restricted header is skipped, not sent and not fatal");
            assertArrayEquals("{\"total\": 12.50}".getBytes(StandardCharsets.UTF_8), r.body());

            assertEquals(AttemptResult.status(503, "7"), send(sender, base + "/busy", request, List.of(), TIMEOUT));
            assertEquals(AttemptResult.status(400), send(sender, base + "/bad", request, List.of(), TIMEOUT));
            AttemptResult moved = send(sender, base + "/moved", request, List.of(), TIMEOUT);
            assertEquals(AttemptResult.status(302), moved, "redirects are not followed");
            assertNull(received.poll(), "the redirect's target was not asked");

            assertEquals(AttemptResult.TIMEOUT, send(sender, base + "/hang", request, List.of(),
                    Duration.ofMillis(300)));
        } finally {
            release.countDown();
            sender.close();
            server.stop(0);
            handlers.shutdownNow();
        }
    }

    @Test
    void noListenerIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        JdkHttpSender sender = new JdkHttpSender();
        try {
            HttpBinding.Request request = HttpBinding.defaults().encode(TestEvents.order("{}"));
            assertEquals(AttemptResult.CONNECT_FAILED, send(sender, "http://127.0.0.1:" + port + "/", request,
                    List.of(), TIMEOUT));
        } finally {
            sender.close();
        }
        HttpBinding.Request request = HttpBinding.defaults().encode(TestEvents.order("{}"));
        assertEquals(AttemptResult.CONNECT_FAILED, send(sender, "http://127.0.0.1:" + port + "/", request, List.of(),
                TIMEOUT), "a closed sender refuses at once");
    }

    private static AttemptResult send(JdkHttpSender sender, String uri, HttpBinding.Request request,
            List<HttpBinding.Header> extra, Duration timeout) throws Exception {
        return sender.send(URI.create(uri), request, extra, timeout).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static void reply(HttpExchange ex, int status) throws IOException {
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    private static void drain(HttpExchange ex) throws IOException {
        readAll(ex.getRequestBody());
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }
}
