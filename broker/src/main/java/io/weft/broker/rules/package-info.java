/**
 * The pure parts of event rules' HTTP delivery (issue 15, items 4 and 6): how a subscription's events
 * are shaped, encoded as HTTP requests, retried and dead-lettered. Nothing here opens a socket, starts
 * a thread or reads a clock: the sender passes in the event, the attempt's result, the time and a
 * random generator, and gets back what to send or what to do next. Everything is parsed and checked
 * once, when the subscription is created or updated.
 *
 * <h2>One delivery</h2>
 * <pre>
 * CloudEvent  --Transform.apply-------------&gt;  CloudEvent (data and datacontenttype replaced)
 *             --HttpBinding.encode----------&gt;  method, headers, body
 *             --the sender, within timeout--&gt;  AttemptResult: a status (+ Retry-After), timeout, no connection
 *             --RetryDecision.decide--------&gt;  DeliveryOutcome: Success | RetryAt(instant) | DeadLetter(topic)
 *                                                                | Drop | Pause
 * </pre>
 * ({@link io.weft.broker.rules.Transform}, {@link io.weft.broker.rules.HttpBinding},
 * {@link io.weft.broker.rules.AttemptResult}, {@link io.weft.broker.rules.RetryDecision},
 * {@link io.weft.broker.rules.DeliveryOutcome}.)
 *
 * <p>A {@code DeadLetter} outcome is published on its topic as
 * {@link io.weft.broker.rules.DeadLetters#event}: the original event plus {@code weftsubscription},
 * {@code weftstatus} ({@code "503"}, {@code "timeout"}, {@code "connect"}), {@code weftattempts} and
 * {@code weftreason} ({@code retries-exhausted}, {@code not-retriable}).
 *
 * <h2>The subscription's members read here</h2>
 * <pre>
 * {
 *   "sink": "https://hooks.example.com/orders",
 *   "protocol": "HTTP",
 *   "protocolsettings": {
 *     "method": "POST",                              // POST (default), PUT, PATCH
 *     "headers": {"Authorization": "Bearer s3cr3t"}, // not ce-*, Content-Type or framing headers
 *     "contentmode": "binary"                        // binary (default) or structured
 *   },
 *   "delivery": {
 *     "retry": 10,                                   // every member optional; these are the defaults
 *     "backoffPolicy": "exponential",
 *     "backoffDelay": "PT0.5S",
 *     "backoffMax": "PT60S",
 *     "timeout": "PT10S",
 *     "retryAfterMax": "PT60S",                      // default: backoffMax
 *     "deadLetterTopic": "orders.dead"               // default: none (given-up events are dropped, counted)
 *   },
 *   "transform": {
 *     "kind": "template",
 *     "format": "json",
 *     "inputs": {"id": "$.data.order.id", "total": "$.data.order.total", "source": "$.source"},
 *     "template": "{\"text\": \"Order &lt;id&gt; from &lt;source&gt;\", \"total\": &lt;total&gt;}"
 *   }
 * }
 * </pre>
 * An order event with data {@code {"order": {"id": "A-\"1\"", "total": 12.50}}} from {@code /shop} is
 * then sent with data {@code {"text": "Order A-\"1\" from /shop", "total": 12.50}}, datacontenttype
 * {@code application/json}, in binary mode, and retried on failure as below.
 *
 * <p>Each parser ({@link io.weft.broker.rules.DeliveryPolicy#fromJson},
 * {@link io.weft.broker.rules.HttpBinding#fromJson}, {@link io.weft.broker.rules.Transform#fromJson})
 * takes the member's JSON (absent or null: the defaults) and throws
 * {@link io.weft.broker.rules.InvalidRuleException} naming the member's path
 * ({@code delivery.backoffDelay: not an ISO-8601 duration: 'P5' ...}), which the API answers as a 400
 * problem with that {@code field}. Unknown members are errors, so a typo is not a silent default. Each
 * has {@code toJson()}: the realized object with the defaults filled in, which the API returns and the
 * parser reads back unchanged (so an unchanged {@code meshctl apply} compares equal).
 *
 * <h2>Defaults, and why</h2>
 * <table>
 *   <caption>delivery</caption>
 *   <tr><th>member</th><th>default</th><th>range</th><th>why</th></tr>
 *   <tr><td>retry</td><td>10</td><td>0..200</td><td>with the default backoff the retries wait 0.5, 1,
 *       2, 4, 8, 16, 32, 60, 60, 60 s: up to about 4 minutes (3 on average with the jitter), enough to
 *       ride out a sink's restart or deploy without the operator configuring anything. 3 retries would
 *       give up after 3.5 s, Knative's unset retry never retries, and EventBridge's 24 h belongs to
 *       durable subscriptions and dead-letter topics, not to a default</td></tr>
 *   <tr><td>backoffPolicy</td><td>exponential</td><td>linear, exponential</td><td>the congestion control
 *       the Knative data-plane spec asks senders for; EventBridge does the same</td></tr>
 *   <tr><td>backoffDelay</td><td>PT0.5S</td><td>1 ms..1 h</td><td>Knative's documented example; the
 *       first retry waits it</td></tr>
 *   <tr><td>backoffMax</td><td>PT60S (or backoffDelay if larger)</td><td>backoffDelay..1 h</td><td>keeps
 *       a long outage probed once a minute rather than ever more rarely</td></tr>
 *   <tr><td>timeout</td><td>PT10S</td><td>(0, 5 min]</td><td>GitHub's webhook timeout; a slow sink
 *       holds one of its bounded concurrent slots meanwhile</td></tr>
 *   <tr><td>retryAfterMax</td><td>backoffMax</td><td>0..1 h</td><td>issue 15: Retry-After capped by
 *       backoffMax; PT0S ignores the header, as in Knative</td></tr>
 *   <tr><td>deadLetterTopic</td><td>none</td><td>a topic, no wildcard, not {@code _weft.*}</td><td>a
 *       stream capturing it stores the dead letters</td></tr>
 * </table>
 *
 * <h2>Retries ({@link io.weft.broker.rules.RetryDecision})</h2>
 * 2xx succeeds. 404, 408, 409, 429, 5xx, timeouts and failed connections are retried; 410 pauses the
 * subscription; 1xx, 3xx (redirects are not followed) and the other 4xx are not retried and go to the
 * dead-letter topic at once (or are dropped). After {@code retry} retries the event is given up the
 * same way. Retry n (1 for the first) waits {@code backoffDelay * n} (linear) or
 * {@code backoffDelay * 2^(n-1)} (exponential), capped at backoffMax, with <b>equal jitter</b>: uniform
 * in {@code [d/2, d]}. Full jitter ({@code [0, d]}) spreads load slightly better but may retry a sink
 * that has just failed at once and blurs linear against exponential; equal jitter keeps half the
 * configured wait as a floor and still spreads the many events of one outage over half a window. A 429
 * or 503 with {@code Retry-After} (delta-seconds or HTTP-date) waits the longer of the backoff and the
 * Retry-After capped at retryAfterMax; a Retry-After in the past, zero or unparsable changes nothing.
 *
 * <h2>Transforms ({@link io.weft.broker.rules.Transform})</h2>
 * <pre>
 * {"kind": "original"}                                   // default: the event unchanged
 * {"kind": "data"}                                       // the payload alone: binary mode always
 * {"kind": "constant", "value": "ping"}                  // text/plain; charset=utf-8
 * {"kind": "constant", "value": {"ping": true}}          // application/json
 * {"kind": "jsonpath", "path": "$.data.order.id", "default": "none"}   // application/json; default null
 * {"kind": "template", "format": "json" | "text", "inputs": {"name": "$.path"}, "template": "... &lt;name&gt; ..."}
 * </pre>
 * Paths ({@link io.weft.broker.rules.JsonPath}: {@code .name}, {@code [n]}, {@code ['key']}, one value
 * only) read the event in the CloudEvents JSON format: {@code $.id}, {@code $.source}, an extension
 * {@code $.tenant}, the data at {@code $.data...}, {@code $} the whole event; as in RocketMQ EventBridge
 * ({@code $.data}) and EventBridge (paths from the event's root), and with no second syntax for
 * attributes. A path that selects nothing gives JSON null (jsonpath: its {@code default}); in a text
 * template or inside a JSON string, nothing. The attributes are kept, datacontenttype follows the
 * output, and dataschema is dropped when the data is replaced (it described the old data).
 *
 * <p>JSON templates escape: a value inside a JSON string is inserted JSON-escaped, a value in a value's
 * place is inserted as JSON (a string quoted), so no data can break the output, unlike EventBridge,
 * which inserts values raw. A template that could render invalid JSON is refused at creation with its
 * line and column ({@link io.weft.broker.rules.CompiledTemplate}).
 *
 * <h2>The subscription ({@link io.weft.broker.rules.SubscriptionSpec})</h2>
 * One rule as {@code POST /v1/subscriptions} creates it and the mesh stores it: the CloudEvents
 * Subscriptions API resource ({@code types}, {@code source}, {@code filters}, {@code sink},
 * {@code sinkcredential}, {@code protocol}, {@code protocolsettings}) plus Weft's {@code topic},
 * {@code mode}, {@code site}, {@code delivery}, {@code transform}, {@code ordered} and
 * {@code concurrency}. The realized object the API returns, every default filled in:
 * <pre>
 * {
 *   "id": "k3v9x0q2m7c4h8w1z5ab",
 *   "types": ["com.shop.order.created", "com.shop.order.paid"],
 *   "source": "/shop",
 *   "filters": [{"sql": "amount &gt; 100"}],
 *   "sink": "https://hooks.example.com/orders",
 *   "sinkcredential": {"credentialtype": "ACCESSTOKEN", "accesstokentype": "bearer"},
 *   "protocol": "HTTP",
 *   "protocolsettings": {"method": "POST", "headers": {"X-Tenant": "shop-1"}, "contentmode": "binary"},
 *   "topic": "orders.&gt;",
 *   "mode": "durable",
 *   "site": "eu-1",
 *   "delivery": {"retry": 10, "backoffPolicy": "exponential", "backoffDelay": "PT0.5S", "backoffMax": "PT1M",
 *                "timeout": "PT10S", "retryAfterMax": "PT1M", "deadLetterTopic": "orders.dead"},
 *   "transform": {"kind": "original"},
 *   "ordered": false,
 *   "concurrency": 16
 * }
 * </pre>
 * The server assigns the id (a body's {@code id} is ignored, as the spec requires). The credential's
 * {@code accesstoken} or {@code secret} is write-only: the API leaves it out, storage keeps it; it is
 * sent as {@code Authorization: Bearer} or HTTP Basic. Only {@code protocol: "HTTP"} is served, and a
 * non-empty {@code config} is refused (Weft routes events, it does not generate them).
 *
 * <p>The mesh routes a rule by its {@code topic} with
 * {@link io.weft.broker.rules.SubscriptionSpec#routingFilter}: the types ({@code any} of {@code exact}),
 * the source ({@code exact}) and the filters ANDed into one filter list, whose canonical text joins the
 * interest gossip, so an event no rule downstream accepts does not cross a link.
 *
 * <h2>The delivery engine ({@link io.weft.broker.rules.SinkDispatcher})</h2>
 * One per node, running the best-effort deliveries of the subscriptions the node delivers. Each is
 * opened with a {@link io.weft.broker.rules.SinkTarget} (sink, binding, credential headers, policy,
 * transform, ordered, concurrency, queue capacity) and fed by the routing thread with
 * {@code offer(id, event)}; the attempts go out through an {@link io.weft.broker.rules.HttpSender}
 * ({@link io.weft.broker.rules.JdkHttpSender}: HTTP/1.1, no redirects, the timeout over the whole
 * exchange).
 * <pre>
 * offer --&gt; queue (FIFO, queueCapacity) --&gt; slot (concurrency; 1 if ordered) --&gt; encode, send, decide
 *   |                                            ^                                   |
 *   | full, paused: false (dropped)              +--- RetryAt: wait, slot kept -------+
 *                                                Success, DeadLetter, Drop: slot freed
 *                                                Pause (410): back to the queue's head, subscription paused
 * </pre>
 * <ul>
 *   <li><b>Queueing.</b> An offer never blocks and never sends: it queues the event (or refuses it when
 *       the queue is full, the subscription paused or closed: {@code false}, counted as dropped) and hands
 *       the start of an attempt to the {@link io.weft.broker.rules.Scheduler}. The default capacity,
 *       1000, absorbs a second of 1k/s while the sink is slower.</li>
 *   <li><b>Concurrency.</b> An event holds a slot from leaving the queue until it is delivered,
 *       dead-lettered or given up, waits between retries included: at most {@code concurrency} (default
 *       16) requests per subscription are on the wire or waiting to be retried, and a subscription holds at
 *       most {@code queueCapacity + concurrency} events and a 17 KB latency histogram.</li>
 *   <li><b>Ordering.</b> {@code ordered: true} has one slot: the next event leaves the queue only when the
 *       previous one is delivered, dead-lettered or dropped, so a retried event keeps its place and the
 *       sink sees the events in offer order (a given-up event does not hold back the rest). Without it,
 *       events complete in any order; retries are jittered.</li>
 *   <li><b>Pause.</b> A 410 pauses the subscription: its event returns to the head of the queue, offers
 *       are refused, nothing new is sent (requests already on the wire finish; retries falling due go back
 *       to the queue). The status shows {@code paused} and {@code pausedSince}; {@code resume(id)} sends
 *       again, starting with the event that got the 410.</li>
 *   <li><b>Threads.</b> Attempts (transform, encode, send), result handling and retries run on the
 *       scheduler's small pool; the sender completes on its own. No lock is held while encoding, sending,
 *       publishing a dead letter or scheduling, and each subscription has its own lock, so a slow or dead
 *       sink fills only its own queue and slots: other subscriptions and the routing thread go on.</li>
 *   <li><b>Best effort: what is lost, and counted.</b> Events refused by a full queue or a pause
 *       ({@code dropped}); events given up without a dead-letter topic, or whose dead letter could not be
 *       published ({@code failed}); and, when a subscription is closed on this node (it moved, or the
 *       node stops), every event queued or in flight ({@code dropped}; a request already on the wire may
 *       still arrive). Nothing is written anywhere: a durable subscription reads from a stream consumer
 *       instead and stays behind on its cursor.</li>
 *   <li><b>Completion.</b> For durable delivery, {@code offer(id, event, done)} tells {@code done} once
 *       what became of each event it accepted (never of a refused one), with no lock held:
 *       {@code DELIVERED}, {@code DEAD_LETTERED} or {@code GIVEN_UP}, which the caller acknowledges at its
 *       stream consumer, or {@code ABANDONED} (closed while queued, on the wire or waiting for a retry),
 *       which it leaves unacknowledged so the stream delivers it again: at least once. A 410 ends nothing:
 *       the event waits at the queue's head until resumed (it goes on) or closed (abandoned).
 *       {@code freeCapacity(id)} (free queue places plus free slots, 0 when paused) sizes the caller's
 *       next pull so that no offer is refused.</li>
 *   <li><b>Seeing it.</b> {@link io.weft.broker.rules.SinkStatus} per subscription: attempts,
 *       delivered, retried, failed, deadLettered, dropped, queued, in flight, the pause, the last status
 *       and error, and the latency percentiles (first attempt to 2xx) of the delivered events, as a record
 *       and as JSON; {@code statuses()} gives them all for {@code /metrics}.</li>
 * </ul>
 */
package io.weft.broker.rules;
