package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.topology.RelayOrder.Verdict;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link SiteVersion}, {@link RelayOrder} and {@link SiteSpeaker}: ordering relayed site aggregates. */
class RelayOrderTest {
    private static SiteVersion v(long epoch, long seq) {
        return new SiteVersion(epoch, seq);
    }

    @Test
    void versionsOrderByEpochThenSeq() {
        assertTrue(v(1, 5).isNewerThan(v(1, 4)));
        assertTrue(v(2, 0).isNewerThan(v(1, 99)));
        assertFalse(v(1, 5).isNewerThan(v(1, 5)));
        assertTrue(v(1, 5).follows(v(1, 4)));
        assertFalse(v(2, 0).follows(v(1, 99)));
        assertFalse(v(1, 6).follows(v(1, 4)));
        assertEquals(v(1, 6), v(1, 5).next());
        assertEquals(v(4, 0), SiteVersion.nextEpoch(v(3, 17)));
        assertEquals(v(1, 0), SiteVersion.nextEpoch(null));
        assertThrows(IllegalArgumentException.class, () -> v(-1, 0));
    }

    @Test
    void updatesApplyInSequenceAndGapsAskForAFull() {
        RelayOrder o = new RelayOrder();
        assertEquals(Verdict.GAP, o.offerUpdate("S", v(1, 1)), "nothing held: a full first");
        assertTrue(o.offerFull("S", v(1, 0)));
        assertEquals(Verdict.APPLY, o.offerUpdate("S", v(1, 1)));
        assertEquals(Verdict.STALE, o.offerUpdate("S", v(1, 1)), "a copy over a second path");
        assertEquals(Verdict.GAP, o.offerUpdate("S", v(1, 3)), "(1,2) was missed");
        assertEquals(v(1, 1), o.held("S"));
        assertEquals(Verdict.APPLY, o.offerUpdate("S", v(1, 2)));
        assertEquals(Verdict.GAP, o.offerUpdate("S", v(2, 1)), "a new epoch starts with a full");
        assertFalse(o.offerFull("S", v(1, 2)), "a full at the held version");
        assertTrue(o.offerFull("S", v(2, 0)));
        assertEquals(Verdict.STALE, o.offerUpdate("S", v(1, 3)), "the old speaker's late change");
        o.forget("S");
        assertNull(o.held("S"));
    }

    /**
     * The ABA trap: +x (B to N), then -x (N back to B). A late relayed copy of +x finds the copy at
     * its base digest again; the digest chain would re-apply it and keep x for good, the versions
     * refuse it.
     */
    @Test
    void aLateRelayedUpdateAfterItsUndoIsIgnored() {
        long base = 0x1111;
        long withX = 0x2222;
        record Update(SiteVersion version, long baseDigest, long newDigest, String change) {
        }
        Update plusX = new Update(v(1, 1), base, withX, "+x");
        Update minusX = new Update(v(1, 2), withX, base, "-x");

        // the digest chain alone: held digest, apply when the base matches
        long chain = base;
        for (Update u : List.of(plusX, minusX, plusX)) {
            if (u.baseDigest() == chain) {
                chain = u.newDigest();
            }
        }
        assertEquals(withX, chain, "the chain re-applied the late +x: the trap this class avoids");

        // with versions
        RelayOrder o = new RelayOrder();
        o.offerFull("S", v(1, 0));
        long digest = base;
        for (Update u : List.of(plusX, minusX, plusX)) {
            if (o.offerUpdate("S", u.version()) == Verdict.APPLY) {
                digest = u.newDigest();
            }
        }
        assertEquals(base, digest, "the late +x is stale");
        assertEquals(v(1, 2), o.held("S"));
    }

    /**
     * Relayed over several paths, copies arrive in any order and any number of times: whatever the
     * order, the node ends at the last version, applying each change at most once and in order
     * (gaps asking for a full, which brings it to the newest version the full carries).
     */
    @Test
    void anyArrivalOrderEndsAtTheNewestVersionWithoutReapplying() {
        for (long seed = 1; seed <= 300; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int changes = 1 + rnd.nextInt(8);
            List<SiteVersion> arrivals = new ArrayList<>();
            for (int i = 1; i <= changes; i++) {
                int copies = 1 + rnd.nextInt(3);
                for (int c = 0; c < copies; c++) {
                    arrivals.add(v(1, i));
                }
            }
            java.util.Collections.shuffle(arrivals, new java.util.Random(seed));
            RelayOrder o = new RelayOrder();
            o.offerFull("S", v(1, 0));
            Set<SiteVersion> applied = new HashSet<>();
            SiteVersion last = v(1, 0);
            for (SiteVersion a : arrivals) {
                Verdict verdict = o.offerUpdate("S", a);
                if (verdict == Verdict.APPLY) {
                    assertTrue(applied.add(a), "seed " + seed + ": " + a + " applied twice");
                    assertTrue(a.follows(last), "seed " + seed + ": " + a + " out of order after " + last);
                    last = a;
                } else if (verdict == Verdict.GAP) {
                    // the full the node pulls carries the newest version some neighbour holds: here a
                    assertTrue(o.offerFull("S", a), "seed " + seed);
                    last = a;
                }
            }
            assertEquals(v(1, changes), o.held("S"), "seed " + seed);
        }
    }

    @Test
    void digestAndSummaryForAntiEntropy() {
        RelayOrder a = new RelayOrder();
        RelayOrder b = new RelayOrder();
        assertEquals(0, a.digest());
        a.offerFull("S", v(1, 3));
        a.offerFull("T", v(2, 0));
        b.offerFull("T", v(2, 0));
        b.offerFull("S", v(1, 2));
        assertNotEquals(a.digest(), b.digest());
        assertEquals(List.of("S"), b.newerIn(a.summary()));
        assertEquals(List.of(), a.newerIn(b.summary()));
        b.offerFull("S", v(1, 3));
        assertEquals(a.digest(), b.digest());
        assertEquals(Map.of("S", v(1, 3), "T", v(2, 0)), b.summary());
    }

    @Test
    void aNewSpeakerTakesTheNextEpochAfterAllItSaw() {
        SiteSpeaker s = new SiteSpeaker();
        assertNull(s.current());
        assertThrows(IllegalStateException.class, () -> s.next(1));
        assertNull(s.observe(v(5, 5), 1), "not the speaker: nothing to jump");
        assertEquals(v(4, 0), s.takeOver(v(3, 9), 100));
        assertEquals(v(4, 1), s.next(101));
        assertNull(s.observe(v(4, 1), 101), "its own version relayed back");
        assertNull(s.observe(v(3, 9), 7), "an older speaker's");
        assertEquals(v(5, 0), s.observe(v(4, 1), 999), "its version with other content: a second speaker");
        assertEquals(v(8, 0), s.observe(v(7, 2), 101), "a newer version of its own site: jump past it");
        assertEquals(v(9, 0), s.takeOver(v(2, 0), 101), "taking over again never goes back");

        // the late-copy rule at a receiver: after a takeover, the old speaker's updates are stale
        RelayOrder o = new RelayOrder();
        o.offerFull("S", v(3, 9));
        SiteSpeaker next = new SiteSpeaker();
        SiteVersion full = next.takeOver(o.held("S"), 5);
        assertTrue(o.offerFull("S", full));
        assertEquals(Verdict.STALE, o.offerUpdate("S", v(3, 10)));
        assertEquals(Verdict.APPLY, o.offerUpdate("S", next.next(6)));
    }
}
