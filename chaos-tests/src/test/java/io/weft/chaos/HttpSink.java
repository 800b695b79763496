package io.weft.chaos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An HTTP endpoint for the rule scenarios: the JDK's HttpServer on 127.0.0.1, on a port chosen once (port
 * 0) and kept, with a cached thread pool. Each path is a receiver that counts the CloudEvent ids
 * ({@code ce-id}) it answered 200 to. The whole sink plays one {@link Phase} at a time.
 */
final class HttpSink implements AutoCloseable {
    private static final String HOST = "127.0.0.1";

    /** What the sink does with a request. */
    enum Phase {
        /** No server: connections to the port are refused (a sink that is down, not one that answers 503). */
        DOWN,
        /** 200 after the sink's slow delay. */
        SLOW,
        /** 200 at once. */
        HEALTHY
    }

    /** The ids one receiver answered 200 to, each with how many times, and the answers per phase. */
    static final class Tally {
        private final Map<String, AtomicInteger> byId = new ConcurrentHashMap<>();
        /** When each id was first taken (nanoTime), to tell how long after it a repeat came. */
        private final Map<String, Long> firstAt = new ConcurrentHashMap<>();
        private final LongAccumulator minRepeatGapMs = new LongAccumulator(Math::min, Long.MAX_VALUE);
        private final LongAccumulator maxRepeatGapMs = new LongAccumulator(Math::max, -1);
        private final Map<Phase, LongAdder> byPhase = new EnumMap<>(Phase.class);
        private final Map<Phase, LongAdder> repeatsByPhase = new EnumMap<>(Phase.class);
        private final LongAdder total = new LongAdder();

        Tally() {
            for (Phase p : Phase.values()) {
                byPhase.put(p, new LongAdder()); // both filled once here, only read afterwards
                repeatsByPhase.put(p, new LongAdder());
            }
        }

        /** Records {@code id}; true when it was already there. */
        boolean record(String id) {
            total.increment();
            return byId.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet() > 1;
        }

        private void record(String id, Phase phase) {
            long now = System.nanoTime();
            Long first = firstAt.putIfAbsent(id, now);
            if (record(id)) {
                repeatsByPhase.get(phase).increment();
                long gapMs = first == null ? 0 : TimeUnit.NANOSECONDS.toMillis(now - first); // null: a twin raced it
                minRepeatGapMs.accumulate(gapMs);
                maxRepeatGapMs.accumulate(gapMs);
            }
            byPhase.get(phase).increment();
        }

        boolean has(String id) {
            return byId.containsKey(id);
        }

        /** Distinct ids taken. */
        long distinct() {
            return byId.size();
        }

        /** Every 200 answered (or event recorded), repeats included. */
        long total() {
            return total.sum();
        }

        /** Ids taken more than once. */
        long duplicates() {
            return byId.values().stream().filter(c -> c.get() > 1).count();
        }

        /** 200s answered while the sink played {@code phase} (attributed to the phase a request arrived in). */
        long answeredIn(Phase phase) {
            return byPhase.get(phase).sum();
        }

        /** 200s answered in {@code phase} to an id answered before. */
        long repeatsIn(Phase phase) {
            return repeatsByPhase.get(phase).sum();
        }

        /**
         * How long after an id's first 200 its repeats came, {@code min..max ms} ({@code -} without repeats):
         * about the ack wait for a durable rule's redelivery, a fraction of a second for a retry.
         */
        String repeatGaps() {
            long max = maxRepeatGapMs.get();
            return max < 0 ? "-" : minRepeatGapMs.get() + ".." + max + " ms";
        }

        /** Answers and repeats per phase, for reports: {@code DOWN 0/0 SLOW 700/3 HEALTHY 8000/20}. */
        String byPhase() {
            StringBuilder b = new StringBuilder();
            for (Phase p : Phase.values()) {
                b.append(b.length() == 0 ? "" : " ").append(p).append(' ').append(answeredIn(p)).append('/')
                        .append(repeatsIn(p));
            }
            return b.toString();
        }
    }

    private final Duration slowDelay;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chaos-sink");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Tally> receivers = new ConcurrentHashMap<>();
    private final int port;
    private volatile Phase phase = Phase.HEALTHY;
    /** The running server; null while {@link Phase#DOWN}. Guarded by this. */
    private HttpServer server;

    private HttpSink(Duration slowDelay) throws IOException {
        this.slowDelay = slowDelay;
        this.server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
        this.port = server.getAddress().getPort();
        serve(server);
    }

    /** A healthy sink on a free port of 127.0.0.1; in {@link Phase#SLOW} every answer waits {@code slowDelay}. */
    static HttpSink start(Duration slowDelay) throws IOException {
        return new HttpSink(slowDelay);
    }

    /** The receiver at {@code path} (made on first use): what was delivered there. */
    Tally receiver(String path) {
        return receivers.computeIfAbsent(path, p -> new Tally());
    }

    String url(String path) {
        return "http://" + HOST + ":" + port + path;
    }

    /**
     * Switches to {@code next}. Going down stops the server (open connections are closed, the port refuses);
     * coming back binds a new server to the same port (waiting, with a deadline, while the port is not free).
     */
    synchronized void phase(Phase next) {
        if (next == Phase.DOWN) {
            phase = next;
            if (server != null) {
                server.stop(0);
                server = null;
            }
            return;
        }
        phase = next;
        if (server == null) {
            HttpServer[] bound = new HttpServer[1];
            Await.until(Duration.ofSeconds(10), () -> (bound[0] = bind()) != null,
                    () -> "port " + port + " of the sink is taken");
            server = bound[0];
            serve(server);
        }
    }

    private HttpServer bind() {
        try {
            return HttpServer.create(new InetSocketAddress(HOST, port), 0);
        } catch (BindException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot bind the sink to " + HOST + ":" + port + ": " + e, e);
        }
    }

    private void serve(HttpServer s) {
        s.setExecutor(executor);
        s.createContext("/", this::handle);
        s.start();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            ex.getRequestBody().readAllBytes();
            Phase p = phase;
            if (p == Phase.SLOW) {
                LockSupport.parkNanos(slowDelay.toNanos()); // the slowness this sink plays
            }
            Tally t = receivers.get(ex.getRequestURI().getPath());
            String id = ex.getRequestHeaders().getFirst("ce-id");
            if (t == null || id == null) {
                ex.sendResponseHeaders(400, -1); // not an event for a receiver: given up at once, and visible
                return;
            }
            ex.sendResponseHeaders(200, -1);
            t.record(id, p); // counted once answered: a request cut before its answer is not a delivery
        } finally {
            ex.close();
        }
    }

    /** Receivers by path, for failure messages. */
    List<String> describe() {
        List<String> out = new ArrayList<>();
        receivers.forEach((path, t) -> out.add(path + ": " + t.distinct() + " ids, " + t.total() + " answers"));
        return out;
    }

    /** Ids of {@code ids} that neither tally holds (at most {@code max} of them are returned). */
    static List<String> missing(Collection<String> ids, Tally a, Tally b, int max) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            if (!a.has(id) && !b.has(id) && out.size() < max) {
                out.add(id);
            }
        }
        return out;
    }

    /** How many of {@code ids} neither tally holds. */
    static long countMissing(Collection<String> ids, Tally a, Tally b) {
        long n = 0;
        for (String id : ids) {
            if (!a.has(id) && !b.has(id)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        executor.shutdownNow();
    }
}
