package io.weft.routing.sim;

import io.weft.routing.sim.MeshSim.Scenario;
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

    /** Runs the scenario with each default seed, or only with {@code -Dweft.sim.seed} when given. */
    private static void run(Scenario scenario, long... defaultSeeds) {
        Long replay = Long.getLong("weft.sim.seed");
        for (long seed : replay != null ? new long[] {replay} : defaultSeeds) {
            System.out.println(new MeshSim(seed, scenario).run());
        }
    }
}
