package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ProtocolException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Several engines joined by perfect links (messages delivered in order, through the codec), driven by hand. */
class TopologyEngineTest {
    private static final long GOSSIP = 100;

    private final Map<String, TopologyEngine> engines = new TreeMap<>();
    private final Deque<Object[]> wire = new ArrayDeque<>();
    private long now = 1_000_000;
    /** Set to drop every message sent to this node (a lost flood). */
    private String deaf;

    private TopologyEngine node(String name, String site) {
        return node(name, site, TopologyEngine.Config.defaults("127.0.0.1:1", GOSSIP));
    }

    private TopologyEngine node(String name, String site, TopologyEngine.Config config) {
        TopologyEngine e = new TopologyEngine(name, site, 7, config, new SplittableRandom(name.hashCode()), now);
        engines.put(name, e);
        return e;
    }

    private void link(String a, String b) {
        engines.get(a).linkUp(b, engines.get(b).site(), now);
        engines.get(b).linkUp(a, engines.get(a).site(), now);
    }

    private void cut(String a, String b) {
        engines.get(a).linkDown(b, now);
        engines.get(b).linkDown(a, now);
    }

    /** Delivers every queued message (and what they cause) through the codec; returns how many. */
    private int settle() {
        int delivered = 0;
        collect();
        while (!wire.isEmpty()) {
            Object[] m = wire.poll();
            String from = (String) m[0];
            TopologyEngine.Outgoing o = (TopologyEngine.Outgoing) m[1];
            TopologyEngine to = engines.get(o.toNode());
            if (to == null || o.toNode().equals(deaf) || !to.neighbours().containsKey(from)) {
                continue;
            }
            ByteBuf b = Unpooled.buffer();
            TopologyCodec.encode(o.message(), b);
            to.onMessage(from, TopologyCodec.decode(b), now);
            delivered++;
            collect();
        }
        return delivered;
    }

    private void collect() {
        for (TopologyEngine e : engines.values()) {
            for (TopologyEngine.Outgoing o : e.drainOutbox()) {
                wire.add(new Object[] {e.node(), o});
            }
        }
    }

    private void tickAll(long ms) {
        now += ms;
        engines.values().forEach(e -> e.tick(now));
        settle();
    }

    private void assertAgreement() {
        long digest = engines.values().iterator().next().lsdb().digest();
        SiteGraph graph = engines.values().iterator().next().graph();
        for (TopologyEngine e : engines.values()) {
            assertEquals(digest, e.lsdb().digest(), e.node() + "'s database differs");
            assertEquals(graph, e.graph(), e.node() + "'s graph differs");
        }
    }

    @Test
    void aChainOfSitesAgreesOnItsGraphAndTrees() {
        node("edge-1", "edge", new TopologyEngine.Config(30_000, 120_000, GOSSIP, true, false, "", Map.of()));
        node("onprem-1", "onprem");
        node("onprem-2", "onprem");
        node("cloud-1", "cloud");
        link("onprem-1", "onprem-2");
        link("edge-1", "onprem-1");
        link("onprem-2", "cloud-1");
        settle();
        assertAgreement();
        SiteGraph g = engines.get("cloud-1").graph();
        assertEquals(List.of("cloud", "edge", "onprem"), g.sites());
        assertTrue(g.isNoTransit("edge"));
        SiteTree fromEdge = engines.get("cloud-1").trees().current("edge");
        assertEquals("onprem", fromEdge.parent("cloud"));
        assertEquals(2, fromEdge.depth("cloud"));
        SiteTree fromCloud = engines.get("edge-1").trees().current("cloud");
        assertEquals(List.of(), fromCloud.children("edge"), "an edge is a leaf");
        assertEquals(List.of("onprem-2"), engines.get("onprem-1").lsdb().holders("onprem", "cloud"));
    }

