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
        sendFromThreads(link, senders, each);
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
        assertEachSendersFramesInOrder(all, senders, each);
        all.release();
        ch.finishAndReleaseAll();
    }

    /**
     * The same over a real event loop: senders append while the loop drains and writes, so a lost wake-up
     * (an event appended after a drain looked, with nobody scheduling the next) would leave bytes unsent and
     * fail the wait below.
     */
    @Test
    void sendersRacingTheEventLoopLoseNothing() throws Exception {
        io.netty.channel.EventLoopGroup group = new io.netty.channel.DefaultEventLoopGroup(2);
        io.netty.channel.local.LocalAddress address = new io.netty.channel.local.LocalAddress("mesh-link-test");
        int senders = 4;
        int each = 5_000;
        long expected = 0;
        for (int i = 0; i < each; i++) {
            expected += 7 + 8 + bodyPadding(i);
        }
        long total = expected * senders;
        ByteBuf received = Unpooled.buffer();
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(1);
        io.netty.channel.Channel server = new io.netty.bootstrap.ServerBootstrap().group(group)
                .channel(io.netty.channel.local.LocalServerChannel.class)
                .childHandler(new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        synchronized (received) {
                            received.writeBytes(b);
                            if (received.readableBytes() == total) {
                                all.countDown();
                            }
                        }
                        b.release();
                    }
                }).bind(address).sync().channel();
        io.netty.channel.Channel client = new io.netty.bootstrap.Bootstrap().group(group)
                .channel(io.netty.channel.local.LocalChannel.class)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter()).connect(address).sync().channel();
        try {
            MeshLink link = new MeshLink(client, PEER, LinkKind.GATEWAY, true, Long.MAX_VALUE);
            client.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                @Override
                public void channelWritabilityChanged(io.netty.channel.ChannelHandlerContext ctx) {
                    if (ctx.channel().isWritable()) {
                        link.kick(); // as MeshNetwork's handler does
                    }
                    ctx.fireChannelWritabilityChanged();
                }
            });
            sendFromThreads(link, senders, each);
            assertTrue(all.await(30, java.util.concurrent.TimeUnit.SECONDS),
                    "received " + received.readableBytes() + " of " + total + " bytes");
            synchronized (received) {
                assertEachSendersFramesInOrder(received, senders, each);
            }
            assertEquals(0, link.queuedBytes());
        } finally {
            client.close().sync();
            server.close().sync();
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).sync();
            received.release();
        }
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

    /** Bodies of varied sizes, so frames straddle the ends of batches. */
    private static int bodyPadding(int i) {
        return (i * 37) % 3000;
    }

    /** {@code senders} threads, started together, each sending {@code each} events numbered by sender and index. */
    private static void sendFromThreads(MeshLink link, int senders, int each) throws InterruptedException {
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
                    ByteBuf body = Unpooled.buffer().writeInt(sender).writeInt(i).writeZero(bodyPadding(i));
                    assertTrue(link.sendEvent(0, List.of(), body));
                    body.release();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Reads the EVENT frames of {@link #sendFromThreads}: each whole, each sender's in its order, none missing. */
    private static void assertEachSendersFramesInOrder(ByteBuf all, int senders, int each) {
        int[] next = new int[senders];
        while (all.isReadable()) {
            ByteBuf frame = all.readSlice(all.readInt());
            frame.skipBytes(3); // type, hop, groups
            int sender = frame.readInt();
            int i = frame.readInt();
            assertEquals(next[sender]++, i, "sender " + sender + "'s events in order");
            assertEquals(bodyPadding(i), frame.readableBytes());
        }
        for (int t = 0; t < senders; t++) {
            assertEquals(each, next[t]);
        }
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
