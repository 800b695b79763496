package io.weft.broker;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code bin/meshd}: parses flags and environment, starts a node, stops it on SIGTERM/SIGINT. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        commonPoolOfFour();
        oneMegabyteBufferChunks();
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Netty samples buffers for leak tracking by default; a sampled socket read buffer makes
            // every frame sliced from it record a stack trace, ~5% of a busy node's CPU (profiled on
            // the cross-site benchmark). Tests run nodes with -Dio.netty.leakDetection.level=simple.
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        MeshdConfig config = new MeshdConfig();
        CommandLine cl = new CommandLine(config);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("meshd: " + e.getMessage());
            cl.usage(System.err);
            System.exit(2);
            return;
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(System.out);
            return;
        }
        if (cl.isVersionHelpRequested()) {
            cl.printVersionHelp(System.out);
            return;
        }
        try {
            config.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("meshd: " + e.getMessage());
            System.exit(2);
            return;
        }
        Broker broker;
        try {
            broker = Broker.start(config);
        } catch (Exception e) {
            System.err.println("meshd: cannot start: " + e);
            System.exit(1);
            return;
        }
        reloadOnHangUp(broker);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down");
            broker.close();
            stopped.countDown();
        }, "meshd-shutdown"));
        stopped.await();
    }

    /** SIGHUP reloads the TLS files and the security config (as a file change or POST /v1/admin/reload does). */
    @SuppressWarnings("restriction")
    private static void reloadOnHangUp(Broker broker) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                Thread t = new Thread(() -> broker.reload("SIGHUP"), "meshd-reload");
                t.setDaemon(true);
                t.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn("no SIGHUP reload on this platform ({}): use POST /v1/admin/reload", e.getMessage());
        }
    }

    static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * A common pool of four threads unless told otherwise. On a machine with two cores or fewer the
     * JDK's default is one thread, and then {@code CompletableFuture} runs every async step given no
     * executor on a new thread started for that step. Ratis does that for each entry a follower
     * appends: three replicas in one JVM on a 2-core machine started a thread per Raft entry, and at
     * 5,000 durable events/s their ack p50 was 20 ms instead of 6 once warm. Set here rather than by
     * each launcher, so every way of starting a node gets it and {@code MESHD_JAVA_OPTS} can still
     * override it; must run before anything touches the common pool.
     */
    static void commonPoolOfFour() {
        defaultProperty(COMMON_PARALLELISM, "4");
    }

    static final String NETTY_MAX_ORDER = "io.netty.allocator.maxOrder";

    /**
     * Netty's pooled buffers in chunks of 1 MiB (8 KiB pages, order 7) instead of 4 MiB, unless told
     * otherwise. Every event loop that allocates binds to an arena that holds at least one chunk, and
     * a direct chunk is zeroed, so all of it is resident: an idle node held about 12 MB of chunks, and
     * its RSS went from 128-136 MB to 118-125 MB with this (demo mesh, after start). A buffer larger
     * than a chunk (an event near the 1 MiB default payload limit) is allocated on its own, unpooled.
     * Must run before Netty's allocator is first used.
     */
    static void oneMegabyteBufferChunks() {
        defaultProperty(NETTY_MAX_ORDER, "7");
    }

    /** Sets system property {@code name} unless the command line (MESHD_JAVA_OPTS) gave it. */
    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }
}
