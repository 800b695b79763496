/**
 * The Weft Java client. {@link io.weft.client.MeshClient#connect} returns a connected client;
 * {@link io.weft.client.ClientOptions} holds its settings. Publishing goes through a bounded,
 * pipelined outbound buffer ({@code Outbox}); delivered events reach handlers through a bounded
 * dispatcher that stops reading the socket when handlers fall behind ({@code Dispatcher}).
 *
 * <p>Nearest broker: {@code BrokerConnector} opens connections to up to 16 candidates at once (the
 * configured servers and the nodes listed in brokers' INFO), takes each one's time from connect to
 * INFO as its round trip, and keeps the best as ranked by the pure {@code BrokerSelector} (ready,
 * then same site, then round trip, then address); the others are closed. What was considered is
 * {@link io.weft.client.MeshClient#candidates()}, a list of {@link io.weft.client.BrokerCandidate}.
 */
package io.weft.client;
