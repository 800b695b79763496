package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/**
 * One established mesh connection to a peer (after the handshake). Either side may send on it; by
 * convention each node sends events on the links it dialled. Sending never blocks or queues without
 * bound: when the channel is not writable the event is dropped and counted (core delivery is at
 * most once; durable traffic is acknowledged end to end).
 */
public final class MeshLink {
    private final Channel channel;
    private final NodeInfo peer;
    private final LinkKind kind;
    private final boolean outbound;
    private final long upSinceMillis = System.currentTimeMillis();
    final LongAdder eventsSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder eventsReceived = new LongAdder();
    final LongAdder dropped = new LongAdder();
    volatile long lastRttNanos = -1;

    MeshLink(Channel channel, NodeInfo peer, LinkKind kind, boolean outbound) {
        this.channel = channel;
        this.peer = peer;
        this.kind = kind;
        this.outbound = outbound;
    }

    public NodeInfo peer() {
        return peer;
    }

    public LinkKind kind() {
        return kind;
    }

    public boolean outbound() {
        return outbound;
    }

    public boolean isActive() {
        return channel.isActive();
    }

    /**
     * Sends an event: {@code pubBody} (str16 topic + event) is shared, not copied per link.
     *
     * @return false when dropped because the link is down or over its write budget
     */
    public boolean sendEvent(int hop, Collection<String> groups, ByteBuf pubBody) {
        if (!channel.isActive() || !channel.isWritable()) {
            dropped.increment();
            return false;
        }
        int groupBytes = 0;
        for (String g : groups) {
            groupBytes += 2 + g.length() * 3;
        }
        ByteBuf header = channel.alloc().buffer(7 + groupBytes);
        MeshFrames.writeEventHeader(header, hop, groups, pubBody.readableBytes());
        int bytes = header.readableBytes() + pubBody.readableBytes();
        channel.write(header, channel.voidPromise());
        channel.writeAndFlush(pubBody.retainedDuplicate(), channel.voidPromise());
        eventsSent.increment();
        bytesSent.add(bytes);
        return true;
    }

    /** Sends a whole frame (gossip); takes ownership of {@code frame}. */
    public boolean sendFrame(ByteBuf frame) {
        if (!channel.isActive()) {
            frame.release();
            return false;
        }
        channel.writeAndFlush(frame, channel.voidPromise());
        return true;
    }

    public long eventsSent() {
        return eventsSent.sum();
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public long eventsReceived() {
        return eventsReceived.sum();
    }

    public long dropped() {
        return dropped.sum();
    }

    /** Last heartbeat round trip in nanoseconds, or -1 before the first. */
    public long rttNanos() {
        return lastRttNanos;
    }

    public long upSinceMillis() {
        return upSinceMillis;
    }

    void close(String reason) {
        if (channel.isActive()) {
            ByteBuf b = channel.alloc().buffer(32 + reason.length());
            MeshFrames.writeClose(b, reason);
            channel.writeAndFlush(b).addListener(f -> channel.close());
        }
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String toString() {
        return (outbound ? "->" : "<-") + kind + " " + peer.name() + "@" + peer.site();
    }
}
