package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
     * Events that arrived in large read buffers and wait on a link that does not drain are copied into the
     * link's batches as they are sent: the link keeps no read buffer alive, however far it falls behind,
     * and what it holds is what its budget counts.
     */
    @Test
    void aLinkThatFallsBehindKeepsNoReadBufferAlive() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 24);
        int events = 200;
        List<ByteBuf> reads = new java.util.ArrayList<>();
        for (int i = 0; i < events; i++) {
            ByteBuf read = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
            reads.add(read);
            ByteBuf slice = read.retainedSlice(0, 100); // as a frame decoder hands one event on
            assertTrue(link.sendEvent(0, List.of(), slice));
            slice.release();
        }
        assertTrue(reads.stream().allMatch(r -> r.refCnt() == 1), "no read buffer kept alive by the link");
        assertEquals(events * 107L, link.queuedBytes(), "the budget counts what the link holds");
        ch.runPendingTasks();
        assertEquals(0, link.queuedBytes());
        assertEquals(events * 107, drainOutbound(ch), "every event written");
        reads.forEach(ByteBuf::release);
        ch.finishAndReleaseAll();
    }

    /** Senders on several threads: every frame arrives whole, each sender's in the order it sent them. */
    @Test
    void framesOfSeveralSendersArriveWholeAndInEachSendersOrder() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 26);
        int senders = 4;
        int each = 5_000;
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(senders);
        for (int t = 0; t < senders; t++) {
            int sender = t;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                    // bodies of varied sizes, so frames straddle the ends of batches
                    ByteBuf body = Unpooled.buffer().writeInt(sender).writeInt(i).writeZero((i * 37) % 3000);
                    assertTrue(link.sendEvent(0, List.of(), body));
                    body.release();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        // the drains run on the (embedded) event loop after the senders; the channel turns unwritable past its
        // high-water mark, and taking what it wrote turns it writable again, which kicks the link (MeshNetwork)
        ByteBuf all = Unpooled.buffer();
        do {
            link.kick();
            ch.runPendingTasks();
            for (ByteBuf out; (out = ch.readOutbound()) != null; ) {
                all.writeBytes(out);
                out.release();
            }
        } while (link.queuedBytes() > 0);
        int[] next = new int[senders];
        while (all.isReadable()) {
            int length = all.readInt();
            ByteBuf frame = all.readSlice(length);
            frame.skipBytes(3); // type, hop, groups
            int sender = frame.readInt();
            int i = frame.readInt();
            assertEquals(next[sender]++, i, "sender " + sender + "'s events in order");
            assertEquals((i * 37) % 3000, frame.readableBytes());
        }
        for (int t = 0; t < senders; t++) {
            assertEquals(each, next[t]);
        }
        all.release();
        ch.finishAndReleaseAll();
    }

    /**
     * A frame that cannot be written (here a queue group name past the 64 KiB string limit) leaves nothing
     * in the batch: the frames around it arrive whole, and the budget counts only what was written.
     */
    @Test
    void aFrameThatFailsHalfWrittenLeavesNothingBehind() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 24);
        ByteBuf body = Unpooled.wrappedBuffer(new byte[100]);
        assertTrue(link.sendEvent(0, List.of(), body));
        assertFalse(link.sendEvent(0, List.of("g".repeat(70_000)), body), "dropped");
        assertEquals(1, link.dropped());
        assertTrue(link.sendEvent(0, List.of(), body));
        assertEquals(2 * 107L, link.queuedBytes());
        ch.runPendingTasks();
        assertEquals(2 * 107, drainOutbound(ch), "two whole frames, nothing of the failed one");
        assertEquals(0, link.queuedBytes());
        ch.finishAndReleaseAll();
    }

    /** Batches still waiting when the link goes down are released, and the budget returns to zero. */
    @Test
    void whatWaitsOnALinkThatClosedIsReleased() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MeshLink link = new MeshLink(ch, PEER, LinkKind.GATEWAY, true, 1 << 20);
        ByteBuf body = Unpooled.wrappedBuffer(new byte[1000]);
        for (int i = 0; i < 100; i++) {
            assertTrue(link.sendEvent(0, List.of(), body));
        }
        ch.close(); // drains what the channel takes before it turns unwritable, then closes
        assertTrue(link.queuedBytes() > 0);
        link.kick(); // as MeshNetwork does when the channel goes inactive
        ch.runPendingTasks();
        assertEquals(0, link.queuedBytes());
        assertFalse(link.sendEvent(0, List.of(), body), "down: dropped and counted");
        assertEquals(1, link.dropped());
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
