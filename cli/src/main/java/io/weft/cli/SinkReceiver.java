package io.weft.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * The HTTP receiver of {@code meshctl bench --sink}: the JDK's HttpServer answering every request 204 and
 * counting the deliveries of the current {@link Run} by their {@code ce-id} header (binary content mode, the
 * subscription's default), each index once, with the latency from the send time the bench wrote into the
 * first 8 bytes of the data (the body) to the arrival, on this process's clock. Requests of no run (probes,
 * late warm-up events) are counted in {@link #others()}.
 *
 * <p>Its threads come from a cached pool: the broker has at most the subscription's {@code concurrency}
 * (16 by default) requests in flight, which bounds them.
 */
final class SinkReceiver implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private final String host;
    private final AtomicLong others = new AtomicLong();
    private volatile Run run;

    /**
     * The deliveries of one run: events with ids {@code PREFIX-0 .. PREFIX-(events-1)}. Thread-safe.
     */
    static final class Run {
        final String prefix;
        final long events;
        private final AtomicLongArray seen;
        private final AtomicLong delivered = new AtomicLong();
        private final AtomicLong duplicates = new AtomicLong();
        private final Histogram latency = new SynchronizedHistogram(TimeUnit.SECONDS.toNanos(60), 3);
        private volatile long lastArrivalNanos;

        Run(String idPrefix, long events) {
            if (events < 0 || (events + 63) / 64 > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("events out of range: " + events);
            }
            this.prefix = idPrefix + "-";
            this.events = events;
            this.seen = new AtomicLongArray((int) ((events + 63) / 64));
        }

        /** The id of event {@code i}. */
        String id(long i) {
            return prefix + i;
        }

        /**
         * Counts a delivery of {@code id} arriving at {@code nowNanos} whose data starts with its send time.
         *
         * @return false when the id is not one of this run's
         */
        boolean deliver(String id, byte[] body, long nowNanos) {
            if (id == null || !id.startsWith(prefix)) {
                return false;
            }
            long i;
            try {
                i = Long.parseLong(id.substring(prefix.length()));
            } catch (NumberFormatException e) {
                return false;
            }
            if (i < 0 || i >= events) {
                return false;
            }
            int word = (int) (i >>> 6);
            long bit = 1L << (i & 63);
            long old = seen.getAndAccumulate(word, bit, (a, b) -> a | b);
            if ((old & bit) != 0) {
                duplicates.incrementAndGet();
                return true;
            }
            if (body.length >= 8) {
                long sent = ByteBuffer.wrap(body).getLong(0);
                latency.recordValue(Math.min(Math.max(0, nowNanos - sent), latency.getHighestTrackableValue()));
            }
            lastArrivalNanos = nowNanos;
            delivered.incrementAndGet();
            return true;
        }

        /** Distinct events delivered. */
        long delivered() {
            return delivered.get();
        }

        /** Deliveries of an event already delivered (at-least-once redeliveries). */
        long duplicates() {
            return duplicates.get();
        }

        Histogram latency() {
            return latency;
        }

        /** When the last new event arrived ({@link System#nanoTime()}), 0 before the first. */
        long lastArrivalNanos() {
            return lastArrivalNanos;
        }
    }

    private SinkReceiver(HttpServer server, ExecutorService pool, String host) {
        this.server = server;
        this.pool = pool;
        this.host = host;
    }

    /** Listens on {@code host:port} (0: any free port). */
    static SinkReceiver start(String host, int port) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + host + ":" + port + " for --sink: " + Cli.message(e)
                    + " (--sink-host is an address of this machine)", e);
        }
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-sink");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        SinkReceiver rx = new SinkReceiver(server, pool, host);
        server.createContext("/", rx::handle);
        server.start();
        return rx;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            long now = System.nanoTime();
            Run r = run;
            if (r == null || !r.deliver(ex.getRequestHeaders().getFirst("ce-id"), body, now)) {
                others.incrementAndGet();
            }
            ex.sendResponseHeaders(204, -1);
        }
    }

    /** Counts the deliveries of {@code r} from now on (and no longer those of the run before). */
    void begin(Run r) {
        run = r;
    }

    /** Requests that belonged to no run: probes, and events of an earlier run that came late. */
    long others() {
        return others.get();
    }

    /** The URL the subscription posts to. */
    String url() {
        return url(host, server.getAddress().getPort());
    }

    static String url(String host, int port) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port + "/bench";
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
