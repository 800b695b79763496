package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ViewCheckTest {
    private static final long SECOND = 1_000_000_000L;
    private final ViewCheck check = new ViewCheck("a1", "A", 10 * SECOND, 5 * SECOND);

    private static NodeInfo node(String name, String site) {
        return new NodeInfo(name, site, 1, "h:1", "h:2", "h:3", "h:4", "h:5");
    }

    private static Members members(List<String> unnamed, String... names) {
        Map<String, NodeInfo> live = new TreeMap<>();
        live.put("a1", node("a1", "A"));
        for (String n : names) {
            live.put(n, node(n, n.substring(0, 1).toUpperCase()));
        }
        return new Members(live, unnamed);
    }

    private static ViewCheck.Observed whole() {
        return new ViewCheck.Observed(members(List.of(), "a2", "b1", "b2"), Set.of("a2"), Set.of("b1"),
                Map.of("B", "b1"), Set.of("a2", "b1"), Set.of("b1"));
    }

    private static Set<String> keys(List<ViewCheck.Problem> ps) {
        return ps.stream().map(ViewCheck.Problem::key).collect(Collectors.toSet());
    }

    @Test
    void aWholeMeshHasNoProblem() {
        assertTrue(check.check(whole(), 0).consistent());
    }

    @Test
    void eachDisagreementIsNamed() {
        ViewCheck.Observed o = new ViewCheck.Observed(members(List.of("uuid-9"), "a2", "a3", "b1", "c1"),
                Set.of("a2"), Set.of(), Map.of("B", "b1"), Set.of("a2", "x7"), Set.of("b1", "s9"));
        ViewCheck.Result r = check.check(o, 0);
        assertEquals(Set.of("UNNAMED_MEMBER uuid-9", "NO_ROUTE a3", "NO_GATEWAY B", "NO_GATEWAY C",
                "LINKED_NOT_MEMBER x7", "SEED_NOT_MEMBER s9"), keys(r.problems()));
        assertTrue(r.problems().stream().anyMatch(p -> p.detail().contains("no gateway peer chosen")),
                "site C has no gateway peer at all");
    }

    @Test
    void aProblemIsStuckOnlyPastTheBoundAndLoggedOnce() {
        ViewCheck.Observed split = new ViewCheck.Observed(members(List.of(), "a2"), Set.of(), Set.of(), Map.of(),
                Set.of(), Set.of());
        ViewCheck.Result r = check.check(split, 0);
        assertEquals(1, r.problems().size());
        assertEquals(List.of(), r.newlyStuck());
        assertEquals(List.of(), check.repairsDue(SECOND), "not stuck yet: nothing to repair");
        r = check.check(split, 9 * SECOND);
        assertEquals(List.of(), r.newlyStuck());
        r = check.check(split, 10 * SECOND);
        assertEquals(Set.of("NO_ROUTE a2"), keys(r.newlyStuck()));
        assertEquals(0, r.problems().get(0).sinceNanos(), "the problem keeps the time it was first seen");
        assertEquals(Set.of("NO_ROUTE a2"), keys(check.stuck()));
        r = check.check(split, 11 * SECOND);
        assertEquals(List.of(), r.newlyStuck(), "logged once");
    }

    @Test
    void repairsArePacedWhileAProblemLasts() {
        ViewCheck.Observed split = new ViewCheck.Observed(members(List.of("uuid-1")), Set.of(), Set.of(), Map.of(),
                Set.of(), Set.of());
        check.check(split, 0);
        check.check(split, 10 * SECOND);
        assertEquals(1, check.repairsDue(10 * SECOND).size());
        assertEquals(0, check.repairsDue(12 * SECOND).size());
        assertEquals(1, check.repairsDue(15 * SECOND).size());
    }

    @Test
    void aStuckProblemThatGoesAwayIsReportedRepairedOnce() {
        ViewCheck.Observed split = new ViewCheck.Observed(members(List.of(), "a2"), Set.of(), Set.of(), Map.of(),
                Set.of(), Set.of());
        check.check(split, 0);
        check.check(split, 10 * SECOND);
        ViewCheck.Observed healed = new ViewCheck.Observed(members(List.of(), "a2"), Set.of("a2"), Set.of(), Map.of(),
                Set.of("a2"), Set.of());
        ViewCheck.Result r = check.check(healed, 12 * SECOND);
        assertTrue(r.consistent());
        assertEquals(Set.of("NO_ROUTE a2"), keys(r.repaired()));
        assertEquals(List.of(), check.check(healed, 13 * SECOND).repaired());
        assertEquals(List.of(), check.stuck());
    }

    @Test
    void aTransientProblemThatComesBackStartsItsClockAgain() {
        ViewCheck.Observed split = new ViewCheck.Observed(members(List.of(), "a2"), Set.of(), Set.of(), Map.of(),
                Set.of(), Set.of());
        ViewCheck.Observed healed = new ViewCheck.Observed(members(List.of(), "a2"), Set.of("a2"), Set.of(), Map.of(),
                Set.of("a2"), Set.of());
        check.check(split, 0);
        check.check(healed, 5 * SECOND);
        ViewCheck.Result r = check.check(split, 9 * SECOND);
        assertEquals(9 * SECOND, r.problems().get(0).sinceNanos());
        assertEquals(List.of(), check.check(split, 15 * SECOND).newlyStuck());
    }
}
