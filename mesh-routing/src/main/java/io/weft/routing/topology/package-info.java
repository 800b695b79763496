/**
 * Multi-hop site routing: the pure building blocks (issue 16; design in {@code
 * shared/research/multihop.md} section 5).
 *
 * <p>Topology and interest are separate databases. This package holds the topology and the
 * forwarding decision; everything is a pure function of its arguments (the clock is a {@code long
 * nowMillis} argument, there are no threads and no I/O), so the simulator can run hundreds of
 * nodes hop by hop:
 * <ul>
 *   <li>{@link io.weft.routing.topology.LinkState}: one node's record of its gateway links,
 *       versioned {@code (incarnation, seq)}, single writer;</li>
 *   <li>{@link io.weft.routing.topology.LinkStateDb}: a node's database of records, with the
 *       anti-entropy digest and summaries, MaxAge, tombstones, and the site graph by the two-way
 *       check;</li>
 *   <li>{@link io.weft.routing.topology.SiteGraph}: sites, confirmed site links and costs,
 *       no-transit sites;</li>
 *   <li>{@link io.weft.routing.topology.TreeComputer} and {@link io.weft.routing.topology.SiteTree}:
 *       one deterministic shortest-path tree per origin site, named by a fingerprint;
 *       {@link io.weft.routing.topology.SiteTrees} holds a graph's trees and
 *       {@link io.weft.routing.topology.TreeCache} those of the last K graphs;</li>
 *   <li>{@link io.weft.routing.topology.Forwarding}: stamping, accepting and forwarding an event
 *       on the tree its header names, with drop reasons;</li>
 *   <li>{@link io.weft.routing.topology.SiteVersion}, {@link io.weft.routing.topology.RelayOrder}
 *       and {@link io.weft.routing.topology.SiteSpeaker}: ordering relayed site aggregates;</li>
 *   <li>{@link io.weft.routing.topology.InterestRelay}: every site's aggregated interest as one
 *       {@link io.weft.routing.topology.SiteInterestRecord} from its speaker, flooded and repaired
 *       like the link state, for sites a node has no link with.</li>
 * </ul>
 *
 * <p>Decisions, and why:
 * <ul>
 *   <li>The fingerprint hashes the tree's parent map only, so a graph change that does not change
 *       a tree does not invalidate events in flight on it.</li>
 *   <li>Ties are broken by cost, then site hops, then the parent's name: the rule every node
 *       applies the same way, and one a brute-force reference can restate independently.</li>
 *   <li>Hashes are defined from characters and constants ({@code TopologyHash}, a copy of the
 *       relevant parts of {@code io.weft.routing.Hash64}), never {@code hashCode()}: they are
 *       compared across nodes.</li>
 * </ul>
 */
package io.weft.routing.topology;
