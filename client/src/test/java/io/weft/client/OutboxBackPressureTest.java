package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The client against a fake broker that greets it and then never reads again: publishing fills the
 * bounded outbound buffer, then blocks, then fails with a clear error after the publish timeout —
 * memory stays bounded.
 */
class OutboxBackPressureTest {
    @Test
    void publishBlocksThenFailsWhenTheBrokerStopsReading() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setReceiveBufferSize(4096);
            Thread fake = new Thread(() -> greetThenStall(server), "fake-broker");
            fake.setDaemon(true);
            fake.start();
            long bound = 64 * 1024;
            try (MeshClient c = MeshClient.connect(ClientOptions.builder()
                    .servers("127.0.0.1:" + server.getLocalPort())
                    .maxPendingOutBytes(bound).publishTimeout(Duration.ofMillis(300)).build())) {
                byte[] data = new byte[1024];
                MeshException e = assertThrows(MeshException.class, () -> {
                    for (int i = 0; i < 1_000_000; i++) {
                        c.publish("t.x", CloudEventBuilder.v1().withId("e" + i).withSource(URI.create("/t"))
                                .withType("t").withData(data).build());
                        assertTrue(c.pendingOutBytes() <= bound + 2048, "outbound buffer exceeded its bound");
                    }
                });
                assertTrue(e.getMessage().contains("outbound buffer full"), e.getMessage());
            } finally {
                testDone.countDown();
            }
        }
    }

    private final CountDownLatch testDone = new CountDownLatch(1);

    private void greetThenStall(ServerSocket server) {
        try (Socket s = server.accept()) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readInt();
            byte[] hello = new byte[len];
            in.readFully(hello);
            assertEquals(FrameType.HELLO, hello[0]);
            ByteBuf info = Unpooled.buffer();
            Frames.writeInfo(info, new Info(1, "fake", "fake", "site", 1 << 20, true,
                    List.of(new NodeAddress("fake", "site", "127.0.0.1:1", true))));
            byte[] out = new byte[info.readableBytes()];
            info.readBytes(out);
            s.getOutputStream().write(out);
            s.getOutputStream().flush();
            // now never read again, until the test is over
            testDone.await();
        } catch (IOException | InterruptedException e) {
            // the test is over
        }
    }
}
