package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.routing.Hash64;
import io.weft.routing.InterestEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Relays joined by perfect links (messages delivered in order, through the codec), driven by hand
 * as in {@link TopologyEngineTest}: a queue of messages in flight, delivered one at a time.
 */
class InterestRelayTest {
    private static final long GOSSIP = 100;

    private final Map<String, InterestRelay> relays = new TreeMap<>();
    private final Deque<Object[]> wire = new ArrayDeque<>();
    private long now = 1_000_000;
    /** Set to drop every message sent to this node (a lost flood). */
    private String deaf;

    private InterestRelay node(String name, String site) {
        InterestRelay r = new InterestRelay(name, site, InterestRelay.Config.defaults(GOSSIP),
                new SplittableRandom(name.hashCode()), now);
        relays.put(name, r);
        return r;
    }

    private void link(String a, String b) {
        relays.get(a).neighbourUp(b, relays.get(b).site(), now);
        relays.get(b).neighbourUp(a, relays.get(a).site(), now);
    }

    /** Plain entries of these patterns, sorted. */
    private static List<InterestEntry> entries(String... patterns) {
        return List.copyOf(new TreeSet<>(Arrays.stream(patterns).map(InterestEntry::plain).toList()));
    }

    /**
     * A stand-in for the site aggregate's digest, which the relay treats as opaque (the real one,
     * from {@code Hash64}'s entry hashes, is computed by the caller): equal for equal lists.
     */
    private static long digest(List<InterestEntry> entries) {
        return Hash64.fmix64(Hash64.mixString(Hash64.FNV_OFFSET, entries.toString()));
    }

    private void speak(String node, String... patterns) {
        List<InterestEntry> e = entries(patterns);
        relays.get(node).speak(e, digest(e), now);
    }

    /** Delivers up to {@code limit} queued messages (and what they cause) through the codec; returns how many. */
    private int settle(int limit) {
        int delivered = 0;
        collect();
        while (!wire.isEmpty() && delivered < limit) {
            Object[] m = wire.poll();
            String from = (String) m[0];
            TopologyEngine.Outgoing o = (TopologyEngine.Outgoing) m[1];
            InterestRelay to = relays.get(o.toNode());
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

    /** Delivers until nothing is in flight, failing rather than looping for ever. */
    private int settle() {
        int delivered = settle(100_000);
        assertTrue(wire.isEmpty(), "still messages in flight after " + delivered);
        return delivered;
    }

    private void collect() {
        for (InterestRelay r : relays.values()) {
            for (TopologyEngine.Outgoing o : r.drainOutbox()) {
                wire.add(new Object[] {r.node(), o});
            }
        }
    }

    private void tickAll(long ms) {
        now += ms;
        relays.values().forEach(r -> r.tick(now));
        settle();
    }

    /** Every relay holds the same records as the first. */
    private void assertAgreement() {
        InterestRelay first = relays.values().iterator().next();
        for (InterestRelay r : relays.values()) {
            assertEquals(first.held(), r.held(), r.node() + "'s records differ");
            assertEquals(first.digest(), r.digest(), r.node() + "'s digest differs");
            for (String site : first.held().keySet()) {
                assertEquals(first.entries(site), r.entries(site), r.node() + "'s entries of " + site);
            }
        }
    }

    /** The changes {@code node} reports, as site to entries (null: gone). */
    private Map<String, List<InterestEntry>> changes(String node) {
        Map<String, List<InterestEntry>> out = new TreeMap<>();
        for (InterestRelay.Change c : relays.get(node).drainChanges()) {
            assertFalse(out.containsKey(c.site()), "a site reported twice in one drain");
            out.put(c.site(), c.entries());
        }
        return out;
    }

    /** The record an announcement carries: whole, or a change applied to the sender's previous record. */
    private SiteInterestRecord record(TopologyEngine.Outgoing o) {
        if (o.message() instanceof TopologyMessage.InterestDelta d) {
            return new SiteInterestRecord(d.site(), d.speaker(), d.version(), d.digest(), relays.get(d.speaker()).entries(d.site()));
        }
        return ((TopologyMessage.SiteInterest) o.message()).record();
    }

    /**
     * After the first, whole announcement, a speaker's changes travel as deltas, along every hop; a node that
     * missed one pulls the whole record from the neighbour that sent it the next, and everyone agrees again.
     */
    @Test
    void changesTravelAsDeltasAndAMissedOneIsPulledWhole() {
        for (String s : List.of("a", "b", "c")) {
            node(s + "-1", s);
        }
        link("a-1", "b-1");
        link("b-1", "c-1");
        settle();
        speak("a-1", "x.>", "w.>", "v.>");
        settle();
        speak("a-1", "x.>", "w.>", "v.>", "y.>");
        collect();
        assertTrue(wire.stream().allMatch(m -> !(((TopologyEngine.Outgoing) m[1]).message() instanceof TopologyMessage.SiteInterest)),
                "a one-entry change goes as a delta");
        assertTrue(wire.stream().anyMatch(m -> ((TopologyEngine.Outgoing) m[1]).message() instanceof TopologyMessage.InterestDelta));
        settle();
        assertEquals(entries("v.>", "w.>", "x.>", "y.>"), relays.get("c-1").entries("a"), "relayed on by b-1 as a delta");

        deaf = "c-1";
        speak("a-1", "x.>", "w.>", "v.>", "y.>", "z.>");
        settle();
        deaf = null;
        speak("a-1", "x.>", "w.>", "z.>");
        settle();
        assertTrue(relays.get("c-1").gapsPulled() > 0, "c-1 missed a change: the next one did not apply");
        assertEquals(entries("w.>", "x.>", "z.>"), relays.get("c-1").entries("a"));
        assertAgreement();
        assertEquals(Map.of("a", entries("w.>", "x.>", "z.>")), changes("c-1").entrySet().stream()
                .filter(e -> e.getKey().equals("a")).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                        Map.Entry::getValue)));

        // a refresh is an empty delta, and a change of most of the record goes whole
        tickAll(InterestRelay.Config.defaults(GOSSIP).refreshMillis());
        assertAgreement();
        speak("a-1", "q.>");
        collect();
        assertTrue(wire.stream().anyMatch(m -> ((TopologyEngine.Outgoing) m[1]).message() instanceof TopologyMessage.SiteInterest));
        settle();
        assertAgreement();
    }

