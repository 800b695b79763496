package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.weft.protocol.Transports;
import io.weft.routing.topology.Forwarding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TREE_EVENT frames over a real loopback link: a receiver that reuses the header of the previous frame
 * when the bytes are the same still hands on exactly the header each frame carries.
 */
class TreeEventLinkTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, Transports.ioHandlerFactory());
    private final List<MeshNetwork> nets = new CopyOnWriteArrayList<>();
    private final List<TreeHop> hops = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> replies = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        nets.forEach(MeshNetwork::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    private MeshNetwork node(String name, String site) throws InterruptedException {
        MeshNetwork.Config config = new MeshNetwork.Config(3000, 1000, 10_000, 100, 3000, 1 << 20, 1 << 20);
        MeshNetwork net = new MeshNetwork(new NodeInfo(name, site, 1, "", "", "", ""), config, group,
                new QuietListener() {
                    @Override
                    public void treeEvent(MeshLink link, TreeHop hop, String replyTo, ByteBuf pubBody) {
                        hops.add(hop);
                        replies.add(String.valueOf(replyTo));
                        bodies.add(pubBody.toString(StandardCharsets.UTF_8));
                    }
                }, List::of, () -> true);
        nets.add(net);
        int port = net.bind("127.0.0.1", 0);
        net.updateSelf(new NodeInfo(name, site, 1, "127.0.0.1:" + port, "", "", ""));
        return net;
    }

    @Test
    void everyFrameIsReadWithItsOwnHeader() throws Exception {
        MeshNetwork a = node("a1", "a");
        MeshNetwork b = node("b1", "b");
        a.ensureLink(b.self(), LinkKind.GATEWAY);
        MeshLinkHeartbeatTest.await(group, () -> a.linkTo("b1") != null
                && b.links().stream().anyMatch(l -> l.peer().name().equals("a1")), () -> "the link is up");
        MeshLink link = a.linkTo("b1");
        Forwarding.Header h1 = new Forwarding.Header("a", 42L, 1);
        List<TreeHop> sent = new ArrayList<>();
        List<String> sentReplies = new ArrayList<>();
        TreeHop plain = new TreeHop(h1, null, List.of());
        TreeHop[] kinds = {
            plain,
            plain,
            new TreeHop(new Forwarding.Header("a", 42L, 2), null, List.of()), // another depth
            new TreeHop(new Forwarding.Header("a", 43L, 1), null, List.of()), // another tree
            new TreeHop(new Forwarding.Header("ab", 42L, 1), null, List.of()), // a longer origin
            new TreeHop(h1, "c", List.of()), // a hand-off: its flag differs
            new TreeHop(h1, null, List.of(new TreeHop.SiteGroup("c", "workers"))),
            new TreeHop(h1, null, List.of(new TreeHop.SiteGroup("c", "workers"))),
            new TreeHop(h1, null, List.of(new TreeHop.SiteGroup("c", "workerz"))),
            plain,
        };
        for (int i = 0; i < kinds.length; i++) {
            String reply = i % 3 == 0 ? "_weft.inbox.x." + i : null;
            ByteBuf body = Unpooled.copiedBuffer("event-" + i, StandardCharsets.UTF_8);
            link.sendTreeEvent(kinds[i], reply, body);
            body.release();
            sent.add(kinds[i]);
            sentReplies.add(String.valueOf(reply));
        }
        MeshLinkHeartbeatTest.await(group, () -> hops.size() >= kinds.length, () -> hops.size() + " of " + kinds.length + " received");
        assertEquals(sent, hops);
        assertEquals(sentReplies, replies);
        for (int i = 0; i < kinds.length; i++) {
            assertEquals("event-" + i, bodies.get(i));
        }
        assertSame(hops.get(0), hops.get(1), "the same header bytes twice (with and without a reply topic): read once");
        assertSame(hops.get(6), hops.get(7));
    }
}
