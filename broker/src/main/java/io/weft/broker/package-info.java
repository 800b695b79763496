/**
 * {@code meshd}, the broker node: {@link io.weft.broker.Broker} binds the ports and composes the
 * parts; {@code ClientSession} speaks the native protocol to one client; {@link io.weft.broker.Router}
 * matches published events against the topic trie and hands them to each subscriber's
 * {@code Outbound}, the bounded per-connection queue that applies the slow-consumer policy
 * (drop and count past the budget, close with {@code SLOW_CONSUMER} past the timeout);
 * {@link io.weft.broker.MeshdConfig} holds and validates every setting.
 */
package io.weft.broker;
