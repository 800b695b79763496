package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.MeshClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 7: garbage on every port of every node (client, HTTP, mesh, raft, membership): random
 * bytes, frames announcing gigabytes, malformed HTTP, abrupt resets and idle half-open connections,
 * while durable and core traffic flows. Every node stays up and ready; the real clients lose nothing.
 * Scenario 10 does the same to a mesh with TLS on every port, adding garbage inside completed TLS
 * sessions (a certificate from the mesh's CA) and handshakes that stall half way.
 */
class GarbageChaosTest {
    @TempDir
    Path dir;

    @Test
    void garbageOnEveryPortLeavesNodesAndOtherClientsUnaffected() throws Exception {
        Scenario.run(7, "garbage on every port (client, mesh, HTTP, raft, membership) under load", Cluster.loopback(dir),
                GarbageChaosTest::underGarbage);
    }

    @Test
    void garbageOnEveryTlsPortLeavesNodesAndOtherClientsUnaffected() throws Exception {
        Scenario.run(10, "garbage on every TLS port, inside TLS sessions and in stalled handshakes, under load",
                Cluster.loopbackTls(dir), GarbageChaosTest::underGarbage);
    }

    private static void underGarbage(Cluster cluster, Report.Row row) throws Exception {
        javax.net.ssl.SSLContext tls = cluster.pki == null ? null : vandalTls(cluster.pki);
        cluster.cloudAndOnprem(3, 1);
        try (MeshClient onprem = cluster.client("o1");
             MeshClient onpremSub = cluster.client("o1");
             MeshClient cloud = cluster.client("c2")) {
            StreamOps.create(onprem, "orders", "orders.>", 3, "cloud");
            Workload.Recorder sub = new Workload.Recorder("o1").subscribe(onpremSub, "core.>");
            onpremSub.flush(Duration.ofSeconds(10));
            Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                    () -> "interest not converged: " + MeshChecks.divergence(cluster));
            Workload.DurableProducer durable = new Workload.DurableProducer(onprem, "orders.created", "d", 64,
                    2000, 256).start();
            Workload.CorePublisher core = new Workload.CorePublisher(cloud, "core.tick", "t", 500).start();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong connections = new AtomicLong();
            List<Thread> vandals = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    long seed = 42 + i;
                    Thread t = new Thread(() -> vandalise(cluster, tls, seed, stop, connections), "garbage-" + i);
                    vandals.add(t);
                    t.start();
                }
                Await.running(Profile.phase(6, 120), () -> cluster.allAlive(),
                        () -> "a node died under garbage");
            } finally {
                stop.set(true);
                for (Thread t : vandals) {
                    t.join(30_000);
                }
                durable.close();
                core.close();
            }
            cluster.awaitReady(Duration.ofSeconds(30));
            cloud.flush(Duration.ofSeconds(10));
            long last = core.published() - 1;
            Await.within(Duration.ofSeconds(30), () -> sub.has("t", last));
            Checker.StreamResult r = StreamOps.checkAll(cluster, onprem, "orders", cluster.names("cloud"), durable.acked());
            Checker.CoreResult c = Checker.core(core.published(), sub.arrivals("t"));
            long protocolErrors = 0;
            for (Cluster.Node n : cluster.nodes()) {
                protocolErrors += Math.max(0, Metrics.value(cluster.metrics(n.name), "weft_protocol_errors_total"));
            }
            row.acked = durable.acks();
            row.lost = r.lost();
            row.duplicated = r.duplicated() + c.duplicated();
            row.reordered = r.reordered() + c.reordered();
            row.corePublished = core.published();
            row.coreReceived = c.received();
            row.coreLost = c.lost();
            row.note(connections.get() + " garbage connections; " + protocolErrors
                    + " protocol errors counted on client ports; " + durable.failures() + " durable publishes failed");
            assertTrue(r.clean(), r.toString());
            assertEquals(0, durable.failures(), "durable publishes failed: " + durable.reasons());
            assertEquals(0, c.duplicated(), c.toString());
            assertEquals(0, c.lost(), "garbage on other connections cost a real subscriber events: " + c);
            assertTrue(connections.get() > 100, "too little garbage sent: " + connections.get());
        }
    }

    /** A client context with a user certificate of the mesh's CA: it completes the handshake on every TLS port. */
    private static javax.net.ssl.SSLContext vandalTls(io.weft.security.TestPki pki) throws Exception {
        io.weft.security.TestPki.Files f = pki.user("vandal");
        io.weft.security.TlsMaterial m = io.weft.security.TlsMaterial.load(f.cert(), f.key(), pki.caFile());
        javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
        c.init(m.keyManagers(), m.trustManagers(), null);
        return c;
    }

    /** Opens connections to random ports of random nodes and misbehaves on them until stopped. */
    private static void vandalise(Cluster cluster, javax.net.ssl.SSLContext tls, long seed, AtomicBoolean stop,
                                  AtomicLong connections) {
        SplittableRandom random = new SplittableRandom(seed);
        ArrayDeque<Socket> idle = new ArrayDeque<>();
        try {
            while (!stop.get()) {
                Cluster.Node n = cluster.nodes().get(random.nextInt(cluster.nodes().size()));
                int[] ports = {n.clientPort, n.httpPort, n.meshPort, n.proxy != null ? n.proxy.port() : n.meshPort,
                        n.raftPort, n.membershipPort};
                int port = ports[random.nextInt(ports.length)];
                if (port == 0) {
                    continue;
                }
                Socket s = new Socket();
                try {
                    s.connect(new InetSocketAddress(n.ip, port), 1000);
                    connections.incrementAndGet();
                    if (tls != null && random.nextInt(3) == 0) {
                        // garbage inside a completed TLS session, or a handshake that stops half way
                        if (random.nextBoolean()) {
                            try (javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                                    .createSocket(s, n.ip, port, true)) {
                                ssl.setSoTimeout(2000);
                                ssl.startHandshake();
                                byte[] b = new byte[1 + random.nextInt(16 * 1024)];
                                random.nextBytes(b);
                                ssl.getOutputStream().write(b);
                                ssl.getOutputStream().flush();
                            }
                        } else {
                            // a TLS record header of a ClientHello, and then nothing: held open until the end
                            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00});
                            idle.add(s);
                            if (idle.size() > 50) {
                                idle.poll().close();
                            }
                            continue;
                        }
                        continue;
                    }
                    OutputStream out = s.getOutputStream();
                    switch (random.nextInt(5)) {
                        case 0 -> { // random bytes
                            byte[] b = new byte[1 + random.nextInt(64 * 1024)];
                            random.nextBytes(b);
                            out.write(b);
                        }
                        case 1 -> { // a frame header announcing ~2 GB, then noise
                            byte[] b = new byte[64];
                            random.nextBytes(b);
                            b[0] = 0x7f;
                            b[1] = (byte) 0xff;
                            b[2] = (byte) 0xff;
                            b[3] = (byte) 0xff;
                            out.write(b);
                        }
                        case 2 -> out.write(("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n"
                                + "X-Junk: " + "a".repeat(random.nextInt(20000)) + "\r\n\r\n{")
                                .getBytes(StandardCharsets.US_ASCII));
                        case 3 -> s.setSoLinger(true, 0); // reset on close, nothing sent
                        default -> { // half-open and idle: kept until the end (at most 50)
                            byte[] b = new byte[1 + random.nextInt(16)];
                            random.nextBytes(b);
                            out.write(b);
                            idle.add(s);
                            if (idle.size() > 50) {
                                idle.poll().close();
                            }
                            continue;
                        }
                    }
                    out.flush();
                } catch (IOException e) {
                    // the node closed on us: fine, that is the point
                }
                try {
                    s.close();
                } catch (IOException e) {
                    // ignore
                }
            }
        } finally {
            for (Socket s : idle) {
                try {
                    s.close();
                } catch (IOException e) {
                    // ignore
                }
            }
        }
    }
}
