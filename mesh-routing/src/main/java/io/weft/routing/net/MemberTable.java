package io.weft.routing.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Who is in the membership group, by the members' own word. The failure detector (JGroups) knows
 * members only by address; which node an address is - name, site, incarnation - comes from the
 * announcement that address sent about itself. A member in the view that has not announced itself
 * yet is <em>unnamed</em>: it is counted, reported and asked to announce, never guessed at.
 *
 * <p>This replaces naming members through JGroups' name cache: right after a merge that cache can
 * lack the names of the other subgroup's members, and a node then held its peers as down for good
 * (on a cold start of six nodes, three each saw two to four peers as raw addresses for the whole run).
 *
 * <p>Pure: no I/O, no threads, the clock passed in. {@link Membership} feeds it views and
 * announcements and sends the asks it returns. Not thread-safe: the caller serialises calls.
 *
 * @param <A> the group's address type (JGroups {@code Address} in production, strings in tests)
 */
final class MemberTable<A> {
    /** Announcements of addresses outside the view are kept this long (one may come before its view). */
    static final long STRAY_KEEP_NANOS = 60_000_000_000L;

    private final A self;
    private NodeInfo selfInfo;
    private List<A> view = List.of();
    private final Map<A, Heard> heard = new HashMap<>();
    /** View members without an announcement: when they were first seen unnamed, and last asked. */
    private final Map<A, long[]> unnamed = new LinkedHashMap<>();
    private Members last;

    private record Heard(NodeInfo info, long atNanos) {
    }

    MemberTable(A self, NodeInfo selfInfo) {
        this.self = Objects.requireNonNull(self, "self");
        this.selfInfo = Objects.requireNonNull(selfInfo, "selfInfo");
    }

    A self() {
        return self;
    }

    void updateSelf(NodeInfo info) {
        this.selfInfo = Objects.requireNonNull(info, "info");
    }

    /**
     * A new view ({@code members} includes this node). Announcements of members that left are
     * forgotten; members without one become unnamed.
     *
     * @return the snapshot when it changed, else null
     */
    Members view(List<A> members, long nowNanos) {
        Set<A> now = new HashSet<>(members);
        Set<A> before = new HashSet<>(view);
        view = List.copyOf(members);
        heard.entrySet().removeIf(e -> !now.contains(e.getKey())
                && (before.contains(e.getKey()) || nowNanos - e.getValue().atNanos > STRAY_KEEP_NANOS));
        unnamed.keySet().retainAll(now);
        for (A a : members) {
            if (!a.equals(self) && !heard.containsKey(a)) {
                unnamed.putIfAbsent(a, new long[] {nowNanos, Long.MIN_VALUE});
            }
        }
        return changed();
    }

    /**
     * {@code from} announced itself as {@code info}.
     *
     * @return the snapshot when it changed, else null
     */
    Members announced(A from, NodeInfo info, long nowNanos) {
        Objects.requireNonNull(info, "info");
        if (from.equals(self)) {
            return null;
        }
        heard.put(from, new Heard(info, nowNanos));
        unnamed.remove(from);
        return changed();
    }

    /**
     * Unnamed members not asked within {@code everyNanos}: ask each to announce itself (its
     * announcement may have been dropped while views were merging, or never sent to us).
     * Marks them asked.
     */
    List<A> dueAsks(long nowNanos, long everyNanos) {
        List<A> due = new ArrayList<>();
        for (Map.Entry<A, long[]> e : unnamed.entrySet()) {
            long lastAsked = e.getValue()[1];
            if (lastAsked == Long.MIN_VALUE || nowNanos - lastAsked >= everyNanos) {
                e.getValue()[1] = nowNanos;
                due.add(e.getKey());
            }
        }
        return due;
    }

    /** The current snapshot. */
    Members snapshot() {
        Map<String, NodeInfo> live = new TreeMap<>();
        live.put(selfInfo.name(), selfInfo);
        for (A a : view) {
            Heard h = heard.get(a);
            if (h == null || a.equals(self) || h.info.name().equals(selfInfo.name())) {
                continue;
            }
            live.merge(h.info.name(), h.info, (x, y) -> y.incarnation() > x.incarnation() ? y : x);
        }
        List<String> names = new ArrayList<>();
        for (A a : unnamed.keySet()) {
            names.add(String.valueOf(a));
        }
        return new Members(live, names);
    }

    private Members changed() {
        Members s = snapshot();
        if (s.equals(last)) {
            return null;
        }
        last = s;
        return s;
    }
}
