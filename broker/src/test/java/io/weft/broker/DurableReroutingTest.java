package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.client.MeshClient;
import io.weft.client.Message;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable publish that reaches no stream (a leader just died and no other has subscribed yet) is
 * held by the broker and routed again as soon as something subscribes, within its ack wait.
 */
class DurableReroutingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aDurablePublishThatReachedNoOneIsRoutedWhenInterestAppears() throws Exception {
        // a raw connection: it never resends, so the event can only arrive through the broker's re-route
        try (RawConnection raw = new RawConnection(broker.clientPort()).hello();
             MeshClient sub = MeshClient.connect(TestBrokers.address(broker))) {
            double unroutedBefore = broker.metrics().eventsUnrouted.get();
            ByteBuf b = Unpooled.buffer();
            Frames.writePubDurable(b, 7, "late.created", PubSubTest.event("e-1", "{\"n\":1}"));
            raw.send(b);
            Await.until(WAIT, () -> broker.metrics().eventsUnrouted.get() > unroutedBefore,
                    () -> "the publish was not seen unrouted");

            List<Message> got = new CopyOnWriteArrayList<>();
            sub.subscribe("late.>", got::add).confirmed().get(10, TimeUnit.SECONDS);
            Await.until(WAIT, () -> !got.isEmpty(), () -> "the held publish never reached the late subscriber");
            assertEquals("e-1", got.get(0).event().getId());

            // no stream stores it, so the publisher is told after the ack wait; the event went once
            byte[] f;
            do {
                f = raw.readFrame();
            } while (f[0] != FrameType.PUB_ACK);
            ByteBuf ack = Unpooled.wrappedBuffer(f);
            ack.skipBytes(1);
            Frames.PubAck a = Frames.readPubAck(ack);
            assertEquals(7, a.ref());
            assertEquals(Frames.ACK_FAILED, a.status(), "no stream captures the topic: not stored, for sure");
            assertTrue(a.detail().contains("no stream captures 'late.created'"), a.detail());
            assertEquals(1, got.size());
        }
    }
}
