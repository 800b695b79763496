package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ErrorFrame;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Hello;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A bare socket speaking (or abusing) the native protocol, for tests of hostile or stalled peers. */
final class RawConnection implements AutoCloseable {
    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawConnection(int port) throws IOException {
        this(port, 0);
    }

    /** With {@code receiveBuffer > 0}, a small kernel receive buffer, so a stalled reader fills up fast. */
    RawConnection(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    RawConnection hello() throws IOException {
        ByteBuf b = Unpooled.buffer();
        Frames.writeHello(b, new Hello(1, 1, "raw", ""));
        send(b);
        byte[] info = readFrame();
        if (info[0] != FrameType.INFO) {
            throw new AssertionError("expected INFO, got " + FrameType.name(info[0]));
        }
        return this;
    }

    void send(ByteBuf b) throws IOException {
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        send(bytes);
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Type byte then body of the next frame. */
    byte[] readFrame() throws IOException {
        int len = in.readInt();
        byte[] f = new byte[len];
        in.readFully(f);
        return f;
    }

    /** Reads frames until an ERR arrives (skipping others) and returns it. */
    ErrorFrame readError() throws IOException {
        while (true) {
            byte[] f = readFrame();
            if (f[0] == FrameType.ERR) {
                ByteBuf b = Unpooled.wrappedBuffer(f);
                b.skipBytes(1);
                return Frames.readErr(b);
            }
        }
    }

    /** True when the broker closed the connection (EOF or reset) before the read timeout. */
    boolean closedByPeer() throws IOException {
        try {
            while (true) {
                readFrame();
            }
        } catch (EOFException | SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
