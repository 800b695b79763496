/**
 * The Weft Java client. {@link io.weft.client.MeshClient#connect} returns a connected client;
 * {@link io.weft.client.ClientOptions} holds its settings. Publishing goes through a bounded,
 * pipelined outbound buffer ({@code Outbox}); delivered events reach handlers through a bounded
 * dispatcher that stops reading the socket when handlers fall behind ({@code Dispatcher}).
 */
package io.weft.client;
