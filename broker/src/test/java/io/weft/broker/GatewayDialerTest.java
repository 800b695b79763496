package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.net.NodeInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which listed node of each neighbour site a node keeps its gateway link to. */
class GatewayDialerTest {
    private static final long T0 = 1_000_000_000L;

    private static NodeInfo node(String name, String site) {
        return new NodeInfo(name, site, 1, "127.0.0.1:1", "", "", "");
    }

    private static GatewayDialer dialer() {
        return new GatewayDialer("e1", "edge", List.of("a:1", "a:2", "b:1", "own:1"), null);
    }

    @Test
    void oneAnsweringNodePerSiteIsChosenAndTheOwnSiteIsNever() {
        GatewayDialer d = dialer();
        d.answered("a:1", node("hub-1", "hub"));
        d.answered("a:2", node("hub-2", "hub"));
        d.answered("b:1", node("core-1", "core"));
        d.answered("own:1", node("e2", "edge"));
        Map<String, NodeInfo> chosen = d.choose(T0, n -> false);
        assertEquals(Set.of("hub", "core"), chosen.keySet());
        assertEquals("core-1", chosen.get("core").name());
        assertTrue(Set.of("hub-1", "hub-2").contains(chosen.get("hub").name()));
        assertEquals(chosen, d.choose(T0 + 1, n -> false), "the choice is stable");
    }

    @Test
    void aLostLinkMovesToAnotherListedNodeOfTheSiteAndBackOnlyWhenThatOneFails() {
        GatewayDialer d = dialer();
        d.answered("a:1", node("hub-1", "hub"));
        d.answered("a:2", node("hub-2", "hub"));
        String first = d.choose(T0, n -> false).get("hub").name();
        String other = first.equals("hub-1") ? "hub-2" : "hub-1";
        d.linkLost(first, T0);
        assertEquals(other, d.choose(T0 + 1, n -> false).get("hub").name(), "moves while the first is avoided");
        assertEquals(other, d.choose(T0 + GatewayDialer.AVOID_NANOS + 1, n -> false).get("hub").name(),
                "stays on the working node after the avoidance ends");
    }

    @Test
    void theOnlyNodeOfASiteIsKeptThoughItsLinkDied() {
        GatewayDialer d = dialer();
        d.answered("b:1", node("core-1", "core"));
        d.choose(T0, n -> false);
        d.linkLost("core-1", T0);
        assertEquals("core-1", d.choose(T0 + 1, n -> false).get("core").name(), "no other: keep dialling it");
    }

    @Test
    void aChosenNodeWithALiveLinkStaysThoughItsProbeFailed() {
        GatewayDialer d = dialer();
        d.answered("b:1", node("core-1", "core"));
        d.choose(T0, n -> false);
        d.answered("b:1", null);
        assertEquals("core-1", d.choose(T0 + 1, n -> n.equals("core-1")).get("core").name());
        assertEquals(Map.of(), d.choose(T0 + 2, n -> false), "no answer and no link: nothing to dial");
    }
}
