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
        commonPoolOfFourAtLeast();
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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down");
            broker.close();
            stopped.countDown();
        }, "meshd-shutdown"));
        stopped.await();
    }

    static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * On a machine with two cores or fewer the JDK's common pool has one thread, and then
     * {@code CompletableFuture} runs every async step given no executor on a new thread started for
     * that step. Ratis does that for each entry a follower appends: three replicas in one JVM on this
     * 2-core machine started a thread per Raft entry, and at 5,000 durable events/s their ack p50 was
     * 20 ms instead of 6 once warm. The launchers ({@code bin/meshd}, the Dockerfile, the tests) pass
     * {@code -D...common.parallelism=4}; this gives a node started any other way the same. Runs before
     * anything touches the common pool; an explicit setting wins.
     */
    static void commonPoolOfFourAtLeast() {
        if (System.getProperty(COMMON_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 4) {
            System.setProperty(COMMON_PARALLELISM, "4");
        }
    }
}
