package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberTableTest {
    private static final long SECOND = 1_000_000_000L;

    private static NodeInfo node(String name, String site, long incarnation) {
        return new NodeInfo(name, site, incarnation, "h:1", "h:2", "h:3", "h:4", "h:5");
    }

    private final MemberTable<String> table = new MemberTable<>("addr-a", node("a", "S", 1));

    @Test
    void aMemberIsLiveByItsOwnAnnouncementNotByTheView() {
        Members m = table.view(List.of("addr-a", "addr-b", "addr-c"), 0);
        assertNotNull(m);
        assertEquals(Set.of("a"), m.live().keySet(), "b and c have not said who they are");
        assertEquals(List.of("addr-b", "addr-c"), m.unnamed());

        m = table.announced("addr-b", node("b", "S", 7), 1);
        assertEquals(Set.of("a", "b"), m.live().keySet());
        assertEquals(7, m.live().get("b").incarnation());
        assertEquals(List.of("addr-c"), m.unnamed());
    }

    @Test
    void anAnnouncementThatCameBeforeItsViewCountsWhenTheViewComes() {
        table.view(List.of("addr-a"), 0);
        assertNull(table.announced("addr-b", node("b", "S", 1), 1), "b is not in the view yet: nothing changed");
        Members m = table.view(List.of("addr-a", "addr-b"), 2);
        assertEquals(Set.of("a", "b"), m.live().keySet());
        assertEquals(List.of(), m.unnamed());
    }

    @Test
    void aMergeViewWithUnknownMembersNamesThemAsTheyAnswer() {
        // the case of issue 12: a merge view lists members this node never heard of
        table.view(List.of("addr-a", "addr-b"), 0);
        table.announced("addr-b", node("b", "S", 1), 0);
        Members m = table.view(List.of("addr-b", "addr-a", "addr-c", "addr-d"), SECOND);
        assertEquals(Set.of("a", "b"), m.live().keySet());
        assertEquals(List.of("addr-c", "addr-d"), m.unnamed());
        assertEquals(List.of("addr-c", "addr-d"), table.dueAsks(SECOND, SECOND), "ask both at once");
        assertEquals(List.of(), table.dueAsks(SECOND + SECOND / 2, SECOND), "not again within the interval");
        table.announced("addr-c", node("c", "T", 1), 2 * SECOND);
        assertEquals(List.of("addr-d"), table.dueAsks(2 * SECOND, SECOND), "d still silent: asked again");
        m = table.announced("addr-d", node("d", "T", 1), 2 * SECOND);
        assertEquals(Set.of("a", "b", "c", "d"), m.live().keySet());
        assertEquals(List.of(), m.unnamed());
    }

    @Test
    void aRestartedNodeIsLiveOnceWithItsNewIncarnation() {
        table.view(List.of("addr-a", "old-b"), 0);
        table.announced("old-b", node("b", "S", 1), 0);
        // b restarted: a new address joins while the old one is not suspected yet
        table.view(List.of("addr-a", "old-b", "new-b"), SECOND);
        Members m = table.announced("new-b", node("b", "S", 2), SECOND);
        assertEquals(Set.of("a", "b"), m.live().keySet());
        assertEquals(2, m.live().get("b").incarnation());
        // the old address leaves: b stays live, with the new incarnation
        m = table.view(List.of("addr-a", "new-b"), 2 * SECOND);
        assertNull(m, "nothing changed for the listener");
        assertEquals(2, table.snapshot().live().get("b").incarnation());
    }

    @Test
    void aMemberThatLeftIsForgottenAndUnnamedAgainIfItComesBackSilent() {
        table.view(List.of("addr-a", "addr-b"), 0);
        table.announced("addr-b", node("b", "S", 1), 0);
        Members m = table.view(List.of("addr-a"), SECOND);
        assertEquals(Set.of("a"), m.live().keySet());
        m = table.view(List.of("addr-a", "addr-b"), 2 * SECOND);
        assertEquals(List.of("addr-b"), m.unnamed(), "its old announcement went with it");
    }

    @Test
    void strayAnnouncementsAreKeptForAMinuteOnly() {
        table.view(List.of("addr-a"), 0);
        table.announced("addr-x", node("x", "S", 1), 0);
        table.view(List.of("addr-a"), MemberTable.STRAY_KEEP_NANOS + 1);
        Members m = table.view(List.of("addr-a", "addr-x"), MemberTable.STRAY_KEEP_NANOS + 2);
        assertEquals(List.of("addr-x"), m.unnamed());
    }

    @Test
    void anotherAddressClaimingThisNodesNameIsNotThisNode() {
        table.view(List.of("addr-a", "old-a"), 0);
        Members m = table.announced("old-a", node("a", "S", 0), 0);
        assertEquals(Set.of("a"), m.live().keySet());
        assertEquals(1, m.live().get("a").incarnation(), "this node's own previous incarnation is not this node");
        assertEquals(List.of(), m.unnamed(), "but it has said who it is");
    }
}
