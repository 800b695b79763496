package io.weft.client;

import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Chooses the broker to connect to. Every measurement is a real connection attempt (TCP connect, then
 * HELLO until the broker's INFO): attempts to the best-known candidates run concurrently, the time to
 * INFO is the round trip, each INFO's node list adds candidates (tried in a further round), and
 * {@link BrokerSelector} ranks the outcome. The caller keeps the best connection and closes every other
 * one with {@link Pick#closeAllBut}, so the chosen broker costs no extra connection.
 *
 * <p>Bounds: at most {@link #MAX_ROUNDS} rounds of at most {@link #MAX_ATTEMPTS} attempts (and
 * {@link #MAX_ATTEMPTS} in all once one broker answered). A round waits for every answer up to the
 * probe timeout; past it, only while no broker at all has answered, up to the connect timeout. An
 * attempt that has not answered when its round ends is closed and counted as failed.
 *
 * @param <A> the attempt type of the caller (the client's connection attempts, or fakes in tests)
 */
final class BrokerConnector<A extends BrokerConnector.Attempt> {
    static final int MAX_ATTEMPTS = 16;
    static final int MAX_ROUNDS = 3;

    /** One connection attempt, started by the connector's factory. */
    interface Attempt {
        /** Completes with the broker's INFO, or exceptionally with a message fit for users. */
        CompletableFuture<Info> info();

        /** Nanoseconds from the start of the attempt to INFO; valid once {@link #info()} completed normally. */
        long rttNanos();

        /** Closes the connection; idempotent, safe at any time. */
        void close();
    }

    private final Function<String, A> starter;
    private final BrokerSelector selector;
    private final long probeTimeoutNanos;
    private final long connectTimeoutNanos;

    /**
     * @param starter             starts an attempt to an address {@code HOST:PORT}; never blocks, never throws
     *                            for a bad address (the attempt fails instead)
     * @param probeTimeoutNanos   how long a round waits for slower candidates once one answered
     * @param connectTimeoutNanos how long a round waits when none has answered
     */
    BrokerConnector(Function<String, A> starter, BrokerSelector selector, long probeTimeoutNanos,
                    long connectTimeoutNanos) {
        if (probeTimeoutNanos <= 0 || connectTimeoutNanos < probeTimeoutNanos) {
            throw new IllegalArgumentException("need 0 < probe timeout <= connect timeout");
        }
        this.starter = starter;
        this.selector = selector;
        this.probeTimeoutNanos = probeTimeoutNanos;
        this.connectTimeoutNanos = connectTimeoutNanos;
    }

    /**
     * Tries the candidates made of {@code servers} and (when {@code discover}) the {@code nodes} known
     * so far plus those learned on the way, except {@code avoid} (may be null).
     */
    Pick<A> pick(List<String> servers, List<NodeAddress> nodes, boolean discover, String avoid) {
        Map<String, A> attempts = new LinkedHashMap<>();
        Map<String, BrokerCandidate> outcomes = new HashMap<>();
        Map<String, NodeAddress> heard = new LinkedHashMap<>();
        List<NodeAddress> known = discover ? List.copyOf(nodes) : List.of();
        String avoidKey = avoid == null ? null : BrokerSelector.key(avoid);
        try {
            for (int round = 0; round < MAX_ROUNDS; round++) {
                boolean answered = outcomes.values().stream().anyMatch(BrokerCandidate::reachable);
                int limit = answered ? MAX_ATTEMPTS - attempts.size() : MAX_ATTEMPTS;
                List<BrokerCandidate> batch = selector.rank(BrokerSelector.merge(servers, known)).stream()
                        .filter(c -> !attempts.containsKey(BrokerSelector.key(c.address()))
                                && !BrokerSelector.key(c.address()).equals(avoidKey))
                        .limit(Math.max(0, limit))
                        .toList();
                if (batch.isEmpty()) {
                    break;
                }
                Map<BrokerCandidate, A> started = new LinkedHashMap<>();
                for (BrokerCandidate c : batch) {
                    A a = starter.apply(c.address());
                    attempts.put(BrokerSelector.key(c.address()), a);
                    started.put(c, a);
                }
                await(started.values(), answered);
                started.forEach((c, a) -> {
                    BrokerCandidate o = outcome(c, a);
                    outcomes.put(BrokerSelector.key(c.address()), o);
                    if (o.reachable() && discover) {
                        learn(a.info().join(), heard);
                    }
                });
                if (!heard.isEmpty()) {
                    known = List.copyOf(heard.values());
                }
            }
            return new Pick<>(rank(servers, known, outcomes, avoidKey), attempts, known);
        } catch (RuntimeException e) {
            attempts.values().forEach(Attempt::close);
            throw e;
        }
    }

    private List<BrokerCandidate> rank(List<String> servers, List<NodeAddress> known,
                                       Map<String, BrokerCandidate> outcomes, String avoidKey) {
        Map<String, BrokerCandidate> all = new LinkedHashMap<>();
        for (BrokerCandidate c : BrokerSelector.merge(servers, known)) {
            String k = BrokerSelector.key(c.address());
            BrokerCandidate o = outcomes.get(k);
            all.put(k, o != null ? o : k.equals(avoidKey) ? c.failed("not retried first: connection just lost") : c);
        }
        outcomes.forEach(all::putIfAbsent);
        return List.copyOf(selector.rank(all.values()));
    }

    private static void learn(Info info, Map<String, NodeAddress> heard) {
        for (NodeAddress n : info.nodes()) {
            if (heard.size() >= BrokerSelector.MAX_CANDIDATES) {
                return;
            }
            if (n.clientAddress() != null && !n.clientAddress().isBlank()) {
                heard.putIfAbsent(BrokerSelector.key(n.clientAddress()), n);
            }
        }
    }

    private BrokerCandidate outcome(BrokerCandidate c, A a) {
        CompletableFuture<Info> f = a.info();
        if (!f.isDone()) {
            a.close();
            return c.failed("no INFO within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos) + " ms, or slower than "
                    + TimeUnit.NANOSECONDS.toMillis(probeTimeoutNanos) + " ms while others answered");
        }
        try {
            return c.measured(f.join(), a.rttNanos());
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            a.close();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return c.failed(cause.getMessage() != null ? cause.getMessage() : cause.toString());
        }
    }

    /** Waits for the batch: all of it up to the probe timeout, then for a first answer up to the connect timeout. */
    private void await(Collection<A> batch, boolean answeredBefore) {
        long start = System.nanoTime();
        List<CompletableFuture<Info>> fs = batch.stream().map(Attempt::info).toList();
        CompletableFuture<Void> all = CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0]));
        if (waitFor(all, probeTimeoutNanos) || answeredBefore) {
            return;
        }
        long deadline = start + connectTimeoutNanos;
        while (!all.isDone() && fs.stream().noneMatch(f -> f.isDone() && !f.isCompletedExceptionally())) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            waitFor(CompletableFuture.anyOf(fs.stream().filter(f -> !f.isDone()).toArray(CompletableFuture<?>[]::new)), left);
        }
    }

    private static boolean waitFor(CompletableFuture<?> f, long nanos) {
        try {
            f.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeshException("interrupted while connecting", e);
        }
    }

    /**
     * What {@link #pick} found: every candidate ranked best first, the attempts that answered in that
     * order, and the node list learned. The caller must end with {@link #closeAllBut}.
     */
    static final class Pick<A extends Attempt> {
        final List<BrokerCandidate> ranked;
        final List<NodeAddress> nodes;
        private final Map<String, A> attempts;

        Pick(List<BrokerCandidate> ranked, Map<String, A> attempts, List<NodeAddress> nodes) {
            this.ranked = ranked;
            this.attempts = attempts;
            this.nodes = nodes;
        }

        /** The attempts that answered, best first. */
        List<A> answered() {
            List<A> out = new ArrayList<>();
            for (BrokerCandidate c : ranked) {
                A a = attempts.get(BrokerSelector.key(c.address()));
                if (c.reachable() && a != null) {
                    out.add(a);
                }
            }
            return out;
        }

        /** Closes every attempt except {@code keep} (null: all of them). */
        void closeAllBut(A keep) {
            for (A a : attempts.values()) {
                if (a != keep) {
                    a.close();
                }
            }
        }

        /**
         * The protocol code every failed candidate failed with (e.g. AUTH_FAILED or TLS_REQUIRED from all of
         * them), or null when they differ or some failed without one: the caller's exception carries it.
         */
        io.weft.protocol.ErrorCode commonCode() {
            io.weft.protocol.ErrorCode common = null;
            for (BrokerCandidate c : ranked) {
                if (!c.failed()) {
                    continue;
                }
                A a = attempts.get(BrokerSelector.key(c.address()));
                io.weft.protocol.ErrorCode code = null;
                if (a != null && a.info().isCompletedExceptionally()) {
                    Throwable t = a.info().handle((i, e) -> e).join();
                    t = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                    code = t instanceof MeshException ? ((MeshException) t).code() : null;
                }
                if (code == null || (common != null && common != code)) {
                    return null;
                }
                common = code;
            }
            return common;
        }

        /** Each failed candidate with its error, for an exception message. */
        String failures() {
            List<String> out = new ArrayList<>();
            for (BrokerCandidate c : ranked) {
                if (c.failed()) {
                    out.add(c.address() + ": " + c.error());
                }
            }
            return out.isEmpty() ? "no candidate" : String.join("; ", out);
        }
    }
}
