package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MembershipPortTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void aPickedPortLiesBelowTheEphemeralRangeAndCanBeBound() throws Exception {
        int low = Membership.ephemeralLow();
        int port = Membership.freePort(LOOPBACK, low, new SplittableRandom(7));
        assertTrue(port >= 10_000 && port < low, port + " not in [10000, " + low + ")");
        try (ServerSocket s = new ServerSocket(port, 1, LOOPBACK)) {
            assertTrue(s.isBound());
        }
    }

    @Test
    void theKernelsRangeIsRead() {
        // Linux allows 1024 at the lowest; a misread /proc file gave 3 once
        assertTrue(Membership.ephemeralLow() >= 1024, Integer.toString(Membership.ephemeralLow()));
    }

    @Test
    void aTakenCandidateIsSkipped() throws Exception {
        int low = Membership.ephemeralLow();
        int first = Membership.freePort(LOOPBACK, low, new SplittableRandom(11));
        try (ServerSocket taken = new ServerSocket(first, 1, LOOPBACK)) {
            // the same random sequence offers the taken port first, then another
            int next = Membership.freePort(LOOPBACK, low, new SplittableRandom(11));
            assertNotEquals(first, next);
            assertTrue(next >= 10_000 && next < low, Integer.toString(next));
        }
    }

    @Test
    void aReservedPortCannotBeTakenUntilReleased() throws Exception {
        java.nio.channels.SocketChannel reserved = Membership.reserve(LOOPBACK, Membership.ephemeralLow(), new SplittableRandom(5));
        int port = ((java.net.InetSocketAddress) reserved.getLocalAddress()).getPort();
        try {
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> {
                try (ServerSocket s = new ServerSocket(port, 1, LOOPBACK)) {
                    s.isBound();
                }
            }, "another server took the reserved port " + port);
        } finally {
            reserved.close();
        }
        try (ServerSocket s = new ServerSocket(port, 1, LOOPBACK)) {
            assertTrue(s.isBound());
        }
    }

    @Test
    void withNoRoomBelowTheRangeTheKernelPicks() throws Exception {
        assertTrue(Membership.freePort(LOOPBACK, 10_500, new SplittableRandom(3)) > 0);
    }
}