    @Test
    void aCutLinkLeavesTheGraphOnEveryNodeAndAnAlternatePathTakesOver() {
        node("a-1", "a");
        node("b-1", "b");
        node("c-1", "c");
        link("a-1", "b-1");
        link("b-1", "c-1");
        link("a-1", "c-1");
        settle();
        long before = engines.get("b-1").trees().current("a").fingerprint();
        assertEquals("a", engines.get("b-1").trees().current("a").parent("c"));

        cut("a-1", "c-1");
        settle();
        assertAgreement();
        SiteTree after = engines.get("c-1").trees().current("a");
        assertEquals("b", after.parent("c"), "a's events reach c through b now");
        assertTrue(after.fingerprint() != before);
        assertNotNull(engines.get("c-1").trees().find("a", before), "the old tree is kept for events in flight");
    }

    @Test
    void antiEntropyRepairsALostFloodAndATombstoneRemovesADepartedNode() {
        node("a-1", "a");
        node("a-2", "a");
        node("b-1", "b");
        link("a-1", "a-2");
        link("a-2", "b-1");
        settle();
        deaf = "a-1";
        node("c-1", "c");
        link("b-1", "c-1");
        settle(); // a-1 heard nothing of c-1 nor of b-1's new link
        deaf = null;
        assertFalse(engines.get("a-1").graph().contains("c"));
        tickAll(GOSSIP);
        tickAll(GOSSIP);
        assertAgreement();
        assertTrue(engines.get("a-1").graph().contains("c"));

        // c-1 dies without a word: b-1 notices the link, a peer floods c-1's tombstone
        engines.remove("c-1");
        engines.get("b-1").linkDown("c-1", now);
        engines.get("b-1").nodeLeft("c-1", "c", 7, now);
        settle();
        assertAgreement();
        assertFalse(engines.get("a-1").graph().contains("c"));
    }

    @Test
    void recordsExpireWithoutRefreshAndTheOwnRecordIsRefreshedWellBefore() {
        node("a-1", "a");
        node("b-1", "b");
        link("a-1", "b-1");
        settle();
        long seq = engines.get("a-1").own().seq();
        for (int i = 0; i < 40; i++) {
            tickAll(5_000); // 200 s: past MaxAge, but refreshed every 30 s
        }
        assertTrue(engines.get("a-1").own().seq() >= seq + 6);
        assertTrue(engines.get("b-1").graph().contains("a"), "a refreshed record never expires");

        engines.remove("a-1"); // gone, and nobody floods a tombstone
        engines.get("b-1").linkDown("a-1", now);
        for (int i = 0; i < 30; i++) {
            tickAll(5_000);
        }
        assertFalse(engines.get("b-1").graph().contains("a"));
        assertEquals(1, engines.get("b-1").lsdb().size(), "only its own record is left");
    }

    @Test
    void aNodeJumpsPastAnOlderCopyOfItsOwnRecord() {
        TopologyEngine a = node("a-1", "a");
        node("b-1", "b");
        link("a-1", "b-1");
        settle();
        LinkState bigger = new LinkState("a-1", "a", 7, a.own().seq() + 50, false, true, false, "", List.of());
        a.onMessage("b-1", new TopologyMessage.Record(bigger), now);
        assertTrue(a.own().seq() > bigger.seq());
        settle();
        assertEquals(a.own(), engines.get("b-1").lsdb().get("a-1"));
    }

