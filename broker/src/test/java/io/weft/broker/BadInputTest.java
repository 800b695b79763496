package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.client.MeshClient;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ErrorFrame;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Wire;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on the client port: each bad connection gets an ERR frame and is closed, while
 * well-behaved clients on the same broker keep exchanging events without loss.
 */
class BadInputTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir, c -> c.handshakeTimeoutMillis = 500);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private RawConnection raw() throws Exception {
        return new RawConnection(broker.clientPort());
    }

    private void expectErrorAndClose(RawConnection c, ErrorCode code) throws Exception {
        ErrorFrame e = c.readError();
        assertEquals(code, e.code(), e.toString());
        assertTrue(c.closedByPeer(), "connection should be closed after " + code);
    }

    private static ByteBuf frame(byte type, ByteBuf body) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(1 + body.readableBytes()).writeByte(type).writeBytes(body);
        return b;
    }

    @Test
    void everyKindOfGarbageIsIsolatedWhileGoodClientsCarryOn() throws Exception {
        try (MeshClient sub = MeshClient.connect(TestBrokers.address(broker));
             MeshClient pub = MeshClient.connect(TestBrokers.address(broker))) {
            AtomicInteger received = new AtomicInteger();
            sub.subscribe("good.>", m -> received.incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            int sent = 0;

            try (RawConnection c = raw()) { // a 2 GiB length prefix
                c.hello();
                c.send(Unpooled.buffer().writeInt(Integer.MAX_VALUE).writeByte(FrameType.PUB));
                expectErrorAndClose(c, ErrorCode.FRAME_TOO_LARGE);
            }
            sent += publish(pub, 100);

            try (RawConnection c = raw()) { // unknown frame type
                c.hello();
                c.send(frame((byte) 0x7e, Unpooled.buffer().writeInt(1)));
                expectErrorAndClose(c, ErrorCode.UNKNOWN_FRAME);
            }
            sent += publish(pub, 100);

            try (RawConnection c = raw()) { // PUB whose topic length runs past the frame
                c.hello();
                c.send(frame(FrameType.PUB, Unpooled.buffer().writeShort(500).writeBytes(new byte[10])));
                expectErrorAndClose(c, ErrorCode.PROTOCOL_ERROR);
            }
            try (RawConnection c = raw()) { // PUB with a truncated event
                c.hello();
                ByteBuf body = Unpooled.buffer();
                Wire.writeStr16(body, "good.topic");
                body.writeByte(1).writeShort(20).writeBytes("abc".getBytes());
                c.send(frame(FrameType.PUB, body));
                expectErrorAndClose(c, ErrorCode.PROTOCOL_ERROR);
            }
            try (RawConnection c = raw()) { // invalid topic
                c.hello();
                ByteBuf body = Unpooled.buffer();
                Frames.writePub(body, "good.topic", PubSubTest.event("1", "{}"));
                body.skipBytes(5);
                ByteBuf bad = Unpooled.buffer();
                Wire.writeStr16(bad, "bad topic");
                body.skipBytes(2 + "good.topic".length());
                bad.writeBytes(body);
                c.send(frame(FrameType.PUB, bad));
                expectErrorAndClose(c, ErrorCode.INVALID_TOPIC);
            }
            try (RawConnection c = raw()) { // invalid pattern
                c.hello();
                ByteBuf s = Unpooled.buffer();
                Frames.writeSub(s, 1, "a.>.b", null);
                c.send(s);
                expectErrorAndClose(c, ErrorCode.INVALID_PATTERN);
            }
            try (RawConnection c = raw()) { // a frame before HELLO
                ByteBuf s = Unpooled.buffer();
                Frames.writeSub(s, 1, "a.b", null);
                c.send(s);
                expectErrorAndClose(c, ErrorCode.PROTOCOL_ERROR);
            }
            try (RawConnection c = raw()) { // HELLO with a version range the broker does not speak
                ByteBuf h = Unpooled.buffer();
                Frames.writeHello(h, new io.weft.protocol.Hello(9, 12, "future", ""));
                c.send(h);
                expectErrorAndClose(c, ErrorCode.UNSUPPORTED_VERSION);
            }
            try (RawConnection c = raw()) { // silence: no HELLO at all
                expectErrorAndClose(c, ErrorCode.HANDSHAKE_TIMEOUT);
            }
            sent += publish(pub, 100);

            // random bytes from several concurrent connections (seeded; the seed is in the message)
            long seed = 20261124L;
            Random r = new Random(seed);
            List<RawConnection> junk = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                RawConnection c = raw();
                junk.add(c);
                byte[] bytes = new byte[1 + r.nextInt(4096)];
                r.nextBytes(bytes);
                c.send(bytes);
            }
            sent += publish(pub, 100);
            for (RawConnection c : junk) {
                try (c) {
                    assertTrue(c.closedByPeer(), "random bytes (seed " + seed + ") should close the connection");
                }
            }
            sent += publish(pub, 100);
            int expected = sent;
            Await.until(WAIT, () -> received.get() == expected, () -> received + " of " + expected);
            assertTrue(sub.isConnected() && pub.isConnected());
            Await.until(WAIT, () -> broker.metrics().connectionCount() == 2, () -> broker.metrics().connectionCount() + " connections");
        }
    }

    private static int publish(MeshClient pub, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            pub.publish("good.events", PubSubTest.event("e" + i, "{}"));
        }
        pub.flush(WAIT);
        return n;
    }
}
