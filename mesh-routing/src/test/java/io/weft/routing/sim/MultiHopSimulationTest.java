package io.weft.routing.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.sim.MultiHopSim.Scenario;
import io.weft.routing.sim.MultiHopSim.Topology;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Multi-hop site routing in the seeded simulator (issue 16): events hop by hop over chains, rings,
 * grids, hub and spoke and random graphs while links are cut, flap and nodes crash. Seeds are fixed
 * so CI is reproducible; a failure message names its seed, and {@code -Dweft.sim.seed=N} runs each
 * scenario with that seed instead.
 */
class MultiHopSimulationTest {
    private static final long MS = MultiHopSim.MS;

    /** 100 sites x 5 nodes, random graph of degree 3: cuts with alternate paths, flaps, crashes, a partition, 2% loss. */
    @Test
    void largeRandomGraph() {
        run(new Scenario("random-100", Topology.RANDOM_3, 100, 5, 0, 6000 * MS, 6, 2, 4, 1, 2, 0.02, 0.0, 600, 600,
                30_000 * MS, false), 1);
    }

    /** 100 sites x 5 nodes: 10 meshed hubs, 90 no-transit edges with one or two uplinks. */
    @Test
    void largeHubAndSpoke() {
        run(new Scenario("hub-spoke-100", Topology.HUB_SPOKE, 100, 5, 10, 6000 * MS, 6, 2, 4, 1, 2, 0.02, 0.0, 600, 600,
                30_000 * MS, false), 2);
    }

    @Test
    void chainsWithAnEdgeAtOneEnd() {
        run(new Scenario("chain-8", Topology.CHAIN, 8, 3, 0, 3000 * MS, 3, 1, 3, 1, 1, 0.05, 0.01, 300, 300,
                30_000 * MS, true), 11, 12, 13);
    }

    @Test
    void rings() {
        run(new Scenario("ring-12", Topology.RING, 12, 3, 0, 3000 * MS, 4, 2, 2, 1, 2, 0.05, 0.01, 300, 300,
                30_000 * MS, true), 21, 22, 23);
    }

    /** A 4x4 grid of unit costs: many equal-cost ties for the tie-breaking. */
    @Test
    void grids() {
        run(new Scenario("grid-16", Topology.GRID, 16, 3, 0, 3000 * MS, 4, 2, 2, 1, 2, 0.05, 0.01, 300, 300,
                30_000 * MS, true), 31, 32, 33);
    }

    @Test
    void smallHubAndSpoke() {
        run(new Scenario("hub-spoke-20", Topology.HUB_SPOKE, 20, 3, 3, 3000 * MS, 4, 2, 3, 1, 2, 0.05, 0.01, 300, 300,
                30_000 * MS, true), 41, 42, 43);
    }

    @Test
    void smallRandomGraphs() {
        run(new Scenario("random-30", Topology.RANDOM_3, 30, 3, 0, 3000 * MS, 4, 2, 3, 1, 2, 0.05, 0.01, 300, 300,
                30_000 * MS, true), 51, 52, 53, 54);
    }

    /** 20% of link-state and anti-entropy messages lost during faults, 5% while converging: anti-entropy must repair. */
    @Test
    void heavyControlLoss() {
        run(new Scenario("lossy-random-20", Topology.RANDOM_3, 20, 3, 0, 3000 * MS, 4, 2, 3, 1, 2, 0.20, 0.05, 300, 300,
                30_000 * MS, true), 61, 62);
    }

    /** Links that flap faster than the heartbeat timeout, over and over, on a ring (every cut has an alternate path). */
    @Test
    void flappingLinks() {
        run(new Scenario("flapping-ring-10", Topology.RING, 10, 3, 0, 4000 * MS, 0, 10, 0, 0, 0, 0.0, 0.0, 400, 300,
                30_000 * MS, true), 71, 72);
    }

    /**
     * Failover time (multihop.md 5.11, invariant 9): single cuts 1.6 s apart, each of a link with an
     * alternate path, under a steady stream of events (one every 4 ms), no loss: the loss window of
     * each cut is about the heartbeat timeout, then traffic takes the other path.
     */
    @Test
    void failoverAfterSingleCuts() {
        for (MultiHopSim sim : run(new Scenario("failover-random-30", Topology.RANDOM_3, 30, 3, 0, 8000 * MS, 5, 0, 0, 0,
                0, 0.0, 0.0, 2000, 300, 30_000 * MS, true), 81, 82, 83)) {
            assertTrue(sim.maxLossWindowMs() <= MultiHopSim.HEARTBEAT_TIMEOUT_NANOS / MS + 250,
                    "a loss window of " + sim.maxLossWindowMs() + " ms");
        }
    }

    private static List<MultiHopSim> run(Scenario scenario, long... defaultSeeds) {
        Long replay = Long.getLong("weft.sim.seed");
        List<MultiHopSim> sims = new ArrayList<>();
        for (long seed : replay != null ? new long[] {replay} : defaultSeeds) {
            MultiHopSim sim = new MultiHopSim(seed, scenario);
            System.out.println(sim.run());
            assertTrue(sim.steadyEvents() > 0, "seed " + seed + ": no event checked after convergence");
            sims.add(sim);
        }
        return sims;
    }
}
