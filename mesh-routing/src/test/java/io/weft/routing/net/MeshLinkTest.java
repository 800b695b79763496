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

    /**
     * Events that arrived in large read buffers and wait on a link that does not drain share those
     * buffers only up to a bound; the rest are copied, so a link that falls behind keeps at most
     * {@link MeshLink#MAX_PINNING} read buffers alive, not one per event its budget admits.
     */
    @Test
    void aLinkThatFallsBehindPinsABoundedNumberOfReadBuffers() {
        fallBehind();
    }

    /** As above, with every buffer wrapped by Netty's leak detector (it wraps a sample of them in production). */
    @Test
    void theBoundHoldsForBuffersTheLeakDetectorWraps() {
        io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
        try {
            fallBehind();
        } finally {
            io.netty.util.ResourceLeakDetector.setLevel(level);
        }
    }

    private static void fallBehind() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 24);
        int events = 2 * MeshLink.MAX_PINNING + 10;
        List<ByteBuf> reads = new java.util.ArrayList<>();
        for (int i = 0; i < events; i++) {
            ByteBuf read = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
            reads.add(read);
            ByteBuf slice = read.retainedSlice(0, 100); // as a frame decoder hands one event on
            assertTrue(link.sendEvent(0, List.of(), slice));
            slice.release();
        }
        assertEquals(MeshLink.MAX_PINNING, link.pinning());
        assertEquals(MeshLink.MAX_PINNING, reads.stream().filter(r -> r.refCnt() > 1).count(),
                "read buffers kept alive by the queue");
        ch.runPendingTasks();
        assertEquals(0, link.pinning());
        assertTrue(reads.stream().allMatch(r -> r.refCnt() == 1));
        assertEquals(events * 107, drainOutbound(ch), "every event written, shared or copied");
        reads.forEach(ByteBuf::release);
        ch.finishAndReleaseAll();
    }

    /** A run of events from one read buffer counts once: a busy link shares all of them without copies. */
    @Test
    void eventsOfOneReadBufferShareItAsOneRun() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 24);
        ByteBuf read = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
        int events = 600;
        for (int i = 0; i < events; i++) {
            ByteBuf slice = read.retainedSlice(i * 100, 100);
            assertTrue(link.sendEvent(0, List.of(), slice));
            slice.release();
        }
        assertEquals(1, link.pinning());
        assertEquals(1 + events, read.refCnt(), "every queued event shares the read buffer");
        ch.runPendingTasks();
        assertEquals(0, link.pinning());
        assertEquals(1, read.refCnt());
        assertEquals(events * 107, drainOutbound(ch));
        read.release();
        ch.finishAndReleaseAll();
    }

    private static int drainOutbound(EmbeddedChannel ch) {
        int bytes = 0;
        for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
            bytes += out.readableBytes();
            out.release();
        }
        return bytes;
    }
}
