package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.cloudevents.CloudEvent;
import io.weft.broker.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The dispatcher on real threads with the real sender: a hanging sink does not hold back a healthy one. */
class SinkDispatcherHttpTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aHangingSinkDoesNotSlowAHealthyOne() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger healthyReceived = new AtomicInteger();
        ExecutorService handlers = Executors.newFixedThreadPool(6);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(handlers);
        server.createContext("/hang", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                ex.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.createContext("/ok", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                healthyReceived.incrementAndGet();
                ex.sendResponseHeaders(204, -1);
            }
        });
        server.start();
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2);
        JdkHttpSender sender = new JdkHttpSender();
        SinkDispatcher dispatcher = new SinkDispatcher(sender, Scheduler.of(pool), Clock.systemUTC(),
                new SplittableRandom(7), (topic, event) -> { });
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            DeliveryPolicy patient = new DeliveryPolicy(3, DeliveryPolicy.BackoffPolicy.EXPONENTIAL,
                    Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(60), null, Duration.ZERO);
            dispatcher.open(new SinkTarget("hanging", URI.create(base + "/hang"), HttpBinding.defaults(), List.of(),
                    patient, Transform.original(), false, 2, 10));
            dispatcher.open(SinkTarget.of("healthy", URI.create(base + "/ok")));

            int accepted = 0;
            for (int i = 0; i < 20; i++) {
                accepted += dispatcher.offer("hanging", event("h" + i)) ? 1 : 0;
            }
            for (int i = 0; i < 200; i++) {
                assertTrue(dispatcher.offer("healthy", event("k" + i)));
            }
            Await.until(WAIT, () -> dispatcher.status("healthy").orElseThrow().delivered() == 200,
                    () -> dispatcher.statuses().toString());

            assertEquals(12, accepted, "2 in flight and 10 queued; the rest dropped");
            assertEquals(200, healthyReceived.get());
            SinkStatus hanging = dispatcher.status("hanging").orElseThrow();
            assertEquals(0, hanging.delivered());
            assertEquals(2, hanging.inFlight());
            assertEquals(8, hanging.dropped());
            SinkStatus healthy = dispatcher.status("healthy").orElseThrow();
            assertEquals(0, healthy.failed() + healthy.dropped() + healthy.queued() + healthy.inFlight());
        } finally {
            release.countDown();
            dispatcher.close();
            sender.close();
            pool.shutdownNow();
            server.stop(0);
            handlers.shutdownNow();
        }
    }

    private static CloudEvent event(String id) {
        return TestEvents.base().withId(id).build();
    }
}
