package io.weft.broker;

import io.weft.routing.Hash64;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.NodeInfo;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway links of a node whose site's links are configured ({@code --gateways}): it probes the
 * listed addresses to learn which node of which site answers there, and keeps one gateway link to one
 * node of each such site, chosen by rendezvous hashing on the two node names among the listed nodes of
 * that site that answer, so the nodes of a site spread over the listed nodes of a neighbour. A node whose
 * link died is passed over for {@link #AVOID_NANOS} when the site has another, so the link moves to
 * another listed node after the link's heartbeat timeout.
 *
 * <p>Only outbound: the other site needs no address of this one, so an edge behind NAT is served fully
 * over the links it dials (a link carries events and gossip both ways).
 *
 * <p>Thread-safe: probes complete on I/O threads; {@link #choose} runs on the mesh thread.
 */
final class GatewayDialer {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayDialer.class);
    /** How long a node whose gateway link died is passed over when its site has another listed node. */
    static final long AVOID_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How often addresses that answered are probed again (their node may have been replaced). */
    static final long REPROBE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private volatile long lastFullProbe;
    private volatile boolean allDue = true;
    /** How long a probe may take. */
    private static final long PROBE_TIMEOUT_MILLIS = 2000;

    private final String selfName;
    private final String selfSite;
    private final java.util.List<String> addresses;
    private final MeshNetwork net;
    /** The node that answered at each address's last probe. */
    private final Map<String, NodeInfo> answers = new ConcurrentHashMap<>();
    private final Map<String, Long> avoidUntil = new ConcurrentHashMap<>();
    private final Map<String, Boolean> warned = new ConcurrentHashMap<>();
    /** Mesh thread: the chosen node of each neighbour site. */
    private volatile Map<String, NodeInfo> chosen = Map.of();

    GatewayDialer(String selfName, String selfSite, java.util.List<String> addresses, MeshNetwork net) {
        this.selfName = selfName;
        this.selfSite = selfSite;
        this.addresses = java.util.List.copyOf(addresses);
        this.net = net;
    }

    /**
     * Probes the listed addresses that have not answered, and every one once {@link #REPROBE_NANOS} passed
     * since the last full round or a gateway link died since: an idle node with its links up opens no
     * connection every few seconds. Answers arrive later and count at the next {@link #choose}.
     */
    void probe(long nowNanos) {
        boolean all = allDue || nowNanos - lastFullProbe >= REPROBE_NANOS;
        if (all) {
            allDue = false;
            lastFullProbe = nowNanos;
        }
        for (String address : addresses) {
            if (!all && answers.containsKey(address)) {
                continue;
            }
            net.probe(address).orTimeout(PROBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .whenComplete((w, e) -> answered(address, w == null ? null : w.node()));
        }
    }

    /** The probe of {@code address} was answered by {@code node}, or not at all (null). */
    void answered(String address, NodeInfo node) {
        if (node == null) {
            answers.remove(address);
        } else if (node.site().equals(selfSite)) {
            if (warned.putIfAbsent(address, true) == null) {
                LOG.warn("--gateways {} is {} of this node's own site {}: list nodes of other sites there, "
                        + "and own-site nodes in --seeds", address, node.name(), selfSite);
            }
            answers.remove(address);
        } else {
            answers.put(address, node);
        }
    }

    /**
     * Chooses the node of each neighbour site to keep a link to: the current one while it answers and its
     * link is not being avoided, else the best by rendezvous hashing among the answering nodes not avoided
     * (among all answering ones when every one is avoided). A chosen node whose link is up counts as
     * answering.
     *
     * @param linked whether this node has a live link with the named node
     * @return the chosen node of each neighbour site
     */
    Map<String, NodeInfo> choose(long nowNanos, java.util.function.Predicate<String> linked) {
        Map<String, java.util.List<NodeInfo>> bySite = new TreeMap<>();
        for (NodeInfo n : answers.values()) {
            bySite.computeIfAbsent(n.site(), s -> new java.util.ArrayList<>()).add(n);
        }
        Map<String, NodeInfo> next = new TreeMap<>();
        Map<String, NodeInfo> before = chosen;
        // a chosen node whose link is up stays chosen though a probe of it failed (a slow moment, not a death)
        before.forEach((site, n) -> {
            java.util.List<NodeInfo> c = bySite.computeIfAbsent(site, s -> new java.util.ArrayList<>());
            if (linked.test(n.name()) && c.stream().noneMatch(x -> x.name().equals(n.name()))) {
                c.add(n);
            }
        });
        bySite.values().removeIf(java.util.List::isEmpty);
        for (Map.Entry<String, java.util.List<NodeInfo>> e : bySite.entrySet()) {
            NodeInfo current = before.get(e.getKey());
            NodeInfo best = null;
            long bestScore = 0;
            boolean bestAvoided = true;
            for (NodeInfo n : e.getValue()) {
                Long until = avoidUntil.get(n.name());
                boolean avoided = until != null && until - nowNanos > 0;
                if (current != null && n.name().equals(current.name()) && !avoided) {
                    best = n;
                    break;
                }
                long score = Hash64.rendezvous(selfName, n.name());
                if (best == null || (bestAvoided && !avoided) || (bestAvoided == avoided && score > bestScore)) {
                    best = n;
                    bestScore = score;
                    bestAvoided = avoided;
                }
            }
            next.put(e.getKey(), best);
            if (current == null || !current.name().equals(best.name())) {
                LOG.info("gateway to site {}: {} at {}", e.getKey(), best.name(), best.meshAddress());
            }
        }
        chosen = Map.copyOf(next);
        return chosen;
    }

    /** The gateway link to {@code node} died: pass it over for a while if its site has another node. */
    void linkLost(String node, long nowNanos) {
        for (NodeInfo n : chosen.values()) {
            if (n.name().equals(node)) {
                avoidUntil.put(node, nowNanos + AVOID_NANOS);
                allDue = true; // the other listed nodes' answers may be stale: ask them all again
            }
        }
    }

    /** The chosen node of each neighbour site, from the last {@link #choose}. */
    Map<String, NodeInfo> chosen() {
        return chosen;
    }

    /** Whether {@code node} is a chosen gateway node (its link is kept). */
    boolean isChosen(String node) {
        for (NodeInfo n : chosen.values()) {
            if (n.name().equals(node)) {
                return true;
            }
        }
        return false;
    }

    /** Listed addresses and the node that answered at each, for {@code /v1/topology}. */
    Map<String, String> answersView() {
        Map<String, String> out = new TreeMap<>();
        for (String a : addresses) {
            NodeInfo n = answers.get(a);
            out.put(a, n == null ? "(no answer)" : n.name() + "@" + n.site());
        }
        return out;
    }
}