    /**
     * The ABA trap ({@link RelayOrder}): +x, then -x back to the aggregate before it; a late copy of
     * +x carries an older version than -x and is ignored, so x stays out.
     */
    @Test
    void aLateCopyNeverUndoesANewerChange() {
        InterestRelay s = node("s-1", "s");
        InterestRelay r = node("r-1", "r");
        s.neighbourUp("r-1", "r", now);
        r.neighbourUp("s-1", "s", now);
        s.drainOutbox();
        speak("s-1", "a");
        SiteInterestRecord base = record(s.drainOutbox().get(0));
        speak("s-1", "a", "x");
        SiteInterestRecord plusX = record(s.drainOutbox().get(0));
        speak("s-1", "a");
        SiteInterestRecord minusX = record(s.drainOutbox().get(0));
        assertEquals(base.digest(), minusX.digest(), "back to the same aggregate");
        assertTrue(minusX.version().isNewerThan(plusX.version()));

        for (SiteInterestRecord rec : List.of(base, minusX, plusX)) {
            r.onMessage("s-1", new TopologyMessage.SiteInterest(rec), now);
        }
        assertEquals(entries("a"), r.entries("s"), "x stays out");
        assertEquals(minusX.version(), r.held().get("s").version());
        assertEquals(2, r.recordsInstalled());
        assertEquals(1, r.staleIgnored());
        assertEquals(Map.of("s", entries("a")), changes("r-1"));
        r.onMessage("s-1", new TopologyMessage.SiteInterest(minusX), now);
        assertEquals(2, r.staleIgnored(), "an equal copy is ignored too");
        assertEquals(List.of(), r.drainOutbox().stream().filter(o -> o.message() instanceof TopologyMessage.SiteInterest)
                .toList(), "nothing ignored is flooded");
    }

