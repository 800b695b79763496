package io.weft.broker;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The broker's Prometheus metrics, registered in a registry of its own (not the global default, so
 * several brokers can live in one JVM in tests). Hot-path data points are resolved once here.
 */
public final class BrokerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    {
        io.prometheus.metrics.instrumentation.jvm.JvmMetrics.builder().register(registry);
    }

    final Gauge connections = Gauge.builder().name("weft_connections")
            .help("Open client connections").register(registry);
    final Counter connectionsOpened = Counter.builder().name("weft_connections_opened")
            .help("Client connections accepted since start").register(registry);
    final Gauge subscriptions = Gauge.builder().name("weft_subscriptions")
            .help("Active client subscriptions").register(registry);
    private final Counter eventsIn = Counter.builder().name("weft_events_in")
            .help("Events published into this node, by ingress").labelNames("ingress").register(registry);
    private final Counter bytesIn = Counter.builder().name("weft_bytes_in")
            .help("Encoded event bytes published into this node, by ingress").labelNames("ingress")
            .register(registry);
    final Counter eventsOut = Counter.builder().name("weft_events_out")
            .help("Events delivered to local subscribers").register(registry);
    final Counter bytesOut = Counter.builder().name("weft_bytes_out")
            .help("Frame bytes delivered to local subscribers").register(registry);
    final Counter slowConsumerDrops = Counter.builder().name("weft_slow_consumer_drops")
            .help("Events dropped because a subscriber's outbound budget was full").register(registry);
    final Counter slowConsumerDisconnects = Counter.builder().name("weft_slow_consumer_disconnects")
            .help("Connections closed because they stayed over their outbound budget").register(registry);
    final Counter protocolErrors = Counter.builder().name("weft_protocol_errors")
            .help("Connections closed or answered with an error, by error code").labelNames("code")
            .register(registry);
    final Counter authFailures = Counter.builder().name("weft_auth_failures")
            .help("Failed authentications on the client and HTTP ports, by method (password, token, jwt, certificate, none)")
            .labelNames("method").register(registry);
    final Counter reloads = Counter.builder().name("weft_reloads")
            .help("Reloads of the TLS files and the security config that changed something (ok) or were refused "
                    + "(failed: the node keeps what it had), by what and result")
            .labelNames("what", "result").register(registry);
    final Counter permissionDenials = Counter.builder().name("weft_permission_denials")
            .help("Publishes, subscriptions and requests refused by the user's permissions, by action")
            .labelNames("action").register(registry);
    final Counter meshEventsIn = Counter.builder().name("weft_mesh_events_in")
            .help("Events received over route and gateway links").register(registry);
    final Counter groupUnroutable = Counter.builder().name("weft_queue_group_unroutable")
            .help("Events a queue group was assigned to here but no member could take (it left meanwhile)")
            .register(registry);
    final Counter eventsUnrouted = Counter.builder().name("weft_events_unrouted")
            .help("Published events that matched no subscriber").register(registry);

    private final Histogram streamCommit = Histogram.builder().name("weft_stream_commit_seconds")
            .help("On a stream's leader: from submitting a Raft entry until a majority stored it and this node"
                    + " applied it, by stream")
            .labelNames("stream").classicOnly()
            .classicExponentialUpperBounds(0.0005, 2, 14).register(registry);
    private final Histogram streamBatchWait = Histogram.builder().name("weft_stream_batch_wait_seconds")
            .help("On a stream's leader: how long the oldest publish of an entry waited to be batched, by stream")
            .labelNames("stream").classicOnly()
            .classicExponentialUpperBounds(0.0005, 2, 14).register(registry);
    private final Histogram streamEntryEvents = Histogram.builder().name("weft_stream_entry_events")
            .help("Publishes per committed Raft entry (group commit), by stream")
            .labelNames("stream").classicOnly()
            .classicExponentialUpperBounds(1, 2, 12).register(registry);

    private final Histogram treeConvergence = Histogram.builder().name("weft_tree_convergence_seconds")
            .help("How long each burst of site graph changes took to settle on this node, from the first change it"
                    + " saw to the last (a burst ends after 1 s without a change); detecting the failure comes before")
            .classicOnly().classicExponentialUpperBounds(0.001, 2, 16).register(registry);

    final CounterDataPoint clientEventsIn = eventsIn.labelValues("native");
    final CounterDataPoint clientBytesIn = bytesIn.labelValues("native");
    final CounterDataPoint httpEventsIn = eventsIn.labelValues("http");
    final CounterDataPoint httpBytesIn = bytesIn.labelValues("http");

    /** One committed entry of a stream this node leads (see {@code StreamHost.Events#entryAcked}). */
    void streamEntry(String stream, int events, long waitNanos, long commitNanos) {
        streamCommit.labelValues(stream).observe(commitNanos / 1e9);
        streamBatchWait.labelValues(stream).observe(waitNanos / 1e9);
        streamEntryEvents.labelValues(stream).observe(events);
    }

    /** TLS counters read at scrape time. */
    void registerTls(java.util.function.LongSupplier handshakesRefused) {
        CounterWithCallback.builder().name("weft_tls_handshakes_refused")
                .help("Client and HTTP connections closed at once because --max-handshakes-in-flight TLS handshakes "
                        + "were under way")
                .callback(cb -> cb.call(handshakesRefused.getAsLong()))
                .register(registry);
    }

    /**
     * The deliveries of the subscriptions (rules) this node runs, read at scrape time and labelled by
     * subscription; a node that runs none exports no series.
     */
    void registerRules(java.util.function.Supplier<java.util.Map<String, io.weft.broker.rules.SinkStatus>> statuses) {
        CounterWithCallback.builder().name("weft_subscription_deliveries")
                .help("Deliveries of the subscriptions this node runs, by outcome: delivered (2xx), retried (an attempt "
                        + "to be retried), failed (given up, no dead-letter topic), dead_lettered, dropped (queue full, "
                        + "paused, or lost at a stop)")
                .labelNames("subscription", "outcome")
                .callback(cb -> statuses.get().forEach((id, s) -> {
                    cb.call(s.delivered(), id, "delivered");
                    cb.call(s.retried(), id, "retried");
                    cb.call(s.failed(), id, "failed");
                    cb.call(s.deadLettered(), id, "dead_lettered");
                    cb.call(s.dropped(), id, "dropped");
                }))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_subscription_pending")
                .help("Events of a subscription this node runs that wait for a slot (queued) or are being sent or "
                        + "retried (in_flight)")
                .labelNames("subscription", "state")
                .callback(cb -> statuses.get().forEach((id, s) -> {
                    cb.call(s.queued(), id, "queued");
                    cb.call(s.inFlight(), id, "in_flight");
                }))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_subscription_latency_seconds")
                .help("Latency of successful deliveries (first attempt to 2xx) of a subscription this node runs, "
                        + "since it started here")
                .labelNames("subscription", "quantile")
                .callback(cb -> statuses.get().forEach((id, s) -> {
                    cb.call(s.latencyP50Ms() / 1000.0, id, "0.5");
                    cb.call(s.latencyP90Ms() / 1000.0, id, "0.9");
                    cb.call(s.latencyP99Ms() / 1000.0, id, "0.99");
                }))
                .register(registry);
    }

    /** Per-link counters read from the mesh at scrape time: by peer node and by remote site. */
    void registerMesh(MeshNode mesh) {
        mesh.onTreeConvergence(treeConvergence::observe);
        CounterWithCallback.builder().name("weft_link_events_sent")
                .help("Events forwarded over route and gateway links, by peer node")
                .labelNames("peer", "site")
                .callback(cb -> mesh.sentCounters().forEach((peer, c) -> cb.call(c[0], peer, mesh.siteOf(peer))))
                .register(registry);
        CounterWithCallback.builder().name("weft_link_bytes_sent")
                .help("Bytes of events forwarded over route and gateway links, by peer node")
                .labelNames("peer", "site")
                .callback(cb -> mesh.sentCounters().forEach((peer, c) -> cb.call(c[1], peer, mesh.siteOf(peer))))
                .register(registry);
        CounterWithCallback.builder().name("weft_link_drops")
                .help("Events not forwarded because the link was down or over its write budget, by peer node")
                .labelNames("peer", "site")
                .callback(cb -> mesh.sentCounters().forEach((peer, c) -> cb.call(c[2], peer, mesh.siteOf(peer))))
                .register(registry);
        CounterWithCallback.builder().name("weft_link_events_filtered")
                .help("Events kept off a route or gateway link because no filter of the subscriptions behind it "
                        + "accepted them, by peer node")
                .labelNames("peer", "site")
                .callback(cb -> mesh.sentCounters().forEach((peer, c) -> cb.call(c[3], peer, mesh.siteOf(peer))))
                .register(registry);
        CounterWithCallback.builder().name("weft_site_events_sent")
                .help("Events forwarded to nodes of each site (this node's own site included)")
                .labelNames("site")
                .callback(cb -> bySite(mesh, 0).forEach((site, v) -> cb.call(v, site)))
                .register(registry);
        CounterWithCallback.builder().name("weft_site_bytes_sent")
                .help("Bytes of events forwarded to nodes of each site (this node's own site included)")
                .labelNames("site")
                .callback(cb -> bySite(mesh, 1).forEach((site, v) -> cb.call(v, site)))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_mesh_view_problems")
                .help("Disagreements between membership and links now, by kind (unnamed_member, no_route, no_gateway,"
                        + " linked_not_member, seed_not_member); see /v1/node health")
                .labelNames("kind")
                .callback(cb -> mesh.health().problemsByKind().forEach((k, v) ->
                        cb.call(v, k.name().toLowerCase(java.util.Locale.ROOT))))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_mesh_view_stuck")
                .help("Disagreements that lasted past 10 s: the node repairs them and is not ready while any lasts")
                .callback(cb -> cb.call(mesh.health().status().stuck()))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_mesh_ready")
                .help("1 when this node is ready (membership, links and interest agree), else 0")
                .callback(cb -> cb.call(mesh.ready() ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("weft_mesh_view_repairs")
                .help("Repairs of a stuck view, by action (reannounce, redial, rediscover)")
                .labelNames("action")
                .callback(cb -> mesh.health().repairs().forEach((a, v) -> cb.call(v, a)))
                .register(registry);
        CounterWithCallback.builder().name("weft_tls_refusals")
                .help("Mesh peers refused because their certificate did not name the node, site or mesh they "
                        + "announced, or named a site that link kind does not join, by reason")
                .labelNames("reason")
                .callback(cb -> mesh.tlsRefusals().forEach((r, v) -> cb.call(v, r)))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_lsdb_records")
                .help("Records of the link-state map (one per node heard of, tombstones of departed nodes included)")
                .callback(cb -> cb.call(mesh.topologyCounters()[0]))
                .register(registry);
        CounterWithCallback.builder().name("weft_spf_runs")
                .help("Computations of the site graph after a change of the link-state map")
                .callback(cb -> cb.call(mesh.topologyCounters()[1]))
                .register(registry);
        CounterWithCallback.builder().name("weft_tree_changes")
                .help("Changes of the site graph, each installing a new set of trees (see /v1/topology)")
                .callback(cb -> cb.call(mesh.topologyCounters()[2]))
                .register(registry);
        CounterWithCallback.builder().name("weft_tree_drops")
                .help("Events routed on the site trees that this node dropped (or copies for one child site), by "
                        + "reason: unknown_tree, not_parent, bad_depth, hop_cap, no_egress, link_down")
                .labelNames("reason")
                .callback(cb -> mesh.treeDrops().forEach((r, v) -> cb.call(v, r)))
                .register(registry);
        CounterWithCallback.builder().name("weft_tree_events")
                .help("Events routed on the site trees: sent over a link (into a child site or handed to the "
                        + "site peer that holds the link), and received, by direction")
                .labelNames("direction")
                .callback(cb -> mesh.treeEventCounts().forEach((r, v) -> cb.call(v, r)))
                .register(registry);
        io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("weft_mesh_members")
                .help("Members of the membership view, named (announced themselves) or unnamed (not yet)")
                .labelNames("state")
                .callback(cb -> {
                    cb.call(mesh.liveCount(), "named");
                    cb.call(mesh.unnamedMembers().size(), "unnamed");
                })
                .register(registry);
    }

    private static java.util.Map<String, Long> bySite(MeshNode mesh, int index) {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        mesh.sentCounters().forEach((peer, c) -> out.merge(mesh.siteOf(peer), c[index], Long::sum));
        return out;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Current value of a plain counter or gauge by name, for the admin API and tests. */
    public double connectionCount() {
        return connections.get();
    }

    public double slowConsumerDropCount() {
        return slowConsumerDrops.get();
    }

    public double slowConsumerDisconnectCount() {
        return slowConsumerDisconnects.get();
    }
}
