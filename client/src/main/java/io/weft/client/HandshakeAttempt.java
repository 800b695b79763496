package io.weft.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.weft.protocol.Frames;
import io.weft.protocol.Hello;
import io.weft.protocol.HostPort;
import io.weft.protocol.Info;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One connection attempt to a broker: TCP connect, HELLO, until the broker's INFO (or a failure),
 * timed. Answered attempts are the client's round-trip measurements; the best one becomes its
 * connection, the others are closed ({@link BrokerConnector}).
 */
final class HandshakeAttempt implements BrokerConnector.Attempt {
    final String address;
    final CompletableFuture<Info> info = new CompletableFuture<>();
    volatile Channel channel;
    private volatile long rttNanos = BrokerCandidate.UNMEASURED;

    /**
     * Starts the attempt at once.
     *
     * @param handshake the future of a connected channel's handler that completes with the INFO
     */
    HandshakeAttempt(String address, Bootstrap bootstrap, Hello hello,
                     Function<Channel, CompletableFuture<Info>> handshake) {
        this.address = address;
        HostPort hp;
        try {
            hp = HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            info.completeExceptionally(new MeshException(e.getMessage()));
            return;
        }
        long startNanos = System.nanoTime();
        ChannelFuture cf = bootstrap.clone().attr(ClientTls.PEER, hp).connect(hp.host(), hp.port());
        channel = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                Throwable c = f.cause();
                info.completeExceptionally(new MeshException("connect failed: "
                        + (c == null ? "cancelled" : c.getMessage() != null ? c.getMessage() : c.toString()), c));
                return;
            }
            handshake.apply(cf.channel()).whenComplete((i, e) -> {
                if (e != null) {
                    info.completeExceptionally(e);
                } else {
                    rttNanos = System.nanoTime() - startNanos;
                    info.complete(i);
                }
            });
            ByteBuf frame = cf.channel().alloc().buffer(64);
            Frames.writeHello(frame, hello);
            cf.channel().writeAndFlush(frame);
        });
    }

    @Override
    public CompletableFuture<Info> info() {
        return info;
    }

    @Override
    public long rttNanos() {
        return rttNanos;
    }

    @Override
    public void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
