/**
 * Mesh routing: who wants an event, here and elsewhere in the mesh.
 *
 * <p>This package holds the routing <em>decision logic</em> of a Weft node as plain classes that
 * take inputs and return outputs: no sockets, threads, clocks or randomness of their own, so they
 * can be tested deterministically and simulated at scale (hundreds of sites in one test). The
 * Netty route and gateway links and the membership library are thin adapters around it, in the
 * broker.
 *
 * <p>Today it holds the topic trie:
 * <ul>
 *   <li>{@link io.weft.routing.SubscriptionTrie}: pattern to subscribers (plain and queue
 *       groups), with a bounded match cache kept exact on every add and remove;</li>
 *   <li>{@link io.weft.routing.Match} and {@link io.weft.routing.QueueGroup}: the immutable result
 *       of a match. Choosing the one member of a queue group that gets an event is a routing
 *       decision made by the caller, not by the trie.</li>
 * </ul>
 *
 * <p>Later work adds here the interest table (per node and per site interest sets with versions
 * and their merge rules), gossip deltas and anti-entropy digests, site aggregation (union of
 * patterns with subsumed patterns removed) and the routing decision for a published event.
 *
 * <p>Topic and pattern syntax is defined once, in {@link io.weft.protocol.Topics}; this package
 * depends on {@code protocol} only.
 */
package io.weft.routing;
