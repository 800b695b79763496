/**
 * The node's HTTP port: CloudEvents ingress, the JSON admin API, {@code /metrics} and {@code /healthz}.
 *
 * <p>HTTP/1.1 with keep-alive and pipelining, served on the broker's worker event loops; nothing here
 * blocks; answers that come from elsewhere (durable streams) are awaited without blocking.
 * The pipeline is built by {@link HttpChannelInitializer}:
 * <pre>
 * idle timeout -&gt; HttpServerCodec -&gt; {@link ResponseMetrics} -&gt; keep-alive
 *     -&gt; {@link PayloadLimitAggregator} -&gt; {@link RequestDispatcher}
 * </pre>
 *
 * <h2>Ingress ({@link EventsEndpoint})</h2>
 * {@code POST /v1/events} (topic = the event's {@code type}) and {@code POST /v1/topics/{topic}/events}
 * (topic from the path, percent-decoded) accept the three content modes of the CloudEvents HTTP binding:
 * <ul>
 *   <li>binary: {@code ce-*} headers, {@code Content-Type} = datacontenttype, body = data
 *       ({@link BinaryModeReader}); header values are percent-decoded as the binding requires, and
 *       other {@code ce-*} headers become string extensions;</li>
 *   <li>structured: {@code Content-Type: application/cloudevents+json} ({@link JsonEventReader});</li>
 *   <li>batched: {@code Content-Type: application/cloudevents-batch+json}, a non-empty JSON array.</li>
 * </ul>
 * A request is all-or-nothing: every event of a batch is parsed and checked (attributes, topic, wire
 * limits) before the first one is published. Success is {@code 202 {"accepted":N,"delivered":M}} where
 * M counts the local subscriptions reached. In structured mode a JSON {@code data} member with no
 * {@code datacontenttype} is published with {@code datacontenttype: application/json}, as the JSON
 * event format says to assume.
 *
 * <p>With {@code ?ack=stream} the same requests are published durably
 * ({@link HttpContext.DurablePublisher}) and answered once every event is acknowledged by a stream:
 * {@code 201 {"stream","seq","duplicate"}} for one event, {@code 201 {"acks":[...]}} for a batch, or
 * {@code 503} problem {@code not-stored} (with {@code index} in a batch) when one was not stored, or
 * {@code 504} problem {@code outcome-unknown} when a stream may have stored it; retrying is safe,
 * the stream drops duplicates by source and id. Another {@code ack} value is a
 * {@code 400} problem with {@code field: ack}.
 *
 * <h2>Streams</h2>
 * {@code GET}, {@code POST} and {@code DELETE} on {@code /v1/streams} and {@code /v1/streams/...} are
 * passed to the node's stream API ({@link HttpContext.StreamApi}) with the raw URI and body; its status
 * and JSON body are the answer. See {@code docs/streams.md}.
 *
 * <h2>Asynchronous answers and ordering</h2>
 * Stream API and {@code ?ack=stream} answers complete on other threads. While one is pending the
 * connection is not read; requests already decoded wait in {@link RequestDispatcher}'s queue, and each
 * answer is written on the connection's event loop, so pipelined requests are answered in order (413s
 * decided by {@link PayloadLimitAggregator} included).
 *
 * <h2>Errors</h2>
 * Every error is an RFC 9457 {@code application/problem+json} body ({@link HttpProblem}) with
 * {@code type}, {@code title}, {@code status}, {@code detail} and, where it applies, {@code field} (the
 * offending attribute, {@code topic} or {@code body}) and {@code index} (the batch element). Bad input
 * is answered, counted and never logged with a stack trace; only the request that sent it is affected.
 *
 * <h2>Bounds</h2>
 * <ul>
 *   <li>Bodies over {@code --max-payload} get {@code 413}: by {@code Content-Length} before any byte
 *       is buffered, by counting for chunked bodies. The rest of that body is read and discarded so a
 *       keep-alive connection stays usable; a rejected {@code Expect: 100-continue} request and a
 *       client that asked for {@code Connection: close} get the 413 and then the connection is closed.</li>
 *   <li>Request line 8 KiB, headers 32 KiB (431/414 and close, as the parser cannot resync).</li>
 *   <li>A connection whose responses pile up unread stops being read until they drain; an idle
 *       connection is closed after {@link HttpChannelInitializer#IDLE_TIMEOUT_SECONDS}.</li>
 * </ul>
 *
 * <h2>Admin</h2>
 * {@code GET /v1/node} (the node's description, with its view's {@code health}), {@code GET /healthz}
 * (200 ready; 503 starting or degraded, with the reasons),
 * {@code GET /metrics} (Prometheus text format 0.0.4 of the broker's registry, including
 * {@code weft_http_requests_total{code="2xx"|"4xx"|"5xx"}} counted here).
 */
package io.weft.broker.http;