    @Test
    void theSameAggregateAgainAnnouncesNothing() {
        InterestRelay s = node("s-1", "s");
        s.neighbourUp("r-1", "r", now);
        s.drainOutbox();
        speak("s-1", "a", "b");
        assertEquals(1, s.drainOutbox().size());
        speak("s-1", "b", "a");
        assertEquals(List.of(), s.drainOutbox());
        assertEquals(new SiteVersion(1, 0), s.held().get("s").version());
    }

    @Test
    void aSpeakerTakesOverAboveAnythingSeenAndJumpsPastAConflict() {
        InterestRelay fresh = node("t-1", "t");
        speak("t-1", "a");
        assertEquals(new SiteVersion(1, 0), fresh.held().get("t").version(), "nothing seen: epoch 1");

        InterestRelay s2 = node("s-2", "s");
        s2.neighbourUp("s-1", "s", now);
        s2.neighbourUp("r-1", "r", now);
        s2.drainOutbox();
        List<InterestEntry> old = entries("old");
        s2.onMessage("s-1", new TopologyMessage.SiteInterest(new SiteInterestRecord("s", "s-1", new SiteVersion(5, 3),
                digest(old), old)), now);
        s2.onMessage("r-1", new TopologyMessage.SiteInterest(new SiteInterestRecord("s", "s-1", new SiteVersion(4, 9),
                digest(old), old)), now);
        assertEquals(Map.of(), changes("s-2"), "the own site is never a change");
        s2.drainOutbox();
        speak("s-2", "new");
        assertTrue(s2.speaking());
        assertEquals(new SiteVersion(6, 0), s2.held().get("s").version());
        assertEquals("s-2", s2.held().get("s").speaker());

        // its own version relayed back with another aggregate (a second speaker): it jumps past and re-announces
        s2.drainOutbox();
        s2.onMessage("r-1", new TopologyMessage.SiteInterest(new SiteInterestRecord("s", "s-9", new SiteVersion(6, 0),
                digest(old), old)), now);
        assertEquals(1, s2.conflicts());
        assertEquals(new SiteVersion(7, 0), s2.held().get("s").version());
        assertEquals(entries("new"), s2.entries("s"));
        assertEquals(List.of("r-1", "s-1"), s2.drainOutbox().stream().map(TopologyEngine.Outgoing::toNode).sorted()
                .toList(), "to every neighbour, the sender too");
        // an older copy of the own site while speaking is ignored
        s2.onMessage("r-1", new TopologyMessage.SiteInterest(new SiteInterestRecord("s", "s-9", new SiteVersion(6, 5),
                digest(old), old)), now);
        assertEquals(1, s2.conflicts());
        assertEquals(List.of(), s2.drainOutbox());

        // silenced, then speaking again: a new epoch
        s2.silence();
        assertFalse(s2.speaking());
        speak("s-2", "new");
        assertEquals(new SiteVersion(8, 0), s2.held().get("s").version());
        assertFalse(InterestRelay.handles(new TopologyMessage.Digest(1, false)));
        assertTrue(InterestRelay.handles(new TopologyMessage.InterestDigest(1, false)));
        assertThrows(IllegalArgumentException.class,
                () -> s2.onMessage("r-1", new TopologyMessage.Digest(1, false), now), "a link-state message");
    }

    /**
     * s-1 and s-2 both speak for site s during a split of its group, each reaching r-1: they jump past
     * each other; once the group heals, the caller silences s-2 and everyone ends at s-1's aggregate.
     */
    @Test
    void twoSpeakersOfASiteConvergeToOneAggregate() {
        node("r-1", "r");
        node("s-1", "s");
        node("s-2", "s");
        link("r-1", "s-1");
        link("r-1", "s-2");
        settle();
        speak("s-1", "one");
        speak("s-2", "two");
        speak("s-2", "two", "more"); // s-2 is ahead: only jumping past it makes s-1's aggregate win
        settle(); // no fight: s-1 jumps past s-2's copies, s-2 yields to the name that sorts first
        assertTrue(relays.get("s-1").conflicts() > 0, "s-1 jumped past s-2's record");
        assertTrue(relays.get("s-1").conflicts() <= 2, () -> "a fight: " + relays.get("s-1").conflicts() + " jumps");
        assertEquals(1, relays.get("s-2").yielded());
        assertTrue(relays.get("s-1").speaking() && !relays.get("s-2").speaking());

        link("s-1", "s-2");
        settle();
        assertAgreement();
        assertTrue(relays.get("s-1").syncedNeighbours().contains("s-2"));
        assertTrue(relays.get("s-2").syncedNeighbours().contains("s-1"));
        InterestRelay.HeldRecord s = relays.get("r-1").held().get("s");
        assertEquals("s-1", s.speaker());
        assertEquals(entries("one"), relays.get("r-1").entries("s"));
        assertEquals(entries("one"), relays.get("s-2").entries("s"));
        assertEquals(entries("one"), changes("r-1").get("s"));
        tickAll(GOSSIP);
        assertAgreement();
    }

