package io.weft.cli;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import io.weft.protocol.Wire;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A broker stand-in on a loopback socket for meshctl tests of the streams commands: greets, answers
 * PING, records every REQUEST ("METHOD PATH BODY") and answers it from {@link #replies} (keyed by
 * "METHOD PATH", default 404), records every READ ("READ STREAM FROM MAX") and answers it from
 * {@link #pages}, and acks every PUB_DURABLE as stored in stream "orders" with
 * increasing seqs (or as a duplicate when the event id starts with "dup").
 */
final class FakeMeshd implements AutoCloseable {
    record Reply(int status, String json) {
    }

    final Queue<String> requests = new ConcurrentLinkedQueue<>();
    final Queue<String> published = new ConcurrentLinkedQueue<>();
    final Map<String, Function<String, Reply>> replies = new ConcurrentHashMap<>();
    /** Binary pages READ answers, keyed by "STREAM FROMSEQ" (default 404). */
    final Map<String, byte[]> pages = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    FakeMeshd() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "fake-meshd");
        t.setDaemon(true);
        t.start();
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Answers {@code method path} with {@code status} and {@code json}. */
    FakeMeshd reply(String method, String path, int status, String json) {
        replies.put(method + " " + path, body -> new Reply(status, json));
        return this;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "fake-meshd-conn");
                t.setDaemon(true);
                t.start();
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
                    case FrameType.HELLO -> Frames.writeInfo(reply, new Info(Frames.PROTOCOL_VERSION, "fake", "fake-1", "cloud", 1 << 20, true,
                            List.of(new NodeAddress("fake-1", "cloud", address(), true))));
                    case FrameType.PING -> Frames.writePong(reply, Frames.readToken(body));
                    case FrameType.REQUEST -> {
                        Frames.Request r = Frames.readRequest(body);
                        String b = new String(r.body(), StandardCharsets.UTF_8);
                        requests.add(r.method() + " " + r.path() + (b.isEmpty() ? "" : " " + b));
                        Function<String, Reply> h = replies.get(r.method() + " " + r.path());
                        Reply rep = h != null ? h.apply(b) : new Reply(404, "{\"error\":\"no route " + r.path() + "\"}");
                        Frames.writeAdminReply(reply, r.ref(), rep.status(), rep.json().getBytes(StandardCharsets.UTF_8));
                    }
                    case FrameType.READ -> {
                        Frames.Read r = Frames.readRead(body);
                        requests.add("READ " + r.stream() + " " + r.fromSeq() + " " + r.maxEvents());
                        byte[] page = pages.get(r.stream() + " " + r.fromSeq());
                        if (page != null) {
                            Frames.writeEvents(reply, r.ref(), 200, page);
                        } else {
                            Frames.writeEvents(reply, r.ref(), 404, "{\"error\":\"no such page\"}".getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    case FrameType.PUB_DURABLE -> {
                        long ref = body.readLong();
                        String topic = Wire.readStr16(body);
                        CloudEvent e = EventCodec.decode(body);
                        published.add(topic + " " + e.getId());
                        if (e.getId().startsWith("dup")) {
                            Frames.writePubAck(reply, ref, Frames.ACK_DUPLICATE, 7, "orders");
                        } else {
                            Frames.writePubAck(reply, ref, Frames.ACK_STORED, seq.incrementAndGet() + 41, "orders");
                        }
                    }
                    default -> {
                    }
                }
                if (reply.isReadable()) {
                    byte[] bytes = new byte[reply.readableBytes()];
                    reply.readBytes(bytes);
                    out.write(bytes);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
