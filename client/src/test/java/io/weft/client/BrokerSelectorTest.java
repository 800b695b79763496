package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.NodeAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ranking of broker candidates, without sockets. */
class BrokerSelectorTest {
    private static BrokerCandidate measured(String address, String site, boolean ready, long rttMicros) {
        return new BrokerCandidate(address, "n-" + address, site, ready, rttMicros * 1000, null);
    }

    private static List<String> addresses(List<BrokerCandidate> ranked) {
        return ranked.stream().map(BrokerCandidate::address).toList();
    }

    @Test
    void readyNodesComeFirstEvenWhenFartherAndOfAnotherSite() {
        List<BrokerCandidate> ranked = new BrokerSelector("onprem").rank(List.of(
                measured("a:1", "onprem", false, 10),
                measured("b:1", "cloud", true, 900)));
        assertEquals(List.of("b:1", "a:1"), addresses(ranked));
    }

    @Test
    void preferredServersComeBeforeNearerDiscoveredNodes() {
        // meshctl -s cloud-1: the named node serves when it answers and is ready
        List<BrokerCandidate> ranked = new BrokerSelector("", List.of("B:1 ")).rank(List.of(
                measured("a:1", "cloud", true, 10),
                measured("b:1", "cloud", true, 900),
                measured("c:1", "cloud", false, 20)));
        assertEquals(List.of("b:1", "a:1", "c:1"), addresses(ranked));
        ranked = new BrokerSelector("", List.of("c:1")).rank(List.of(
                measured("a:1", "cloud", true, 10),
                measured("c:1", "cloud", false, 20)));
        assertEquals(List.of("a:1", "c:1"), addresses(ranked), "a named node that is not ready does not serve");
    }

    @Test
    void sameSiteIsPreferredOverALowerRoundTrip() {
        List<BrokerCandidate> ranked = new BrokerSelector("onprem").rank(List.of(
                measured("a:1", "cloud", true, 10),
                measured("b:1", "onprem", true, 900),
                measured("c:1", "cloud", true, 20)));
        assertEquals(List.of("b:1", "a:1", "c:1"), addresses(ranked));
    }

    @Test
    void withoutASiteTheLowestRoundTripWins() {
        List<BrokerCandidate> ranked = new BrokerSelector("").rank(List.of(
                measured("a:1", "onprem", true, 300),
                measured("b:1", "cloud", true, 100),
                measured("c:1", "", true, 200)));
        assertEquals(List.of("b:1", "c:1", "a:1"), addresses(ranked));
    }

    @Test
    void tiesAreBrokenByAddressWhateverTheInputOrder() {
        BrokerSelector s = new BrokerSelector("x");
        List<BrokerCandidate> in = List.of(measured("c:1", "y", true, 50), measured("a:1", "y", true, 50),
                measured("b:1", "y", true, 50));
        assertEquals(List.of("a:1", "b:1", "c:1"), addresses(s.rank(in)));
        assertEquals(List.of("a:1", "b:1", "c:1"), addresses(s.rank(List.of(in.get(2), in.get(0), in.get(1)))));
    }

    @Test
    void answeredBeforeUntriedBeforeFailed() {
        List<BrokerCandidate> ranked = new BrokerSelector("onprem").rank(List.of(
                BrokerCandidate.seed("a:1").failed("connection refused"),
                new BrokerCandidate("b:1", "b", "onprem", true, BrokerCandidate.UNMEASURED, null),
                measured("c:1", "cloud", false, 5000)));
        assertEquals(List.of("c:1", "b:1", "a:1"), addresses(ranked));
        assertTrue(ranked.get(2).failed() && !ranked.get(2).reachable());
    }

    @Test
    void mergeKeepsServersFirstAndDeduplicatesByAddress() {
        List<BrokerCandidate> merged = BrokerSelector.merge(List.of("h1:1", "H2:2", "h1:1"), List.of(
                new NodeAddress("n2", "cloud", "h2:2", true),
                new NodeAddress("n3", "onprem", " h3:3 ", false),
                new NodeAddress("n3", "onprem", "h3:3", false),
                new NodeAddress("nobody", "x", "", true)));
        assertEquals(List.of("h1:1", "H2:2", "h3:3"), addresses(merged));
        assertEquals(new BrokerCandidate("H2:2", "n2", "cloud", true, BrokerCandidate.UNMEASURED, null), merged.get(1),
                "a server that a node list describes takes its name, site and readiness");
        assertEquals("", merged.get(0).site());
    }
}
