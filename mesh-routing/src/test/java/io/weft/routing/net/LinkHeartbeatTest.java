package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.routing.net.LinkHeartbeat.Action;
import org.junit.jupiter.api.Test;

class LinkHeartbeatTest {
    private static final long MS = 1_000_000L;
    private static final long I = 1000 * MS;
    private static final long T = 3000 * MS;

    /** Runs both ends of an idle link for {@code millis} on one clock; PONGs arrive after {@code rtt}. */
    private static int[] idleLink(long millis, long rtt) {
        LinkHeartbeat dialler = new LinkHeartbeat(true, I, T, 0);
        LinkHeartbeat acceptor = new LinkHeartbeat(false, I, T, 0);
        int[] pings = new int[2];
        long oneWay = rtt / 2;
        for (long now = 0; now <= millis * MS; now += MS) {
            if (dialler.due(now) == Action.PING) {
                pings[0]++;
                acceptor.heard(now + oneWay, true);
                dialler.heard(now + rtt, false);
            }
            if (acceptor.due(now) == Action.PING) {
                pings[1]++;
                dialler.heard(now + oneWay, true);
                acceptor.heard(now + rtt, false);
            }
            assertEquals(Action.NONE, dialler.due(now));
            assertEquals(Action.NONE, acceptor.due(now));
        }
        return pings;
    }

    @Test
    void onAnIdleLinkOnlyTheDiallerPingsOncePerInterval() {
        int[] pings = idleLink(60_000, 2 * MS);
        assertEquals(60, pings[0]);
        assertEquals(0, pings[1]);
    }

    @Test
    void aDiallerThatHearsTrafficDoesNotPingAndTheAcceptorDoesOnceItsPeerIsQuiet() {
        LinkHeartbeat dialler = new LinkHeartbeat(true, I, T, 0);
        LinkHeartbeat acceptor = new LinkHeartbeat(false, I, T, 0);
        int acceptorPings = 0;
        // the acceptor streams replies to the dialler every 100 ms; the dialler sends nothing back
        for (long now = 0; now <= 10_000 * MS; now += MS) {
            if (now % (100 * MS) == 0) {
                dialler.heard(now, true);
            }
            assertEquals(Action.NONE, dialler.due(now), "at " + now / MS + " ms");
            Action a = acceptor.due(now);
            if (a == Action.PING) {
                acceptorPings++;
                acceptor.heard(now + MS, false); // the dialler's PONG
            }
            assertEquals(false, a == Action.CLOSE, "the acceptor closed a live link at " + now / MS + " ms");
        }
        // first at 2 s of silence from the dialler, then every interval
        assertEquals(9, acceptorPings);
    }

    @Test
    void aSilentPeerIsGivenUpAfterTheTimeout() {
        LinkHeartbeat h = new LinkHeartbeat(true, I, T, 0);
        assertEquals(Action.PING, h.due(I));
        assertEquals(Action.PING, h.due(2 * I));
        assertEquals(Action.NONE, h.due(T - 1));
        assertEquals(Action.CLOSE, h.due(T));
        LinkHeartbeat a = new LinkHeartbeat(false, I, T, 0);
        assertEquals(Action.NONE, a.due(I));
        assertEquals(Action.PING, a.due(2 * I));
        assertEquals(Action.CLOSE, a.due(T));
    }

    @Test
    void pongsKeepTheLinkAliveButDoNotStopThePings() {
        LinkHeartbeat h = new LinkHeartbeat(true, I, T, 0);
        for (long t = I; t <= 20 * I; t += I) {
            assertEquals(Action.PING, h.due(t));
            h.heard(t + MS, false);
            assertEquals(t + I, h.nextCheck(t + MS), "the next ping is one interval after this one");
        }
    }

    @Test
    void nextCheckIsTheFirstMomentSomethingCanBeDue() {
        LinkHeartbeat d = new LinkHeartbeat(true, I, T, 0);
        assertEquals(I, d.nextCheck(0));
        d.heard(400 * MS, true);
        assertEquals(1400 * MS, d.nextCheck(500 * MS));
        LinkHeartbeat a = new LinkHeartbeat(false, I, T, 0);
        assertEquals(2 * I, a.nextCheck(0));
        assertEquals(5 * I, a.nextCheck(5 * I), "never in the past");
    }

    @Test
    void theAcceptorsThresholdLeavesRoomForAPong() {
        assertEquals(2000 * MS, LinkHeartbeat.acceptorPingAfter(I, T));
        assertEquals(1000 * MS, LinkHeartbeat.acceptorPingAfter(500 * MS, T));
        assertEquals(2250 * MS, LinkHeartbeat.acceptorPingAfter(1500 * MS, T));
        assertEquals(350 * MS, LinkHeartbeat.acceptorPingAfter(200 * MS, 500 * MS));
        assertThrows(IllegalArgumentException.class, () -> new LinkHeartbeat(true, T, T, 0));
    }
}
