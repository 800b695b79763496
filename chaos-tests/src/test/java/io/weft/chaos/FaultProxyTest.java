package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weft.chaos.FaultProxy.Direction;
import io.weft.chaos.FaultProxy.Faults;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy in front of a small echo server, all on loopback. Clients bind to 127.0.0.2 / 127.0.0.3 when
 * a test needs per-source rules (Linux routes all of 127/8 to lo). Timing is only ever checked as a lower
 * bound; "nothing arrives" is checked with a short read deadline.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FaultProxyTest {
    private static final String A = "127.0.0.2";
    private static final String B = "127.0.0.3";
    /** How long "nothing arrives" is watched for. */
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private Echo echo;
    private FaultProxy proxy;
    private final List<Socket> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        echo = new Echo();
        proxy = new FaultProxy("test", new InetSocketAddress("127.0.0.1", 0));
        proxy.target(echo.address());
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (echo != null) {
            echo.close();
        }
        for (Thread t : threads) {
            t.join(5000);
            assertTrue(!t.isAlive(), t + " still running");
        }
    }

    // ---- forwarding ----

    @Test
    void forwardsMegabytesBothWaysByteExact() throws Exception {
        byte[] data = random(4 << 20, 1);
        Socket c = connect("127.0.0.1");
        AtomicReference<Throwable> failed = writeInBackground(c, data);
        byte[] back = readN(c, data.length, DEADLINE);
        assertEquals(null, failed.get());
        assertArrayEquals(data, back);
        assertEquals(1, proxy.accepted());
        assertEquals(1, proxy.open());

        // a close from the client goes through: the echo server sees the end and closes, the client sees -1
        c.shutdownOutput();
        assertEquals(-1, readOrEnd(c, DEADLINE));
        Await.until(DEADLINE, () -> proxy.open() == 0, () -> proxy.open() + " connections open");
    }

    @Test
    void forwardsSeveralConnectionsIndependently() throws Exception {
        byte[] d1 = random(1 << 20, 2);
        byte[] d2 = random(1 << 20, 3);
        Socket c1 = connect(A);
        Socket c2 = connect(B);
        AtomicReference<Throwable> f1 = writeInBackground(c1, d1);
        AtomicReference<Throwable> f2 = writeInBackground(c2, d2);
        assertArrayEquals(d1, readN(c1, d1.length, DEADLINE));
        assertArrayEquals(d2, readN(c2, d2.length, DEADLINE));
        assertEquals(null, f1.get());
        assertEquals(null, f2.get());
        assertEquals(2, proxy.accepted());
    }

    @Test
    void noTargetYetClosesTheConnection() throws Exception {
        FaultProxy p = new FaultProxy("untargeted", new InetSocketAddress("127.0.0.1", 0));
        closeables.add(p);
        assertResetOnConnect("127.0.0.1", p);
        Await.until(DEADLINE, () -> p.accepted() == 1, () -> p.accepted() + " accepted");
        assertEquals(0, p.open());

        p.target(echo.address());
        Socket d = connect("127.0.0.1", p);
        roundTrip(d, "now it goes through");
    }

    // ---- latency ----

    @Test
    void latencyOnAnOpenConnection() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        proxy.faults(a -> Faults.both(Direction.slow(100, 0, 0)));
        long t0 = System.nanoTime();
        roundTrip(c, "slow");
        assertAtLeast(Duration.ofMillis(200), t0);
    }

    @Test
    void latencyOnNewConnectionsByOneDirection() throws Exception {
        proxy.faults(a -> new Faults(Direction.slow(150, 0, 0), Direction.CLEAN, false));
        Socket c = connect("127.0.0.1");
        long t0 = System.nanoTime();
        roundTrip(c, "one way slow");
        assertAtLeast(Duration.ofMillis(150), t0);

        proxy.faults(a -> new Faults(Direction.CLEAN, Direction.slow(150, 0, 0), false));
        t0 = System.nanoTime();
        roundTrip(c, "the other way slow");
        assertAtLeast(Duration.ofMillis(150), t0);
    }

    @Test
    void jitterKeepsOrder() throws Exception {
        proxy.faults(a -> Faults.both(Direction.slow(5, 40, 0)));
        Socket c = connect("127.0.0.1");
        OutputStream os = c.getOutputStream();
        int n = 200;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            // one small write at a time, so the proxy reads many chunks with different delays
            os.write(new byte[] {(byte) (i >> 8), (byte) i});
            os.flush();
        }
        byte[] back = readN(c, 2 * n, DEADLINE);
        assertAtLeast(Duration.ofMillis(10), t0);
        for (int i = 0; i < n; i++) {
            assertEquals(i, ((back[2 * i] & 0xff) << 8) | (back[2 * i + 1] & 0xff), "message " + i);
        }
    }

    // ---- bandwidth ----

    @Test
    void bandwidthLimitToTarget() throws Exception {
        checkBandwidth(rate -> new Faults(Direction.slow(0, 0, rate), Direction.CLEAN, false));
    }

    @Test
    void bandwidthLimitFromTarget() throws Exception {
        checkBandwidth(rate -> new Faults(Direction.CLEAN, Direction.slow(0, 0, rate), false));
    }

    private void checkBandwidth(java.util.function.LongFunction<Faults> faults) throws Exception {
        long rate = 1_000_000;
        byte[] data = random(400_000, 4);
        Socket c = connect(A);
        roundTrip(c, "warm");
        proxy.faults(a -> a.getHostAddress().equals(A) ? faults.apply(rate) : Faults.NONE);
        long t0 = System.nanoTime();
        AtomicReference<Throwable> failed = writeInBackground(c, data);
        byte[] back = readN(c, data.length, DEADLINE);
        // the first chunk (at most one 16 KiB read) goes at once, the rest at the rate; 10% margin
        long minNanos = (data.length - 16 * 1024) * 1_000_000_000L / rate * 9 / 10;
        assertAtLeast(Duration.ofNanos(minNanos), t0);
        assertArrayEquals(data, back);
        assertEquals(null, failed.get());
    }

    // ---- black hole ----

    @Test
    void blackHoleOnAnOpenConnectionThenHeal() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        long atTarget = echo.received.get();
        proxy.faults(a -> Faults.BLACK_HOLE);

        // more than fits any buffer of the proxy: it all waits in TCP, and comes back whole and in order
        byte[] data = random(1 << 20, 5);
        AtomicReference<Throwable> failed = writeInBackground(c, data);
        assertNothingWithin(c, QUIET);
        assertEquals(atTarget, echo.received.get(), "bytes reached the target through a black hole");

        proxy.heal();
        assertArrayEquals(data, readN(c, data.length, DEADLINE));
        assertEquals(null, failed.get());
        roundTrip(c, "healed");
    }

    @Test
    void blackHoleOnNewConnectionsThenHeal() throws Exception {
        proxy.faults(a -> Faults.BLACK_HOLE);
        Socket c = connect("127.0.0.1"); // the proxy accepts: a black hole is no refusal
        send(c, "into the void");
        assertNothingWithin(c, QUIET);
        assertEquals(0, echo.received.get());
        assertEquals(1, proxy.accepted());

        proxy.heal();
        assertEquals("into the void", readString(c, "into the void".length()));
        roundTrip(c, "healed");
    }

    @Test
    void blackHoleBySourceAddress() throws Exception {
        InetAddress a = InetAddress.getByName(A);
        Socket faulted = connect(A);
        Socket clean = connect(B);
        roundTrip(faulted, "warm");
        roundTrip(clean, "warm");
        proxy.faults(addr -> addr.equals(a) ? Faults.BLACK_HOLE : Faults.NONE);

        send(faulted, "lost in the hole");
        roundTrip(clean, "still fine");
        assertNothingWithin(faulted, QUIET);
        // and new connections by source as well
        Socket faulted2 = connect(A);
        Socket clean2 = connect(B);
        roundTrip(clean2, "new and fine");
        send(faulted2, "new and lost");
        assertNothingWithin(faulted2, QUIET);

        proxy.heal();
        assertEquals("lost in the hole", readString(faulted, "lost in the hole".length()));
        assertEquals("new and lost", readString(faulted2, "new and lost".length()));
    }

    // ---- one-way cuts ----

    @Test
    void cutToTarget() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        long atTarget = echo.received.get();
        proxy.faults(a -> new Faults(Direction.BLOCKED, Direction.CLEAN, false));

        send(c, "ping");
        assertNothingWithin(c, QUIET);
        assertEquals(atTarget, echo.received.get(), "the target got bytes across a cut");

        proxy.heal();
        assertEquals("ping", readString(c, 4));
    }

    @Test
    void cutFromTarget() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        long atTarget = echo.received.get();
        proxy.faults(a -> new Faults(Direction.CLEAN, Direction.BLOCKED, false));

        send(c, "pong");
        // it reaches the target (which echoes it), but the answer does not come back
        Await.until(DEADLINE, () -> echo.received.get() == atTarget + 4, () -> "target has " + echo.received.get());
        assertNothingWithin(c, QUIET);

        proxy.heal();
        assertEquals("pong", readString(c, 4));
    }

    // ---- reset ----

    @Test
    void resetClosesOpenConnectionsAndRefusesNewOnesUntilHealed() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        Await.until(DEADLINE, () -> echo.open() == 1, () -> echo.open() + " at the echo server");

        proxy.faults(a -> Faults.RESET);
        assertClosedOrReset(c);
        Await.until(DEADLINE, () -> proxy.open() == 0, () -> proxy.open() + " connections open");
        // the target side of the connection is gone too
        Await.until(DEADLINE, () -> echo.open() == 0, () -> echo.open() + " at the echo server");

        assertResetOnConnect("127.0.0.1", proxy);
        Await.until(DEADLINE, () -> proxy.accepted() == 2, () -> proxy.accepted() + " accepted");
        assertEquals(0, proxy.open());

        proxy.heal();
        roundTrip(connect("127.0.0.1"), "healed");
    }

    @Test
    void resetBySourceAddress() throws Exception {
        InetAddress a = InetAddress.getByName(A);
        Socket faulted = connect(A);
        Socket clean = connect(B);
        roundTrip(faulted, "warm");
        roundTrip(clean, "warm");

        proxy.faults(addr -> addr.equals(a) ? Faults.RESET : Faults.NONE);
        assertClosedOrReset(faulted);
        roundTrip(clean, "untouched");
        roundTrip(connect(B), "new and fine");
        assertResetOnConnect(A, proxy);
        roundTrip(clean, "still untouched");
        assertEquals(2, proxy.open());
    }

    // ---- rules changing while a connection is being set up ----

    /**
     * {@code faults(...)} called while the proxy is setting a new connection up (after consulting the
     * rules for it, before it counts among the open connections) must still reach that connection.
     */
    @Test
    void faultsSetDuringConnectionSetupReachTheConnection() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch consulting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // the proxy consults the rules on accept, then again to configure the connection: hold it there
        proxy.faults(addr -> {
            if (calls.incrementAndGet() == 2) {
                consulting.countDown();
                try {
                    release.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Faults.NONE;
        });
        Socket c = connect("127.0.0.1");
        assertTrue(consulting.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), "the rules were not consulted twice");

        Thread setter = new Thread(() -> proxy.faults(addr -> Faults.BLACK_HOLE), "set-faults");
        threads.add(setter);
        setter.start();
        // the new rules are in place once the call has returned, or waits for the connection being set up
        Await.until(DEADLINE, () -> setter.getState() == Thread.State.TERMINATED
                || setter.getState() == Thread.State.BLOCKED,
                () -> "faults() " + setter.getState());
        release.countDown();
        setter.join(DEADLINE.toMillis());

        send(c, "must not pass");
        assertNothingWithin(c, QUIET);
        assertEquals(0, echo.received.get());
        proxy.heal();
        assertEquals("must not pass", readString(c, "must not pass".length()));
    }

    /** A reset landing while a connection is set up closes it, and it is not counted as open. */
    @Test
    void resetDuringConnectionSetupLeavesNothingOpen() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        // clean when accepted, reset from the next look on (as if faults(RESET) came in between)
        proxy.faults(addr -> calls.incrementAndGet() == 1 ? Faults.NONE : Faults.RESET);
        assertResetOnConnect("127.0.0.1", proxy);
        Await.until(DEADLINE, () -> proxy.accepted() == 1, () -> proxy.accepted() + " accepted");
        Await.until(DEADLINE, () -> proxy.open() == 0, () -> proxy.open() + " connections open");
        Await.until(DEADLINE, () -> echo.open() == 0, () -> echo.open() + " at the echo server");
    }

    @Test
    void closeEndsOpenConnections() throws Exception {
        Socket c = connect("127.0.0.1");
        roundTrip(c, "warm");
        proxy.close();
        assertClosedOrReset(c);
        Await.until(DEADLINE, () -> echo.open() == 0, () -> echo.open() + " at the echo server");
        assertEquals(0, proxy.open());
    }

    // ---- helpers ----

    private Socket connect(String from) throws IOException {
        return connect(from, proxy);
    }

    private Socket connect(String from, FaultProxy p) throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.setTcpNoDelay(true);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(p.address(), 2000);
        return s;
    }

    /**
     * A connection the proxy resets (or closes) as soon as it accepts it: the reset can already fail the
     * connect, or end the first read.
     */
    private void assertResetOnConnect(String from, FaultProxy p) throws IOException {
        Socket s;
        try {
            s = connect(from, p);
        } catch (IOException e) {
            return; // reset before connect() returned
        }
        assertClosedOrReset(s);
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static String readString(Socket s, int n) throws IOException {
        return new String(readN(s, n, DEADLINE), StandardCharsets.UTF_8);
    }

    private static void roundTrip(Socket s, String text) throws IOException {
        send(s, text);
        assertEquals(text, readString(s, text.getBytes(StandardCharsets.UTF_8).length));
    }

    /** Reads exactly n bytes or fails at the deadline. */
    private static byte[] readN(Socket s, int n, Duration timeout) throws IOException {
        byte[] out = new byte[n];
        int got = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        InputStream is = s.getInputStream();
        while (got < n) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                fail("only " + got + " of " + n + " bytes within " + timeout);
            }
            s.setSoTimeout((int) left);
            int r;
            try {
                r = is.read(out, got, n - got);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (r < 0) {
                fail("end of stream after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return out;
    }

    /** Nothing at all (no byte, no end) arrives for {@code d}. */
    private static void assertNothingWithin(Socket s, Duration d) throws IOException {
        s.setSoTimeout((int) d.toMillis());
        int r;
        try {
            r = s.getInputStream().read();
        } catch (SocketTimeoutException e) {
            return;
        }
        fail(r < 0 ? "connection ended" : "a byte arrived: " + r);
    }

    /** Reads one byte; -1 at the end of the stream. */
    private static int readOrEnd(Socket s, Duration timeout) throws IOException {
        s.setSoTimeout((int) timeout.toMillis());
        return s.getInputStream().read();
    }

    /** The connection ends (read sees -1) or is reset (read throws) within the deadline. */
    private static void assertClosedOrReset(Socket s) throws IOException {
        s.setSoTimeout((int) DEADLINE.toMillis());
        try {
            int r = s.getInputStream().read();
            assertEquals(-1, r, "connection still delivers data");
        } catch (SocketTimeoutException e) {
            fail("connection neither closed nor reset within " + DEADLINE);
        } catch (IOException expected) {
            // reset
        }
    }

    private static void assertAtLeast(Duration min, long startNanos) {
        long took = System.nanoTime() - startNanos;
        assertTrue(took >= min.toNanos(), "took " + Duration.ofNanos(took).toMillis() + " ms, expected at least "
                + min.toMillis() + " ms");
    }

    private AtomicReference<Throwable> writeInBackground(Socket s, byte[] data) {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                OutputStream os = s.getOutputStream();
                for (int off = 0; off < data.length; off += 8192) {
                    os.write(data, off, Math.min(8192, data.length - off));
                }
                os.flush();
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "writer");
        threads.add(t);
        t.start();
        return failed;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Echoes every byte back; closes a connection when its client has finished sending. */
    private static final class Echo implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong received = new AtomicLong();
        final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        final List<Thread> threads = new ArrayList<>();
        final Thread acceptor;

        Echo() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            acceptor = new Thread(this::acceptLoop, "echo-accept");
            acceptor.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        int open() {
            return sockets.size();
        }

        private void acceptLoop() {
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                sockets.add(s);
                Thread t = new Thread(() -> echo(s), "echo");
                synchronized (threads) {
                    threads.add(t);
                }
                t.start();
            }
        }

        private void echo(Socket s) {
            byte[] buf = new byte[64 * 1024];
            try (s) {
                InputStream is = s.getInputStream();
                OutputStream os = s.getOutputStream();
                int n;
                while ((n = is.read(buf)) >= 0) {
                    received.addAndGet(n);
                    os.write(buf, 0, n);
                    os.flush();
                }
            } catch (IOException e) {
                // reset: done
            } finally {
                sockets.remove(s);
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(5000);
            for (Socket s : sockets) {
                s.close();
            }
            List<Thread> ts;
            synchronized (threads) {
                ts = List.copyOf(threads);
            }
            for (Thread t : ts) {
                t.join(5000);
            }
        }
    }
}
