/**
 * A deterministic, seeded simulation of a whole Weft mesh over an in-memory network, to test the
 * interest gossip and routing decisions of {@link io.weft.routing.InterestEngine} at scale (hundreds
 * of nodes) under loss, reordering, partitions, crashes and restarts, with subscriptions that may
 * carry event filters. A failing run prints its seed; {@code -Dweft.sim.seed=N} replays it.
 */
package io.weft.routing.sim;
