package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.MeshException;
import io.weft.client.SlowConsumerException;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ErrorFrame;
import io.weft.protocol.Frames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A subscriber that stops reading: its events are dropped and counted once its outbound budget is
 * full, the publisher and the other subscribers are unaffected, and past the timeout the broker
 * closes it with a SLOW_CONSUMER error.
 */
class SlowConsumerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long BUDGET = 256 * 1024;
    @TempDir
    Path dir;
    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir, c -> {
            c.maxPendingBytes = BUDGET;
            c.slowConsumerTimeoutMillis = 300;
            c.slowConsumerCloseGraceMillis = 60_000;
        });
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aStalledSocketIsDroppedForThenClosedWhileOthersGetEverything() throws Exception {
        try (RawConnection stalled = new RawConnection(broker.clientPort(), 4096).hello();
             MeshClient good = MeshClient.connect(TestBrokers.address(broker));
             MeshClient pub = MeshClient.connect(TestBrokers.address(broker))) {
            ByteBuf s = Unpooled.buffer();
            Frames.writeSub(s, 1, "flood.>", null);
            stalled.send(s);
            AtomicLong got = new AtomicLong();
            good.subscribe("flood.>", m -> got.incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            long sent = 0;
            byte[] data = new byte[1024];
            // publish until the broker has given up on the stalled connection
            // in lock step with the good subscriber, so only the stalled one ever exceeds its budget
            while (broker.metrics().slowConsumerDisconnectCount() == 0) {
                for (int i = 0; i < 50; i++) {
                    pub.publish("flood.x", io.cloudevents.core.builder.CloudEventBuilder.v1().withId("e" + sent)
                            .withSource(java.net.URI.create("/t")).withType("t").withData(data).build());
                    sent++;
                }
                pub.flush(WAIT);
                long total = sent;
                Await.until(WAIT, () -> got.get() == total, () -> got + " of " + total);
                assertTrue(sent < 2_000_000, "the stalled consumer was never closed");
            }
            assertTrue(broker.metrics().slowConsumerDropCount() > 0);
            // the stalled client finally reads: what was buffered, then the error, then EOF
            ErrorFrame err = stalled.readError();
            assertEquals(ErrorCode.SLOW_CONSUMER, err.code());
            assertTrue(stalled.closedByPeer());
            assertTrue(good.isConnected() && pub.isConnected());
        }
    }

    @Test
    void theJavaClientSurfacesSlowConsumerWhenItsHandlerBlocks() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<MeshException> errors = new CopyOnWriteArrayList<>();
        try (MeshClient slow = MeshClient.connect(ClientOptions.builder().servers(TestBrokers.address(broker))
                     .maxPendingIn(100, 64 * 1024).errorListener(errors::add).build());
             MeshClient pub = MeshClient.connect(TestBrokers.address(broker))) {
            slow.subscribe("flood.>", m -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).confirmed().get(10, TimeUnit.SECONDS);
            byte[] data = new byte[1024];
            long sent = 0;
            while (broker.metrics().slowConsumerDisconnectCount() == 0) {
                for (int i = 0; i < 500; i++) {
                    pub.publish("flood.x", io.cloudevents.core.builder.CloudEventBuilder.v1().withId("e" + sent++)
                            .withSource(java.net.URI.create("/t")).withType("t").withData(data).build());
                }
                pub.flush(WAIT);
                assertTrue(sent < 2_000_000, "the blocked consumer was never closed");
            }
            release.countDown();
            Await.until(WAIT, () -> errors.stream().anyMatch(e -> e instanceof SlowConsumerException), errors::toString);
            assertEquals(ErrorCode.SLOW_CONSUMER, errors.stream().filter(e -> e instanceof SlowConsumerException)
                    .findFirst().orElseThrow().code());
        }
    }
}
