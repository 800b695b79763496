package io.weft.cli;

import io.weft.client.MeshClient;
import io.weft.client.SlowConsumerException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl sub PATTERN}: print matching events as they arrive. */
@Command(name = "sub", mixinStandardHelpOptions = true,
        description = "Subscribe to a pattern and print events as they arrive (Ctrl-C to stop).")
final class SubCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "PATTERN", description = "Pattern: '*' matches one token, '>' the rest, e.g. 'orders.>'.")
    String pattern;

    @Option(names = {"-q", "--queue"}, description = "Join this queue group: each event goes to one member "
            + "(with --filter: to one member whose filter accepts it).")
    String queue;

    @Option(names = "--filter", paramLabel = "EXPR",
            description = "Only events this filter accepts: a CESQL expression over attributes and extensions "
                    + "(e.g. \"amount > 100 AND source LIKE '/eu/%'\"), or a JSON list of CloudEvents Subscriptions "
                    + "API filters (e.g. '[{\"prefix\": {\"type\": \"com.example.\"}}]'). Applied where events are "
                    + "published: rejected events never cross the mesh.")
    String filter;

    @Option(names = "--count", defaultValue = "0", description = "Exit after this many events (0 = run until stopped).")
    int count;

    @Option(names = "--timeout", converter = Cli.DurationConverter.class,
            description = "Exit with status 1 if --count events have not arrived within this time.")
    Duration timeout;

    @Option(names = "--json", description = "Print one CloudEvents JSON object per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CountDownLatch done = new CountDownLatch(count > 0 ? count : Integer.MAX_VALUE);
        AtomicInteger received = new AtomicInteger();
        try (MeshClient client = server.connect(server.builder("meshctl-sub")
                .errorListener(e -> {
                    if (e.code() != io.weft.protocol.ErrorCode.INVALID_FILTER) { // that one is said below, once
                        System.err.println("meshctl sub: " + (e instanceof SlowConsumerException
                                ? "slow consumer: the broker dropped events for us (" + e.getMessage() + ")" : e.getMessage()));
                    }
                }))) {
            io.weft.client.MessageHandler print = m -> {
                if (count > 0 && received.get() >= count) {
                    return;
                }
                received.incrementAndGet();
                System.out.println(json ? Cli.eventJson(m.event()) : Cli.eventHuman(m.topic(), m.event()));
                System.out.flush();
                done.countDown();
            };
            io.weft.client.Subscription s = client.subscribe(pattern, queue, filter == null ? null
                    : filter.stripLeading().startsWith("[") ? io.weft.client.Filter.json(filter)
                    : io.weft.client.Filter.sql(filter), print);
            try {
                s.confirmed().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                System.err.println("meshctl sub: " + e.getCause().getMessage());
                return 1;
            }
            // on stderr, also with --json: scripts wait for this line before they publish
            System.err.println("subscribed to " + pattern + (queue == null ? "" : " in queue group " + queue)
                    + (filter == null ? "" : " where " + filter)
                    + " on " + client.serverInfo().node() + " (" + client.connectedServer() + ")");
            return awaitEvents("meshctl sub", done, received, count, timeout);
        }
    }

    /**
     * Waits for {@code --count} events (or forever without one): 0, or 1 after printing a timeout when
     * {@code timeout} passes first. Shared by {@code sub} and {@code consumer sub}.
     */
    static int awaitEvents(String command, CountDownLatch done, AtomicInteger received, int count, Duration timeout)
            throws InterruptedException {
        if (timeout == null) {
            done.await();
            return 0;
        }
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            System.err.println(command + ": timed out after " + received.get() + " of " + count + " events");
            return 1;
        }
        return 0;
    }
}