    @Test
    void floodingAcrossAChainReachesEveryNode() {
        for (String s : List.of("a", "b", "c", "d")) {
            node(s + "-1", s);
        }
        link("a-1", "b-1");
        link("b-1", "c-1");
        link("c-1", "d-1");
        settle();
        for (String s : List.of("a", "b", "c", "d")) {
            speak(s + "-1", s + ".>", "all");
        }
        settle();
        assertAgreement();
        assertEquals(4, relays.get("a-1").held().size());
        assertEquals(Map.of("b", entries("b.>", "all"), "c", entries("c.>", "all"), "d", entries("d.>", "all")),
                changes("a-1"));
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(changes("d-1").keySet()));
        for (InterestRelay r : relays.values()) {
            assertEquals(r.neighbours().keySet(), r.syncedNeighbours(), r.node() + " synced with every neighbour");
        }

        speak("d-1", "d.>"); // a change floods to the far end of the chain
        settle();
        assertAgreement();
        assertEquals(Map.of("d", entries("d.>")), changes("a-1"));
        assertEquals(Map.of(), changes("d-1"));

        // a node that joins later learns every record at once, and both ends see the exchange end in sync
        node("e-1", "e");
        link("d-1", "e-1");
        settle();
        assertEquals(List.of("a", "b", "c", "d"), new ArrayList<>(relays.get("e-1").held().keySet()));
        assertEquals(List.of("d-1"), new ArrayList<>(relays.get("e-1").syncedNeighbours()));
        assertTrue(relays.get("d-1").syncedNeighbours().contains("e-1"));
    }

    @Test
    void floodingAroundARingReachesEveryNodeAndIgnoresTheSecondCopy() {
        List<String> ring = List.of("a", "b", "c", "d", "e");
        for (String s : ring) {
            node(s + "-1", s);
        }
        for (int i = 0; i < ring.size(); i++) {
            link(ring.get(i) + "-1", ring.get((i + 1) % ring.size()) + "-1");
        }
        settle();
        for (String s : ring) {
            speak(s + "-1", s + ".*");
        }
        settle();
        assertAgreement();
        long stale = 0;
        for (InterestRelay r : relays.values()) {
            assertEquals(4, changes(r.node()).size());
            stale += r.staleIgnored();
        }
        assertTrue(stale >= ring.size(), "every record came round the ring both ways; the second copy is ignored");
        assertTrue(relays.get("a-1").recordsInstalled() >= 4);
    }

    @Test
    void antiEntropyRepairsALostFlood() {
        node("a-1", "a");
        node("b-1", "b");
        node("c-1", "c");
        node("c-2", "c");
        link("a-1", "b-1");
        link("b-1", "c-1");
        link("c-1", "c-2");
        settle();
        speak("a-1", "x");
        settle();
        changes("c-2");
        deaf = "c-1";
        speak("a-1", "x", "y");
        settle(); // c-1 heard nothing, so neither did c-2
        deaf = null;
        assertEquals(entries("x"), relays.get("c-2").entries("a"));
        tickAll(GOSSIP);
        tickAll(GOSSIP);
        assertAgreement();
        assertEquals(Map.of("a", entries("x", "y")), changes("c-2"));
    }

    @Test
    void aRecordExpiresAfterMaxAgeUnlessRefreshed() {
        node("a-1", "a");
        node("b-1", "b");
        link("a-1", "b-1");
        settle();
        speak("a-1", "x");
        speak("b-1", "y");
        settle();
        changes("b-1");
        SiteVersion first = relays.get("b-1").held().get("a").version();
        for (int i = 0; i < 40; i++) {
            tickAll(5_000); // 200 s: past MaxAge, but refreshed every 30 s
        }
        assertTrue(relays.get("b-1").held().get("a").version().seq() >= first.seq() + 6);
        assertEquals(Map.of(), changes("b-1"), "a refresh of the same aggregate is no change");

        relays.remove("a-1"); // gone, and nobody speaks for a any more
        relays.get("b-1").neighbourDown("a-1", now);
        for (int i = 0; i < 30; i++) {
            tickAll(5_000);
        }
        Map<String, List<InterestEntry>> gone = new TreeMap<>();
        gone.put("a", null);
        assertEquals(gone, changes("b-1"));
        assertNull(relays.get("b-1").entries("a"));
        assertEquals(List.of("b"), new ArrayList<>(relays.get("b-1").held().keySet()), "its own record, still spoken");
    }

    @Test
    void changesNeverNameTheOwnSite() {
        node("a-1", "a");
        node("a-2", "a");
        node("b-1", "b");
        link("a-1", "a-2");
        link("a-2", "b-1");
        settle();
        speak("a-1", "x");
        speak("b-1", "y");
        settle();
        assertAgreement();
        assertEquals(entries("x"), relays.get("a-2").entries("a"), "a silent node holds its site's record");
        assertEquals(Map.of("b", entries("y")), changes("a-2"));
        assertEquals(Map.of("b", entries("y")), changes("a-1"));
        assertEquals(Map.of("a", entries("x")), changes("b-1"));

        // a-1 goes without another speaker: its record expires at a-2 as anywhere else, and still no change of a
        relays.remove("a-1");
        relays.get("a-2").neighbourDown("a-1", now);
        for (int i = 0; i < 30; i++) {
            tickAll(5_000);
        }
        assertNull(relays.get("a-2").entries("a"));
        assertEquals(Map.of(), changes("a-2"));
        Map<String, List<InterestEntry>> gone = new TreeMap<>();
        gone.put("a", null);
        assertEquals(gone, changes("b-1"));

        // a-2 takes over above the expired record's version, which it saw
        assertFalse(relays.get("b-1").held().containsKey("a"));
        speak("a-2", "z");
        settle();
        assertEquals(2, relays.get("a-2").held().get("a").version().epoch());
        assertEquals(Map.of("a", entries("z")), changes("b-1"));
        assertEquals(Map.of(), changes("a-2"));
    }

    @Test
    void randomMeshesConvergeUnderLossThroughAntiEntropy() {
        for (int seed = 0; seed < 30; seed++) {
            relays.clear();
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
                    boolean sameSite = relays.get(names.get(i)).site().equals(relays.get(names.get(j)).site());
                    if (sameSite || r.nextInt(3) == 0) {
                        link(names.get(i), names.get(j));
                    }
                }
            }
            for (int site = 1; site < sites; site++) { // connected: every site linked to an earlier one
                String a = "s" + site + "-1";
                String b = "s" + r.nextInt(site) + "-1";
                if (!relays.get(a).neighbours().containsKey(b)) {
                    link(a, b);
                }
            }
            for (int change = 0; change < 3; change++) {
                for (int s = 0; s < sites; s++) {
                    speak("s" + s + "-1", "s" + s + "." + r.nextInt(4), "s" + s + ".all");
                    if (r.nextInt(3) == 0) {
                        collect();
                        wire.clear(); // lose everything in flight
                    }
                }
                settle(r.nextInt(50));
            }
            settle();
            for (int i = 0; i < 10; i++) {
                tickAll(GOSSIP);
            }
            final int seedNo = seed;
            InterestRelay first = relays.get(names.get(0));
            for (InterestRelay x : relays.values()) {
                assertEquals(first.held(), x.held(), () -> "seed " + seedNo + ": " + x.node());
                assertEquals(sites, x.held().size(), () -> "seed " + seedNo + ": " + x.node());
            }
        }
    }
}
