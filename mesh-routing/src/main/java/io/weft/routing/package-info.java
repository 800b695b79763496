/**
 * Mesh routing: who wants an event, here and elsewhere in the mesh.
 *
 * <p>This package holds the routing <em>decision logic</em> of a Weft node as plain classes that
 * take inputs and return outputs: no sockets, threads, clocks or randomness of their own, so they
 * can be tested deterministically and simulated at scale (hundreds of sites in one test). The
 * Netty route and gateway links and the membership library are thin adapters around it, in
 * {@link io.weft.routing.net}; the broker's mesh node wires them together.
 *
 * <p>It holds the topic trie:
 * <ul>
 *   <li>{@link io.weft.routing.SubscriptionTrie}: pattern to subscribers (plain and queue
 *       groups), with a bounded match cache kept exact on every add and remove;</li>
 *   <li>{@link io.weft.routing.Match} and {@link io.weft.routing.QueueGroup}: the immutable result
 *       of a match. Choosing the one member of a queue group that gets an event is a routing
 *       decision made by the caller, not by the trie.</li>
 * </ul>
 *
 * <p>And the interest gossip and routing decision, driven by the broker's mesh adapter:
 * <ul>
 *   <li>{@link io.weft.routing.InterestEngine}: one node's pure state machine. Local subscriptions,
 *       membership changes, received {@link io.weft.routing.MeshMessage}s and ticks go in; messages
 *       to send ({@link io.weft.routing.Outgoing}), link targets, readiness, the interest table
 *       ({@link io.weft.routing.InterestSnapshot}) and per-event
 *       {@link io.weft.routing.RouteDecision}s come out;</li>
 *   <li>{@link io.weft.routing.MeshCodec}: the wire format of the gossip (type codes
 *       {@code 0x40..0x46}, specified in its javadoc);</li>
 *   <li>inside: {@code SiteAggregate} and {@code PatternIndex} (site interest, subsumption),
 *       {@code RemoteSites} (copies of other sites' interest), {@code RouteTable} (one trie of
 *       every target, the hop rules), {@code LocalInterest}, {@code Outbox} (bounded).</li>
 * </ul>
 *
 * <p>Decisions beyond the architecture ({@code docs/architecture.md}), and why:
 * <ul>
 *   <li>A site digest is a commutative 64-bit set hash (the sum of per-entry hashes, finalised with
 *       the count; {@code Hash64}): the same set gives the same digest on every node, as a hash of
 *       the sorted entries would, and it follows each change in O(1).</li>
 *   <li>A site update applies only to a copy at its base digest. One that arrives early (updates of
 *       a site reach a node over as many paths as the site has nodes) is held for a tenth of the
 *       gossip interval before the node asks for a full set; a node that is asked about a digest
 *       its own view had a moment ago does not answer with a full set, since the updates are on
 *       their way. Questions go to the asker's own gateway peer, which always has a link.</li>
 *   <li>A node whose view of its own site is partial (just started, not yet synced with a site
 *       peer) neither announces site changes nor answers for its site; once synced it announces its
 *       own entries as a change of the aggregate of its peers.</li>
 *   <li>Gateway peers are chosen by rendezvous hashing on (chooser, candidate): reproducible,
 *       spread over the site, and moved only for the nodes whose gateway left.</li>
 *   <li>Readiness is computed, not latched: synced with a site peer (or alone in the site after a
 *       gossip round) and a confirmed digest of every known remote site.</li>
 * </ul>
 * The simulation in the tests ({@code io.weft.routing.sim}) runs hundreds of engines over a
 * faulty in-memory network and checks convergence, exact delivery and no traffic without interest.
 *
 * <p>Topic and pattern syntax is defined once, in {@link io.weft.protocol.Topics}; this package
 * depends on {@code protocol} only.
 */
package io.weft.routing;
