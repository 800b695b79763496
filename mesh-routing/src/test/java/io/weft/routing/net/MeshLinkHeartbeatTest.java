package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.weft.protocol.Transports;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats on a real loopback link between two {@link MeshNetwork}s: an idle link outlives many
 * silence timeouts, pinged by its dialling side only.
 */
class MeshLinkHeartbeatTest {
    private static final long INTERVAL_MS = 50;
    private static final long TIMEOUT_MS = 400;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, Transports.ioHandlerFactory());
    private final List<String> down = new CopyOnWriteArrayList<>();
    private final List<MeshNetwork> nets = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        nets.forEach(MeshNetwork::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private MeshNetwork node(String name) throws InterruptedException {
        MeshNetwork.Config config = new MeshNetwork.Config(3000, INTERVAL_MS, TIMEOUT_MS, 100, 3000, 1 << 20, 1 << 20);
        NodeInfo[] self = {new NodeInfo(name, "s", 1, "", "", "", "")};
        MeshNetwork net = new MeshNetwork(self[0], config, group, new QuietListener() {
            @Override
            public void linkDown(MeshLink link, String reason) {
                down.add(name + ": " + link + ": " + reason);
            }
        }, List::of, () -> true);
        nets.add(net);
        int port = net.bind("127.0.0.1", 0);
        net.updateSelf(new NodeInfo(name, "s", 1, "127.0.0.1:" + port, "", "", ""));
        return net;
    }

    private void await(BooleanSupplier condition, String what) throws Exception {
        await(group, condition, () -> what);
    }

    /** Waits, up to 20 s, until {@code condition} holds; it is checked every 5 ms on one of {@code group}'s loops. */
    static void await(EventLoopGroup group, BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws Exception {
        CompletableFuture<Void> met = new CompletableFuture<>();
        ScheduledFuture<?> check = group.next().scheduleAtFixedRate(() -> {
            if (condition.getAsBoolean()) {
                met.complete(null);
            }
        }, 0, 5, TimeUnit.MILLISECONDS);
        try {
            met.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting until " + what.get());
        } finally {
            check.cancel(false);
        }
    }

    @Test
    void anIdleLinkOutlivesManyTimeoutsAndOnlyTheDiallerPings() throws Exception {
        MeshNetwork a = node("a");
        MeshNetwork b = node("b");
        a.ensureLink(b.self(), LinkKind.ROUTE);
        await(() -> a.linkTo("b") != null && b.links().stream().anyMatch(l -> l.peer().name().equals("a")), "the link is up");
        MeshLink out = a.linkTo("b");
        MeshLink in = b.links().stream().filter(l -> l.peer().name().equals("a")).findFirst().orElseThrow();
        // 60 answered pings: 60 intervals, seven silence timeouts with nothing but heartbeats
        await(() -> out.pongsReceived() >= 60 || !down.isEmpty(), "60 pings were answered");
        assertEquals(List.of(), down, "an idle link was closed");
        assertEquals(out, a.linkTo("b"), "the link was replaced");
        // the accepting side pings only when a ping of the dialler is an interval late (a busy
        // machine); before, both sides pinged every interval
        assertTrue(in.pongsReceived() <= out.pongsReceived() / 4, "the accepting side pinged "
                + in.pongsReceived() + " times while the dialling side pinged " + out.pongsReceived() + " times");
    }
}
