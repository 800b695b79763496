package io.weft.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A minimal broker on a loopback {@link ServerSocket} (port 0) for client tests: answers HELLO with
 * an INFO naming itself and the nodes {@code mesh} lists, SUB with OK, PING with PONG, and ignores
 * the rest. Every SUB it receives is reported to {@code events} as {@code "NODE SUB PATTERN"}.
 * {@link #kill()} closes every connection and stops accepting, like a crashed node.
 */
final class FakeBroker implements AutoCloseable {
    final String node;
    final String site;
    final boolean ready;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<String> events;
    private volatile Supplier<List<NodeAddress>> mesh = List::of;
    private volatile FrameHook hook = (type, body, reply) -> true;

    /** Answers frames the fake does not know itself (PUB_DURABLE, REQUEST, ...). */
    interface FrameHook {
        /** Writes the answer (if any) to {@code reply}; false drops the connection instead. */
        boolean handle(byte type, ByteBuf body, ByteBuf reply) throws IOException;
    }

    /** Installs {@code hook} for every frame other than HELLO, SUB and PING. */
    FakeBroker hook(FrameHook hook) {
        this.hook = hook;
        return this;
    }

    FakeBroker(String node, String site, boolean ready, BlockingQueue<String> events) throws IOException {
        this.node = node;
        this.site = site;
        this.ready = ready;
        this.events = events;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    NodeAddress nodeAddress() {
        return new NodeAddress(node, site, address(), ready);
    }

    /** Starts accepting; {@code mesh} is the node list every INFO carries. */
    FakeBroker start(Supplier<List<NodeAddress>> mesh) {
        this.mesh = mesh;
        daemon(this::acceptLoop, "fake-" + node + "-accept").start();
        return this;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                daemon(() -> serve(s), "fake-" + node + "-conn").start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                int len = in.readInt();
                byte[] frame = new byte[len];
                in.readFully(frame);
                ByteBuf body = Unpooled.wrappedBuffer(frame, 1, len - 1);
                ByteBuf reply = Unpooled.buffer();
                switch (frame[0]) {
                    case FrameType.HELLO:
                        Frames.readHello(body);
                        Frames.writeInfo(reply, new Info(1, "fake", node, site, 1 << 20, ready, mesh.get()));
                        break;
                    case FrameType.SUB:
                        Frames.Sub sub = Frames.readSub(body);
                        events.add(node + " SUB " + sub.pattern());
                        Frames.writeOk(reply, sub.sid());
                        break;
                    case FrameType.PING:
                        Frames.writePong(reply, Frames.readToken(body));
                        break;
                    default:
                        if (!hook.handle(frame[0], body, reply)) {
                            return;
                        }
                        break;
                }
                if (reply.isReadable()) {
                    byte[] bytes = new byte[reply.readableBytes()];
                    reply.readBytes(bytes);
                    out.write(bytes);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the client or kill() closed the connection
        } finally {
            sockets.remove(s);
        }
    }

    /** Stops accepting and drops every connection. */
    void kill() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    @Override
    public void close() throws IOException {
        kill();
    }
}
