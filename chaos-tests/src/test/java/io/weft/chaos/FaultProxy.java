package io.weft.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A fault-injecting TCP proxy in front of one node's port: every peer dials the proxy, which forwards
 * to the node. Faults are chosen per connection by the address it comes from (in the harness every
 * node has a loopback address of its own, so the address names the peer) and apply to connections
 * already open as well as new ones: added latency and jitter, a bandwidth limit, black-holing
 * (bytes are neither read nor forwarded, so the sender's TCP stalls as behind a dead network), one-way
 * cuts, and resets (RST on every open connection; new ones are reset on accept while it lasts).
 *
 * <p>Between reader and writer each direction holds at most {@link #BUFFER_BYTES}: a slowed link
 * pushes back on the sender through TCP instead of buffering here without bound.
 */
final class FaultProxy implements AutoCloseable {
    static final int BUFFER_BYTES = 256 * 1024;

    /** Faults of one direction of a connection. */
    record Direction(long latencyMillis, long jitterMillis, long bytesPerSecond, boolean blocked) {
        static final Direction CLEAN = new Direction(0, 0, 0, false);
        static final Direction BLOCKED = new Direction(0, 0, 0, true);

        static Direction slow(long latencyMillis, long jitterMillis, long bytesPerSecond) {
            return new Direction(latencyMillis, jitterMillis, bytesPerSecond, false);
        }
    }

    /** Faults of a connection: toTarget is what the dialling peer sends, fromTarget the answers. */
    record Faults(Direction toTarget, Direction fromTarget, boolean reset) {
        static final Faults NONE = new Faults(Direction.CLEAN, Direction.CLEAN, false);
        static final Faults BLACK_HOLE = new Faults(Direction.BLOCKED, Direction.BLOCKED, false);
        static final Faults RESET = new Faults(Direction.CLEAN, Direction.CLEAN, true);

        static Faults both(Direction d) {
            return new Faults(d, d, false);
        }
    }

    private final String name;
    private final ServerSocket server;
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private volatile InetSocketAddress target;
    private volatile Function<InetAddress, Faults> rules = a -> Faults.NONE;
    private volatile boolean closed;

    /** Listens on {@code bind} (port 0 = any); forwards once {@link #target} is set. */
    FaultProxy(String name, InetSocketAddress bind) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 128);
        Thread t = new Thread(this::acceptLoop, "proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    int port() {
        return server.getLocalPort();
    }

    /** Where connections go; until set, connections are closed at once (the peer redials). */
    void target(InetSocketAddress t) {
        target = t;
    }

    /** Sets the fault rules (by the connecting address) and applies them to open connections. */
    void faults(Function<InetAddress, Faults> rules) {
        this.rules = rules;
        for (Conn c : conns) {
            c.apply();
        }
    }

    void heal() {
        faults(a -> Faults.NONE);
    }

    long accepted() {
        return accepted.get();
    }

    int open() {
        return conns.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("proxy " + name + ": accept failed: " + e);
                }
                return;
            }
            accepted.incrementAndGet();
            InetSocketAddress t = target;
            Faults f = rules.apply(s.getInetAddress());
            if (t == null || f.reset()) {
                reset(s);
                continue;
            }
            Socket up = new Socket();
            try {
                up.setTcpNoDelay(true);
                s.setTcpNoDelay(true);
                up.connect(t, 2000);
            } catch (IOException e) {
                reset(s);
                closeQuietly(up);
                continue;
            }
            Conn c = new Conn(s, up);
            // counted as open before its faults are set: a faults() call from here on reaches it
            conns.add(c);
            c.apply();
            c.start();
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // closing anyway
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        for (Conn c : conns) {
            c.close(true);
        }
    }

    /** One proxied connection: a pump per direction. */
    private final class Conn {
        final Socket down;
        final Socket up;
        final Pump toTarget;
        final Pump fromTarget;
        final java.util.concurrent.atomic.AtomicInteger halves = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean done;

        Conn(Socket down, Socket up) {
            this.down = down;
            this.up = up;
            this.toTarget = new Pump(this, down, up, "->" + name);
            this.fromTarget = new Pump(this, up, down, "<-" + name);
        }

        void start() {
            toTarget.start();
            fromTarget.start();
        }

        /** Synchronized: of concurrent calls, the one that reads the rules last sets the faults last. */
        synchronized void apply() {
            Faults f = rules.apply(down.getInetAddress());
            if (f.reset()) {
                close(true);
                return;
            }
            toTarget.set(f.toTarget());
            fromTarget.set(f.fromTarget());
        }

        /** One direction reached end of stream; when both have, the connection is over. */
        void halfClosed() {
            if (halves.incrementAndGet() == 2) {
                close(false);
            }
        }

        void close(boolean rst) {
            if (done) {
                return;
            }
            done = true;
            conns.remove(this);
            if (rst) {
                reset(down);
                reset(up);
            } else {
                closeQuietly(down);
                closeQuietly(up);
            }
            toTarget.wake();
            fromTarget.wake();
        }
    }

    /**
     * Copies one direction: the reader queues chunks stamped with their due time (now + latency +
     * jitter, never before the previous chunk: TCP keeps order), the writer sends them when due and no
     * faster than the bandwidth limit. A blocked direction neither reads nor writes.
     */
    private static final class Pump {
        private final Conn conn;
        private final Socket in;
        private final Socket out;
        private final String label;
        private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
        private long queued;
        private long lastDue;
        private volatile Direction dir = Direction.CLEAN;

        record Chunk(byte[] data, long dueNanos) {
        }

        Pump(Conn conn, Socket in, Socket out, String label) {
            this.conn = conn;
            this.in = in;
            this.out = out;
            this.label = label;
        }

        synchronized void set(Direction d) {
            dir = d;
            notifyAll();
        }

        synchronized void wake() {
            notifyAll();
        }

        void start() {
            Thread r = new Thread(this::readLoop, "proxy-read" + label);
            Thread w = new Thread(this::writeLoop, "proxy-write" + label);
            r.setDaemon(true);
            w.setDaemon(true);
            r.start();
            w.start();
        }

        private void readLoop() {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream is = in.getInputStream();
                while (!conn.done) {
                    synchronized (this) {
                        while (!conn.done && (dir.blocked() || queued >= BUFFER_BYTES)) {
                            wait(100);
                        }
                    }
                    if (conn.done) {
                        return;
                    }
                    int n = is.read(buf);
                    if (n < 0) {
                        synchronized (this) {
                            queue.add(new Chunk(null, System.nanoTime()));
                            notifyAll();
                        }
                        return;
                    }
                    Direction d = dir;
                    long delay = d.latencyMillis() + (d.jitterMillis() > 0
                            ? ThreadLocalRandom.current().nextLong(d.jitterMillis() + 1) : 0);
                    synchronized (this) {
                        long due = Math.max(lastDue, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay));
                        lastDue = due;
                        queue.add(new Chunk(Arrays.copyOf(buf, n), due));
                        queued += n;
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                conn.close(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void writeLoop() {
            try {
                OutputStream os = out.getOutputStream();
                long nextSendNanos = System.nanoTime();
                while (!conn.done) {
                    Chunk c;
                    synchronized (this) {
                        while (!conn.done && (queue.isEmpty() || dir.blocked()
                                || queue.peek().dueNanos() > System.nanoTime())) {
                            long waitNanos = queue.isEmpty() || dir.blocked()
                                    ? TimeUnit.MILLISECONDS.toNanos(100)
                                    : Math.max(1, queue.peek().dueNanos() - System.nanoTime());
                            TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
                        }
                        if (conn.done) {
                            return;
                        }
                        c = queue.poll();
                        if (c.data() != null) {
                            queued -= c.data().length;
                        }
                        notifyAll();
                    }
                    if (c.data() == null) {
                        out.shutdownOutput();
                        conn.halfClosed();
                        return;
                    }
                    long rate = dir.bytesPerSecond();
                    if (rate > 0) {
                        // pace: this chunk may start only when the previous ones have drained at the rate
                        long now;
                        while (!conn.done && (now = System.nanoTime()) < nextSendNanos) {
                            synchronized (this) {
                                TimeUnit.NANOSECONDS.timedWait(this, nextSendNanos - now);
                            }
                        }
                        nextSendNanos = Math.max(nextSendNanos, System.nanoTime())
                                + c.data().length * 1_000_000_000L / rate;
                    }
                    os.write(c.data());
                    os.flush();
                }
            } catch (IOException e) {
                conn.close(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
