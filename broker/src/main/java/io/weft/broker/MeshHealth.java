package io.weft.broker;

import io.weft.routing.net.ViewCheck;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node's view of the mesh can be trusted, and what it says when it cannot: the
 * readiness of {@code /healthz}, the {@code health} part of {@code /v1/node} and
 * {@code meshctl status}, the {@code weft_mesh_view_*} metrics, and the log lines.
 *
 * <p><b>Readiness.</b> A starting node becomes ready once it has joined membership, a seed has
 * answered (if any were given), interest is synced and its view is consistent - no
 * {@link ViewCheck} problem at all: every member named, a route link up to every live peer of its
 * site, a gateway link to every other site. Once ready, a problem makes it <em>degraded</em>
 * (not ready, 503) only when it is stuck, i.e. lasted {@link #STUCK_AFTER_NANOS}: a peer killed a
 * moment ago has no link while the failure detector is still deciding, and that must not take every
 * node of a site out of a load balancer. Every stuck problem is logged once as a warning, repaired
 * every {@link #REPAIR_EVERY_NANOS} while it lasts, and logged again when it is gone.
 *
 * <p>{@link #check} runs on the mesh thread only; {@link #status} may be read from any thread.
 */
final class MeshHealth {
    private static final Logger LOG = LoggerFactory.getLogger(MeshHealth.class);
    static final long STUCK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long REPAIR_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * The view's health at the last check.
     *
     * @param state    {@code starting}, {@code ready} or {@code degraded}
     * @param reasons  why it is not ready (empty when ready)
     * @param problems every current disagreement, stuck or not
     * @param stuck    how many of them are stuck
     */
    record Status(String state, List<String> reasons, List<ViewCheck.Problem> problems, int stuck, long checkedNanos) {
        boolean ready() {
            return state.equals("ready");
        }
    }

    private final ViewCheck check;
    private final Map<String, LongAdder> repairs = new ConcurrentHashMap<>();
    private volatile Status status = new Status("starting", List.of("membership not joined yet"), List.of(), 0,
            System.nanoTime());
    private boolean everReady;

    MeshHealth(String node, String site) {
        this.check = new ViewCheck(node, site, STUCK_AFTER_NANOS, REPAIR_EVERY_NANOS);
    }

    /**
     * Runs one check.
     *
     * @return the stuck problems whose repair is due now
     */
    List<ViewCheck.Problem> check(ViewCheck.Observed observed, boolean joined, boolean seedAnswered,
                                  boolean interestSynced, long nowNanos) {
        ViewCheck.Result r = check.check(observed, nowNanos);
        for (ViewCheck.Problem p : r.newlyStuck()) {
            LOG.warn("mesh view inconsistent for {} s: {}; repairing", Math.round(p.ageSeconds(nowNanos)), p.detail());
        }
        for (ViewCheck.Problem p : r.repaired()) {
            LOG.info("mesh view consistent again after {} s: {} no longer holds", Math.round(p.ageSeconds(nowNanos)),
                    p.detail());
        }
        List<ViewCheck.Problem> stuck = check.stuck();
        List<String> reasons = new ArrayList<>();
        if (!joined) {
            reasons.add("membership not joined yet");
        }
        if (!seedAnswered) {
            reasons.add("no seed has answered yet");
        }
        if (!interestSynced) {
            reasons.add("interest not synced with every site yet");
        }
        for (ViewCheck.Problem p : everReady ? stuck : r.problems()) {
            reasons.add(p.detail() + (everReady ? " (for " + Math.round(p.ageSeconds(nowNanos)) + " s)" : ""));
        }
        boolean ready = reasons.isEmpty();
        if (ready && !everReady) {
            everReady = true;
            LOG.info("ready: membership, links and interest agree");
        } else if (!ready && everReady && status.ready()) {
            LOG.warn("not ready any more: {}", reasons);
        }
        status = new Status(ready ? "ready" : everReady ? "degraded" : "starting", List.copyOf(reasons),
                r.problems(), stuck.size(), nowNanos);
        return check.repairsDue(nowNanos);
    }

    /** Counts one repair action ({@code reannounce}, {@code redial}, {@code rediscover}). */
    void repaired(String action) {
        repairs.computeIfAbsent(action, a -> new LongAdder()).increment();
    }

    Status status() {
        return status;
    }

    /** Current problems by kind (every kind present, zeros included), for the metrics. */
    Map<ViewCheck.Kind, Integer> problemsByKind() {
        Map<ViewCheck.Kind, Integer> out = new EnumMap<>(ViewCheck.Kind.class);
        for (ViewCheck.Kind k : ViewCheck.Kind.values()) {
            out.put(k, 0);
        }
        for (ViewCheck.Problem p : status.problems()) {
            out.merge(p.kind(), 1, Integer::sum);
        }
        return out;
    }

    /** Repairs done since start, by action. */
    Map<String, Long> repairs() {
        Map<String, Long> out = new TreeMap<>();
        repairs.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The {@code health} part of {@code /v1/node}. */
    Map<String, Object> describe(long nowNanos) {
        Status s = status;
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("state", s.state());
        m.put("reasons", s.reasons());
        List<Map<String, Object>> problems = new ArrayList<>();
        for (ViewCheck.Problem p : s.problems()) {
            Map<String, Object> pm = new java.util.LinkedHashMap<>();
            pm.put("kind", p.kind().name().toLowerCase(java.util.Locale.ROOT));
            pm.put("subject", p.subject());
            pm.put("detail", p.detail());
            pm.put("seconds", Math.round(p.ageSeconds(nowNanos) * 10) / 10.0);
            problems.add(pm);
        }
        m.put("problems", problems);
        m.put("repairs", repairs());
        return m;
    }
}
