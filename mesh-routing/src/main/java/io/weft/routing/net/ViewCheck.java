package io.weft.routing.net;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Does this node's view of the mesh agree with itself? Compares what membership says (who is live,
 * who has not said who it is) with the links that are up and the seeds that answer, and keeps each
 * disagreement with the time it was first seen. A node is consistent when every member is named,
 * every live peer of its own site has a route link up, every remote site with live nodes has a
 * gateway link up, every node it has a link with is a member, and every seed that answers is one.
 *
 * <p>Some disagreement is normal for a moment (a link is being dialled, the failure detector has
 * not yet called a killed node dead); one that lasts past {@link #stuckAfterNanos} is <em>stuck</em>:
 * the node says so and repairs it ({@link #repairsDue}). Pure: inputs in, problems out, the clock
 * passed in. Not thread-safe.
 */
public final class ViewCheck {
    /** Kinds of disagreement, each with the repair that fits it. */
    public enum Kind {
        /** A member of the group's view has not announced itself. Repair: ask it, re-announce, rediscover. */
        UNNAMED_MEMBER,
        /** A live peer of this site has no route link up. Repair: redial it. */
        NO_ROUTE,
        /** A remote site has live nodes but no gateway link is up. Repair: redial the gateway peer. */
        NO_GATEWAY,
        /** A node has a link up with this node but is not in the membership view. Repair: re-probe it, rediscover. */
        LINKED_NOT_MEMBER,
        /** A seed answers on its mesh port but is not in the membership view. Repair: re-probe, rediscover. */
        SEED_NOT_MEMBER
    }

    /**
     * One disagreement.
     *
     * @param subject the node (or, for {@link Kind#UNNAMED_MEMBER}, the group address; for
     *                {@link Kind#NO_GATEWAY}, the site) it is about
     * @param detail  a sentence for logs and {@code /healthz}
     */
    public record Problem(Kind kind, String subject, String detail, long sinceNanos) {
        public String key() {
            return kind + " " + subject;
        }

        /** Seconds since first seen, at {@code nowNanos}. */
        public double ageSeconds(long nowNanos) {
            return (nowNanos - sinceNanos) / 1e9;
        }
    }

    /**
     * What the node observes, at one moment.
     *
     * @param members       membership's view
     * @param routeLinks    peers with a route link up (either direction)
     * @param gatewayLinks  peers with a gateway link up (either direction)
     * @param gatewayPeers  for every remote site with live nodes: the peer this node sends through
     *                      (null when it has none)
     * @param linked        every peer with any link up
     * @param seedsAnswered names of the seeds that answered a probe lately
     */
    public record Observed(Members members, Set<String> routeLinks, Set<String> gatewayLinks,
                           Map<String, String> gatewayPeers, Set<String> linked, Set<String> seedsAnswered) {
    }

    /**
     * The outcome of one check.
     *
     * @param problems    every current disagreement, oldest first
     * @param newlyStuck  problems that became stuck at this check (log them once)
     * @param repaired    stuck problems that went away at this check (log them once)
     */
    public record Result(List<Problem> problems, List<Problem> newlyStuck, List<Problem> repaired) {
        public boolean consistent() {
            return problems.isEmpty();
        }
    }

    private final String selfName;
    private final String selfSite;
    private final long stuckAfterNanos;
    private final long repairEveryNanos;
    private final Map<String, Problem> open = new LinkedHashMap<>();
    /** Stuck problems and when they were last repaired. */
    private final Map<String, Long> stuck = new LinkedHashMap<>();

    /**
     * @param stuckAfterNanos  how long a disagreement may last before it is stuck; default 10 s
     * @param repairEveryNanos how often a stuck problem is repaired again while it lasts; default 5 s
     */
    public ViewCheck(String selfName, String selfSite, long stuckAfterNanos, long repairEveryNanos) {
        this.selfName = Objects.requireNonNull(selfName, "selfName");
        this.selfSite = Objects.requireNonNull(selfSite, "selfSite");
        if (stuckAfterNanos <= 0 || repairEveryNanos <= 0) {
            throw new IllegalArgumentException("stuckAfterNanos and repairEveryNanos must be positive");
        }
        this.stuckAfterNanos = stuckAfterNanos;
        this.repairEveryNanos = repairEveryNanos;
    }

    /** Compares {@code o} with itself at {@code nowNanos}. */
    public Result check(Observed o, long nowNanos) {
        Map<String, Problem> found = new LinkedHashMap<>();
        for (String addr : o.members().unnamed()) {
            add(found, Kind.UNNAMED_MEMBER, addr, "member " + addr + " of the membership view has not said which node it is",
                    nowNanos);
        }
        Map<String, Integer> liveBySite = new TreeMap<>();
        for (NodeInfo n : o.members().live().values()) {
            if (n.name().equals(selfName)) {
                continue;
            }
            liveBySite.merge(n.site(), 1, Integer::sum);
            if (n.site().equals(selfSite) && !o.routeLinks().contains(n.name())) {
                add(found, Kind.NO_ROUTE, n.name(), "site peer " + n.name() + " is live but no route link to it is up",
                        nowNanos);
            }
        }
        liveBySite.forEach((site, count) -> {
            if (site.equals(selfSite)) {
                return;
            }
            String gateway = o.gatewayPeers().get(site);
            if (gateway == null || !o.gatewayLinks().contains(gateway)) {
                add(found, Kind.NO_GATEWAY, site, "site " + site + " has " + count + " live node(s) but no gateway link"
                        + (gateway == null ? " (no gateway peer chosen)" : " to " + gateway + " is up"), nowNanos);
            }
        });
        for (String peer : o.linked()) {
            if (!o.members().live().containsKey(peer)) {
                add(found, Kind.LINKED_NOT_MEMBER, peer, peer + " has a mesh link up with this node but is not in its"
                        + " membership view", nowNanos);
            }
        }
        for (String seed : o.seedsAnswered()) {
            if (!seed.equals(selfName) && !o.members().live().containsKey(seed)) {
                add(found, Kind.SEED_NOT_MEMBER, seed, "seed " + seed + " answers on its mesh port but is not in the"
                        + " membership view", nowNanos);
            }
        }
        List<Problem> repaired = new ArrayList<>();
        for (Map.Entry<String, Problem> e : open.entrySet()) {
            if (!found.containsKey(e.getKey()) && stuck.remove(e.getKey()) != null) {
                repaired.add(e.getValue());
            }
        }
        open.keySet().retainAll(found.keySet());
        List<Problem> newlyStuck = new ArrayList<>();
        for (Problem p : found.values()) {
            Problem known = open.putIfAbsent(p.key(), p);
            Problem current = known != null ? known : p;
            if (nowNanos - current.sinceNanos() >= stuckAfterNanos && !stuck.containsKey(current.key())) {
                stuck.put(current.key(), Long.MIN_VALUE);
                newlyStuck.add(current);
            }
        }
        List<Problem> all = new ArrayList<>(open.values());
        all.sort((a, b) -> Long.compare(a.sinceNanos(), b.sinceNanos()));
        return new Result(all, newlyStuck, repaired);
    }

    private static void add(Map<String, Problem> found, Kind kind, String subject, String detail, long nowNanos) {
        Problem p = new Problem(kind, subject, detail, nowNanos);
        found.put(p.key(), p);
    }

    /** The stuck problems, oldest first. */
    public List<Problem> stuck() {
        List<Problem> out = new ArrayList<>();
        for (String k : stuck.keySet()) {
            Problem p = open.get(k);
            if (p != null) {
                out.add(p);
            }
        }
        out.sort((a, b) -> Long.compare(a.sinceNanos(), b.sinceNanos()));
        return out;
    }

    /** Stuck problems whose repair is due (at most once per repair interval each); marks them repaired now. */
    public List<Problem> repairsDue(long nowNanos) {
        List<Problem> due = new ArrayList<>();
        for (Map.Entry<String, Long> e : stuck.entrySet()) {
            long last = e.getValue();
            if (last == Long.MIN_VALUE || nowNanos - last >= repairEveryNanos) {
                e.setValue(nowNanos);
                Problem p = open.get(e.getKey());
                if (p != null) {
                    due.add(p);
                }
            }
        }
        return due;
    }
}
