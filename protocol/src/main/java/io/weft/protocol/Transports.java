package io.weft.protocol;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The Netty transport client and broker use: native epoll on Linux when it loads, NIO otherwise or
 * when the system property {@code weft.transport=nio} asks for it.
 */
public final class Transports {
    private static final boolean EPOLL = !"nio".equals(System.getProperty("weft.transport")) && Epoll.isAvailable();

    private Transports() {
    }

    /** "epoll" or "nio", for logs. */
    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    public static IoHandlerFactory ioHandlerFactory() {
        return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * The buffer allocator of every channel: Netty's pooled allocator. Netty 4.2's default, the
     * adaptive allocator, copies a buffer into one of its own through an NIO {@code ByteBuffer}
     * view made per copy, and Weft copies every event into batches: the pooled one copies with one
     * memory move and allocates nothing (profiled on the one-node benchmark: those views were a
     * third of the broker's allocation).
     */
    public static ByteBufAllocator allocator() {
        return PooledByteBufAllocator.DEFAULT;
    }

    public static Class<? extends SocketChannel> socketChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
