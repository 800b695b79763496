package io.weft.routing.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.sim.MeshSim.Scenario;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mesh simulation at scale. Seeds are fixed so CI is reproducible; a failure message names
 * its seed, and {@code -Dweft.sim.seed=N} runs each scenario with that seed instead (for example
 * {@code mvn -pl mesh-routing test -Dtest=MeshSimulationTest -Dweft.sim.seed=N}).
 */
class MeshSimulationTest {
    private static final long MS = MeshSim.MS;

    /**
     * 100 sites x 5 nodes: 2 s of subscription churn, 8 crashes with restarts, 2 site partitions
     * and 1% loss, then convergence, then 2000 events checked.
     */
    @Test
    void largeMeshConvergesAndRoutesExactly() {
        run(new Scenario("large", 100, 5, 2000 * MS, 0.01, 0.0, 3, 8, 2, 200, 2000, 30_000 * MS), 1);
    }

    /** 20 sites x 4 nodes with 30% of messages lost during faults and 10% while converging. */
    @Test
    void smallMeshConvergesUnderHeavyLoss() {
        run(new Scenario("heavy-loss", 20, 4, 2000 * MS, 0.30, 0.10, 2, 6, 3, 200, 1000, 60_000 * MS), 2, 3);
    }

    /** Several seeds of a medium mesh with moderate loss: more interleavings for little time. */
    @Test
    void mediumMeshOverSeveralSeeds() {
        run(new Scenario("medium", 12, 3, 2000 * MS, 0.05, 0.02, 2, 5, 3, 100, 500, 30_000 * MS),
                10, 11, 12, 13, 14, 15);
    }

    /**
     * Tight engine bounds and a slow adapter: every delta and site update carries one entry (so a
     * batch becomes a chain of updates, each on the digest the previous one produces), a peer's
     * outbox holds 16 messages, and outboxes are drained every 4th tick only, so they overflow
     * (deltas replaced by a full set, other messages dropped) and anti-entropy must repair.
     */
    @Test
    void mediumMeshWithTightBoundsAndASlowAdapter() {
        run(new Scenario("tight-bounds", 10, 4, 2000 * MS, 0.05, 0.02, 8, 5, 2, 200, 300, 30_000 * MS, 1, 16, 4),
                20, 21);
    }

    /**
     * 40 sites x 5 nodes, 60% of the plain subscriptions filtered, with churn, crashes, partitions
     * and loss, then 3000 events checked: each reaches exactly the subscribers whose pattern matches
     * and whose filter accepts it, and crosses exactly the links that lead to one of them (or to a
     * queue group's member), which is fewer than routing on patterns alone.
     */
    @Test
    void largeMeshWithFiltersSendsOnlyAcceptedEvents() {
        for (MeshSim sim : run(new Scenario("filtered", 40, 5, 2000 * MS, 0.01, 0.0, 3, 6, 2, 200, 3000,
                30_000 * MS).withFilters(60), 41)) {
            assertTrue(sim.crossingsSavedByFilters() > 0, "filters kept no event off a link: the scenario "
                    + "does not exercise the decision's conditions");
        }
    }

    /** Filtered entries through the tight bounds and the slow adapter: one-entry deltas, overflowing outboxes. */
    @Test
    void filteredMeshWithTightBoundsAndASlowAdapter() {
        run(new Scenario("filtered-tight-bounds", 10, 4, 2000 * MS, 0.05, 0.02, 8, 5, 2, 200, 500, 30_000 * MS, 1, 16,
                4).withFilters(70), 42, 43);
    }

    /** Several seeds of a medium mesh where most plain subscriptions are filtered. */
    @Test
    void filteredMediumMeshOverSeveralSeeds() {
        run(new Scenario("filtered-medium", 12, 3, 2000 * MS, 0.05, 0.02, 2, 5, 3, 100, 1000, 30_000 * MS)
                .withFilters(85), 44, 45, 46, 47);
    }

    /** Runs the scenario with each default seed, or only with {@code -Dweft.sim.seed} when given. */
    private static List<MeshSim> run(Scenario scenario, long... defaultSeeds) {
        Long replay = Long.getLong("weft.sim.seed");
        List<MeshSim> sims = new ArrayList<>();
        for (long seed : replay != null ? new long[] {replay} : defaultSeeds) {
            MeshSim sim = new MeshSim(seed, scenario);
            System.out.println(sim.run());
            sims.add(sim);
        }
        return sims;
    }
}