    @Test
    void codecRoundTripsAndRefusesMalformedInput() {
        List<TopologyMessage> all = List.of(
                new TopologyMessage.Record(new LinkState("n1", "s1", 3, 9, true, false, false, "h:1",
                        List.of(new LinkState.Link("s2", "n2", 65535), new LinkState.Link("s3", "n3", 1)))),
                new TopologyMessage.Record(LinkState.tombstone("n1", "s1", 3)),
                new TopologyMessage.Digest(-5, true),
                new TopologyMessage.Summary(List.of(new LinkState.Version("n1", 1, 2), new LinkState.Version("n2", 0, 0))),
                new TopologyMessage.Pull(List.of("n1", "n\u00e9")));
        for (TopologyMessage m : all) {
            ByteBuf b = Unpooled.buffer();
            TopologyCodec.encode(m, b);
            assertTrue(TopologyCodec.isTopologyType(b.getByte(0)));
            assertEquals(m, TopologyCodec.decode(b));
        }
        // the layout of a record is pinned: nodes of other versions read it
        ByteBuf b = Unpooled.buffer();
        TopologyCodec.encode(new TopologyMessage.Record(new LinkState("n", "s", 1, 2, false, true, false, "",
                List.of(new LinkState.Link("t", "m", 3)))), b);
        byte[] bytes = new byte[b.readableBytes()];
        b.getBytes(0, bytes);
        assertEquals("50" + "0001" + "6e" + "0001" + "73" + "0000000000000001" + "0000000000000002" + "02" + "0000"
                + "0001" + "0001" + "74" + "0001" + "6d" + "0003", java.util.HexFormat.of().formatHex(bytes));

        assertThrows(ProtocolException.class, () -> TopologyCodec.decode(Unpooled.wrappedBuffer(new byte[] {0x51, 0, 0, 0, 0,
                0, 0, 0, 1, 2})), "unknown flag bit");
        assertThrows(ProtocolException.class, () -> TopologyCodec.decode(Unpooled.wrappedBuffer(new byte[] {0x53, (byte) 0xff,
                (byte) 0xff, 0, 1, 'x'})), "a count that does not fit");
        assertThrows(ProtocolException.class, () -> TopologyCodec.decode(Unpooled.wrappedBuffer(new byte[] {0x53, 0, 1, 0, 1,
                'x', 9})), "bytes left over");
        assertThrows(ProtocolException.class, () -> TopologyCodec.decode(Unpooled.wrappedBuffer(new byte[] {0x5f})));
        ByteBuf selfLink = Unpooled.buffer(); // a link to the node's own site: refused by the record's rules
        selfLink.writeByte(0x50);
        io.weft.protocol.Wire.writeStr16(selfLink, "n");
        io.weft.protocol.Wire.writeStr16(selfLink, "s");
        selfLink.writeLong(1).writeLong(1).writeByte(0);
        io.weft.protocol.Wire.writeStr16(selfLink, "");
        selfLink.writeShort(1);
        io.weft.protocol.Wire.writeStr16(selfLink, "s");
        io.weft.protocol.Wire.writeStr16(selfLink, "m");
        selfLink.writeShort(1);
        assertThrows(ProtocolException.class, () -> TopologyCodec.decode(selfLink));
    }

    @Test
    void randomMeshesConvergeUnderLossThroughAntiEntropy() {
        for (int seed = 0; seed < 30; seed++) {
            engines.clear();
            wire.clear();
            SplittableRandom r = new SplittableRandom(seed);
            int sites = 2 + r.nextInt(6);
            List<String> names = new ArrayList<>();
            for (int s = 0; s < sites; s++) {
                for (int n = 1; n <= 1 + r.nextInt(3); n++) {
                    String name = "s" + s + "-" + n;
                    node(name, "s" + s);
                    names.add(name);
                }
            }
            for (int i = 0; i < names.size(); i++) {
                for (int j = i + 1; j < names.size(); j++) {
                    boolean sameSite = engines.get(names.get(i)).site().equals(engines.get(names.get(j)).site());
                    if (sameSite || r.nextInt(3) == 0) {
                        link(names.get(i), names.get(j));
                        if (r.nextInt(4) == 0) {
                            wire.clear(); // lose everything in flight
                        }
                    }
                }
            }
            for (int site = 1; site < sites; site++) { // connected: every site linked to an earlier one
                String a = "s" + site + "-1";
                String b = "s" + r.nextInt(site) + "-1";
                if (!engines.get(a).neighbours().containsKey(b)) {
                    link(a, b);
                }
            }
            settle();
            for (int i = 0; i < 10; i++) {
                tickAll(GOSSIP);
            }
            final int s = seed;
            long digest = engines.get(names.get(0)).lsdb().digest();
            for (TopologyEngine e : engines.values()) {
                assertEquals(digest, e.lsdb().digest(), () -> "seed " + s + ": " + e.node());
            }
        }
    }
}
