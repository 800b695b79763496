package io.weft.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Everything this node knows of who wants what, in one {@link SubscriptionTrie}, so that routing
 * an event is one match: this node's own interest (target {@link Target#LOCAL}), each same-site
 * peer's interest (a {@link Target.Kind#NODE} target) and each remote site's aggregated interest
 * (a {@link Target.Kind#SITE} target). {@link #route} applies the hop rules and the queue group
 * preferences of DESIGN.md to one match. Not thread-safe (the trie is, the decision is not).
 */
final class RouteTable {
    /**
     * A destination in the trie, with the filter of the entry that put it there (null for none): one
     * destination with several filters on one pattern is several elements, each removed with its entry.
     */
    record Target(Kind kind, String name, String filter) {
        enum Kind { LOCAL, NODE, SITE }

        static final Target LOCAL = new Target(Kind.LOCAL, "", null);

        Target(Kind kind, String name) {
            this(kind, name, null);
        }

        static Target node(String name) {
            return new Target(Kind.NODE, name);
        }

        static Target site(String name) {
            return new Target(Kind.SITE, name);
        }

        Target withFilter(String f) {
            return java.util.Objects.equals(f, filter) ? this : new Target(kind, name, f);
        }
    }

    private static final Set<String> NO_GROUPS = Set.of();

    private final SubscriptionTrie<Target> trie;
    /**
     * Bumped by every change that can change a decision: an entry added or removed, a gateway peer
     * moved ({@link #touch}). One writer (the engine's thread); read by any thread.
     */
    private volatile long version;

    /**
     * The decisions of a match without queue groups, kept on the match ({@link Match#memo}): valid
     * while the table is at {@code version}. Such a decision depends on the match, the origin and
     * the gateway peers only, so most events of a busy topic reuse one immutable decision.
     */
    private record Memo(long version, RouteDecision local, RouteDecision gateway) {
    }

    RouteTable(int matchCacheCapacity) {
        this.trie = new SubscriptionTrie<>(matchCacheCapacity);
    }

    void add(Target target, InterestEntry e) {
        trie.add(e.pattern(), e.queueGroup(), target.withFilter(e.filter()));
        version++;
    }

    void remove(Target target, InterestEntry e) {
        if (!trie.remove(e.pattern(), e.queueGroup(), target.withFilter(e.filter()))) {
            throw new IllegalStateException("route table: " + target + " has no entry " + e);
        }
        version++;
    }

    /** A gateway peer moved: decisions made before name the old one. */
    void touch() {
        version++;
    }

    /**
     * The decision {@link #route} made for this topic and origin when no queue group took part,
     * if it still holds; null otherwise (then call {@link #route}). Thread-safe, lock-free and
     * allocation-free: the hot path of an event on a busy topic.
     */
    RouteDecision cached(String topic, Origin origin) {
        if (origin == Origin.ROUTE) {
            return null;
        }
        Object o = trie.match(topic).memo();
        if (o instanceof Memo m && m.version == version) {
            return origin == Origin.LOCAL ? m.local : m.gateway;
        }
        return null;
    }

    /** See {@link InterestEngine#sitesWanting}. */
    void sitesWanting(String topic, FilterVerdicts verdicts, Set<String> out) {
        for (Target t : trie.match(topic).subscribers()) {
            if (t.kind() == Target.Kind.SITE && (t.filter() == null || verdicts == null || verdicts.accepts(t.filter()))) {
                out.add(t.name());
            }
        }
    }

    int size() {
        return trie.size();
    }

    /**
     * The routing decision for one event (see {@link InterestEngine#route} for the contract), with no
     * event at hand: a filter on a queue group member counts as accepting.
     *
     * @param gatewayOf the gateway peer of a remote site, or null when there is none
     */
    RouteDecision route(String topic, Origin origin, Set<String> assignedGroups,
                        Set<String> localGroupsMatched, Function<String, String> gatewayOf,
                        RandomGenerator random) {
        return route(topic, origin, assignedGroups, localGroupsMatched, gatewayOf, random, null);
    }

    /**
     * The routing decision for one event (see {@link InterestEngine#route} for the contract).
     *
     * @param gatewayOf the gateway peer of a remote site, or null when there is none
     * @param verdicts  the event's filter verdicts: a queue group member (local, site peer or remote
     *                  site aggregate entry) with a filter is a candidate only when its filter accepts
     *                  the event; null when there is no event (every filter counts as accepting)
     */
    RouteDecision route(String topic, Origin origin, Set<String> assignedGroups,
                        Set<String> localGroupsMatched, Function<String, String> gatewayOf,
                        RandomGenerator random, FilterVerdicts verdicts) {
        long at = version;
        Match<Target> match = trie.match(topic);
        Set<String> assigned = assignedGroups == null ? NO_GROUPS : assignedGroups;
        boolean plain = assigned.isEmpty() && (localGroupsMatched == null || localGroupsMatched.isEmpty())
                && match.groups().isEmpty();
        if (match.isEmpty() && plain) {
            return RouteDecision.NONE;
        }
        Builder b = new Builder();
        for (Target t : match.subscribers()) {
            switch (t.kind()) {
                case LOCAL -> b.deliverLocal = true;
                case NODE -> {
                    if (origin != Origin.ROUTE) {
                        b.route(t.name());
                        b.condition(b.routeFilters, t);
                    }
                }
                case SITE -> {
                    if (origin == Origin.LOCAL) {
                        b.gateway(t.name());
                        b.condition(b.gatewayFilters, t);
                    }
                }
            }
        }
        switch (origin) {
            case LOCAL -> pickForPublish(match, localGroupsMatched, random, verdicts, b);
            case ROUTE -> b.localGroups.addAll(assigned);
            case GATEWAY -> pickInSite(match, assigned, localGroupsMatched, random, verdicts, b);
        }
        RouteDecision d = b.build(gatewayOf);
        if (plain && origin != Origin.ROUTE) {
            remember(match, origin, d, at);
        }
        return d;
    }

    /** Keeps {@code d} on the match for later events (see {@link Memo}); {@code at} is the version it was made at. */
    private static void remember(Match<Target> match, Origin origin, RouteDecision d, long at) {
        Memo old = match.memo() instanceof Memo m && m.version == at ? m : null;
        RouteDecision local = origin == Origin.LOCAL ? d : old == null ? null : old.local;
        RouteDecision gateway = origin == Origin.GATEWAY ? d : old == null ? null : old.gateway;
        match.memo(new Memo(at, local, gateway));
    }

    /**
     * A publisher picks one member per matched group among those whose filter accepts the event: its
     * own node, else its site, else a site. A group no member accepts goes nowhere (nobody wants it: not
     * a loss).
     */
    private static void pickForPublish(Match<Target> match, Set<String> localGroupsMatched,
                                       RandomGenerator random, FilterVerdicts verdicts, Builder b) {
        if (localGroupsMatched != null) {
            b.localGroups.addAll(localGroupsMatched);
        }
        for (QueueGroup<Target> g : match.groups()) {
            if (hasLocalMember(g, g.name(), localGroupsMatched, verdicts)) {
                b.localGroups.add(g.name());
                continue;
            }
            String node = pick(g, Target.Kind.NODE, random, verdicts);
            if (node != null) {
                b.route(node).add(g.name());
                continue;
            }
            String site = pick(g, Target.Kind.SITE, random, verdicts);
            if (site != null) {
                b.gateway(site).add(g.name());
            }
        }
    }

    /**
     * A gateway receiver places each group it was given: a local member whose filter accepts the event,
     * else one site peer with such a member; else the group is unroutable (the publisher saw a member in
     * this site's aggregate that accepts it, which has left meanwhile).
     */
    private static void pickInSite(Match<Target> match, Set<String> assigned, Set<String> localGroupsMatched,
                                   RandomGenerator random, FilterVerdicts verdicts, Builder b) {
        for (String name : assigned) {
            QueueGroup<Target> g = group(match, name);
            if (hasLocalMember(g, name, localGroupsMatched, verdicts)) {
                b.localGroups.add(name);
                continue;
            }
            String node = g == null ? null : pick(g, Target.Kind.NODE, random, verdicts);
            if (node != null) {
                b.route(node).add(name);
            } else {
                b.unroutable.add(name);
            }
        }
    }

    /**
     * Does this node have a member of group {@code name} for the topic that takes the event: per the
     * broker's own trie when it told us ({@code localGroupsMatched}, which names only groups with a
     * local member whose filter accepts the event), else per the engine's view ({@code g}, the group's
     * match, null when nothing matched).
     */
    private static boolean hasLocalMember(QueueGroup<Target> g, String name, Set<String> localGroupsMatched,
                                          FilterVerdicts verdicts) {
        if (localGroupsMatched != null) {
            return localGroupsMatched.contains(name);
        }
        if (g != null) {
            for (Target t : g.members()) {
                if (t.kind() == Target.Kind.LOCAL && accepts(t, verdicts)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether a group member may take the event: it has no filter, or its filter accepts the event (each
     * distinct filter evaluated once per event, in {@code verdicts}), or there is no event to judge.
     */
    private static boolean accepts(Target t, FilterVerdicts verdicts) {
        return t.filter() == null || verdicts == null || verdicts.accepts(t.filter());
    }

    private static QueueGroup<Target> group(Match<Target> match, String name) {
        for (QueueGroup<Target> g : match.groups()) {
            if (g.name().equals(name)) {
                return g;
            }
        }
        return null;
    }

    /**
     * One member of {@code kind} whose filter accepts the event, chosen with {@code random} among the
     * distinct such names sorted, so the choice depends on the generator only, not on the trie's
     * internal order, nor on how many entries (patterns, filters) a node or site has in the group; null
     * when none. One candidate takes nothing from the generator.
     */
    private static String pick(QueueGroup<Target> g, Target.Kind kind, RandomGenerator random,
                               FilterVerdicts verdicts) {
        String only = null;
        List<String> names = null;
        for (Target t : g.members()) {
            if (t.kind() != kind || !accepts(t, verdicts)) {
                continue;
            }
            if (only == null) {
                only = t.name();
            } else if (names != null || !only.equals(t.name())) {
                if (names == null) {
                    names = new ArrayList<>();
                    names.add(only);
                }
                names.add(t.name());
            }
        }
        if (names == null) {
            return only;
        }
        Collections.sort(names);
        int distinct = 1;
        for (int i = 1; i < names.size(); i++) {
            if (!names.get(i).equals(names.get(distinct - 1))) {
                names.set(distinct++, names.get(i));
            }
        }
        return distinct == 1 ? names.get(0) : names.get(random.nextInt(distinct));
    }

    private static final class Builder {
        boolean deliverLocal;
        final Set<String> localGroups = new TreeSet<>();
        final Map<String, Set<String>> routes = new HashMap<>();
        final Map<String, Set<String>> gateways = new HashMap<>();
        final Set<String> unroutable = new TreeSet<>();
        /**
         * Per node or site reached only by plain entries with filters, those filters; an entry without a
         * filter makes the destination unconditional (an empty set here).
         */
        final Map<String, Set<String>> routeFilters = new HashMap<>();
        final Map<String, Set<String>> gatewayFilters = new HashMap<>();

        void condition(Map<String, Set<String>> filters, Target t) {
            Set<String> fs = filters.get(t.name());
            if (fs != null && fs.isEmpty()) {
                return; // unconditional already
            }
            if (t.filter() == null) {
                filters.put(t.name(), Set.of());
            } else {
                if (fs == null) {
                    fs = new TreeSet<>();
                    filters.put(t.name(), fs);
                }
                fs.add(t.filter());
            }
        }

        /** The destinations that get the event only when one of their filters accepts it. */
        private static Map<String, List<String>> conditions(Map<String, Set<String>> filters,
                                                            Map<String, Set<String>> forwards) {
            Map<String, List<String>> out = null;
            for (Map.Entry<String, Set<String>> e : filters.entrySet()) {
                Set<String> groups = forwards.get(e.getKey());
                if (e.getValue().isEmpty() || groups == null || !groups.isEmpty()) {
                    continue; // unconditional, or gone, or carrying queue groups it must place anyway
                }
                if (out == null) {
                    out = new HashMap<>();
                }
                out.put(e.getKey(), List.copyOf(e.getValue()));
            }
            return out == null ? Map.of() : Collections.unmodifiableMap(out);
        }

        Set<String> route(String node) {
            return routes.computeIfAbsent(node, k -> new TreeSet<>());
        }

        Set<String> gateway(String site) {
            return gateways.computeIfAbsent(site, k -> new TreeSet<>());
        }

        RouteDecision build(Function<String, String> gatewayOf) {
            Map<String, Set<String>> gatewayForwards = new HashMap<>();
            Map<String, String> gatewayNodes = new HashMap<>();
            for (Map.Entry<String, Set<String>> e : gateways.entrySet()) {
                String node = gatewayOf.apply(e.getKey());
                if (node == null) {
                    unroutable.addAll(e.getValue());
                    continue;
                }
                gatewayForwards.put(e.getKey(), Collections.unmodifiableSet(e.getValue()));
                gatewayNodes.put(e.getKey(), node);
            }
            Map<String, Set<String>> routeForwards = new HashMap<>();
            routes.forEach((node, groups) -> routeForwards.put(node, Collections.unmodifiableSet(groups)));
            return new RouteDecision(deliverLocal, Collections.unmodifiableSet(localGroups),
                    Collections.unmodifiableMap(routeForwards), Collections.unmodifiableMap(gatewayForwards),
                    Collections.unmodifiableMap(gatewayNodes), Collections.unmodifiableSet(unroutable),
                    conditions(routeFilters, routeForwards), conditions(gatewayFilters, gatewayForwards));
        }
    }
}
