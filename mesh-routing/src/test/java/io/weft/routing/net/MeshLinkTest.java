package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshLinkTest {
    private static final NodeInfo PEER = new NodeInfo("o1", "onprem", 1, "127.0.0.1:1", "", "", "", "");

    /**
     * Regression (chaos scenario 4, slow gateway): each drain of a trickle of events wrote a 64 KiB
     * batch holding one event; Netty's write budget counts readable bytes, so a slow link pinned ~64x
     * its budget in direct memory and the node ran out of it.
     */
    @Test
    void batchesAreSizedToTheirContent() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 20);
        ByteBuf body = Unpooled.wrappedBuffer(new byte[1000]);
        for (int i = 0; i < 50; i++) {
            assertTrue(link.sendEvent(0, List.of(), body));
            ch.runPendingTasks();
        }
        int buffers = 0;
        for (ByteBuf out; (out = ch.readOutbound()) != null; buffers++) {
            assertTrue(out.capacity() <= 2 * out.readableBytes(),
                    "batch of " + out.readableBytes() + " bytes in a buffer of " + out.capacity());
            out.release();
        }
        assertEquals(50, buffers);
        ch.finishAndReleaseAll();
    }

    @Test
    void eventsQueuedTogetherShareOneBatch() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 20);
        ByteBuf body = Unpooled.wrappedBuffer(new byte[100]);
        for (int i = 0; i < 50; i++) {
            assertTrue(link.sendEvent(0, List.of(), body));
        }
        ch.runPendingTasks();
        ByteBuf out = ch.readOutbound();
        assertEquals(50 * 107, out.readableBytes(), "one batch with all 50 frames");
        assertTrue(out.capacity() <= 2 * out.readableBytes());
        out.release();
        ch.finishAndReleaseAll();
    }
}
