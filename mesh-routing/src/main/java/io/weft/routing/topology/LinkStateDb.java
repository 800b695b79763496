package io.weft.routing.topology;

import io.weft.routing.Hash64;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The link-state database of one node: the newest record of every node of the mesh it has heard
 * of, from which it derives the site graph. Records are flooded (the caller forwards a record to
 * its neighbours when {@link #apply} says it was newer) and repaired by anti-entropy:
 * <ol>
 *   <li>neighbours compare {@link #digest()}, a commutative set hash over {@code (node,
 *       incarnation, seq)}, so equal databases agree in one message whatever the order their
 *       records arrived in;</li>
 *   <li>on a mismatch they exchange a {@link #summary()};</li>
 *   <li>each sends the other {@link #newerThan} the other's summary and pulls
 *       {@link #missingFrom} it (OSPF's database description exchange).</li>
 * </ol>
 *
 * <p>Garbage: a tombstone ({@link LinkState#tombstone}) replaces a departed node's record and is
 * flooded like any record; every record, tombstones included, is dropped by {@link #expire} once
 * it has been held {@code maxAgeMillis} without a newer copy (the backstop when no tombstone came:
 * a node refreshes its own record well within MaxAge). A stale copy that arrives after its record
 * expired is installed again for another MaxAge; that is harmless, since nobody confirms its links.
 *
 * <p>The clock is the caller's ({@code nowMillis} arguments). Not thread-safe.
 */
public final class LinkStateDb {
    private record Held(LinkState state, long installedAtMillis) {
    }

    private final long maxAgeMillis;
    private final TreeMap<String, Held> records = new TreeMap<>();
    /** Site to the nodes whose newest record names it, tombstones included. */
    private final Map<String, TreeSet<String>> nodesBySite = new HashMap<>();
    private long hashSum;
    /** {@link #siteGraph()} of the current records, or null until asked again after a change. */
    private SiteGraph graph;

    /** @param maxAgeMillis how long a record is kept without a newer copy, {@code > 0} (e.g. 4x the refresh interval) */
    public LinkStateDb(long maxAgeMillis) {
        if (maxAgeMillis <= 0) {
            throw new IllegalArgumentException("maxAgeMillis must be > 0, got " + maxAgeMillis);
        }
        this.maxAgeMillis = maxAgeMillis;
    }

    /**
     * Installs {@code record} when it is newer than the one held for its node (or none is held).
     *
     * @return true when installed: the caller floods it on; false when it was not newer (a copy
     *         that came over another path, or an old one) and was ignored
     */
    public boolean apply(LinkState record, long nowMillis) {
        Held old = records.get(record.node());
        if (old != null && !record.isNewerThan(old.state)) {
            return false;
        }
        if (old != null) {
            forget(old.state);
        }
        records.put(record.node(), new Held(record, nowMillis));
        nodesBySite.computeIfAbsent(record.site(), k -> new TreeSet<>()).add(record.node());
        hashSum += hash(record);
        graph = null;
        return true;
    }

    /**
     * Drops every record held for {@code maxAgeMillis} or longer without a newer copy.
     *
     * @return the nodes whose records were dropped, sorted
     */
    public List<String> expire(long nowMillis) {
        List<String> dropped = new ArrayList<>();
        for (Iterator<Held> it = records.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (nowMillis - h.installedAtMillis >= maxAgeMillis) {
                it.remove();
                forget(h.state);
                dropped.add(h.state.node());
            }
        }
        if (!dropped.isEmpty()) {
            graph = null;
        }
        return dropped;
    }

    private void forget(LinkState r) {
        hashSum -= hash(r);
        TreeSet<String> nodes = nodesBySite.get(r.site());
        nodes.remove(r.node());
        if (nodes.isEmpty()) {
            nodesBySite.remove(r.site());
        }
    }

    private static long hash(LinkState r) {
        return TopologyHash.version(r.node(), r.incarnation(), r.seq());
    }

    /** The record held for {@code node}, or null. */
    public LinkState get(String node) {
        Held h = records.get(node);
        return h == null ? null : h.state;
    }

    /** The number of records, tombstones included. */
    public int size() {
        return records.size();
    }

    /** Every record held, sorted by node. */
    public List<LinkState> records() {
        List<LinkState> out = new ArrayList<>(records.size());
        records.values().forEach(h -> out.add(h.state));
        return out;
    }

    /** The set hash over {@code (node, incarnation, seq)} of every record: 0 when empty. */
    public long digest() {
        return Hash64.setDigest(hashSum, records.size());
    }

    /** The version of every record, sorted by node: what a neighbour compares after a digest mismatch. */
    public List<LinkState.Version> summary() {
        List<LinkState.Version> out = new ArrayList<>(records.size());
        records.values().forEach(h -> out.add(h.state.version()));
        return out;
    }

    /** My records that the holder of {@code theirs} lacks or holds an older version of: what to send it. Sorted by node. */
    public List<LinkState> newerThan(Collection<LinkState.Version> theirs) {
        Map<String, LinkState.Version> byNode = byNode(theirs);
        List<LinkState> out = new ArrayList<>();
        for (Held h : records.values()) {
            LinkState.Version v = byNode.get(h.state.node());
            if (v == null || h.state.version().isNewerThan(v)) {
                out.add(h.state);
            }
        }
        return out;
    }

    /** The nodes of {@code theirs} whose record this database lacks or holds an older version of: what to pull. Sorted. */
    public List<String> missingFrom(Collection<LinkState.Version> theirs) {
        TreeSet<String> out = new TreeSet<>();
        for (LinkState.Version v : theirs) {
            Held h = records.get(v.node());
            if (h == null || v.isNewerThan(h.state.version())) {
                out.add(v.node());
            }
        }
        return new ArrayList<>(out);
    }

    /** The records held for {@code nodes}, those it has, sorted by node: the answer to a pull. */
    public List<LinkState> recordsOf(Collection<String> nodes) {
        List<LinkState> out = new ArrayList<>();
        for (String n : new TreeSet<>(nodes)) {
            Held h = records.get(n);
            if (h != null) {
                out.add(h.state);
            }
        }
        return out;
    }

    private static Map<String, LinkState.Version> byNode(Collection<LinkState.Version> versions) {
        Map<String, LinkState.Version> out = new HashMap<>(versions.size() * 2);
        for (LinkState.Version v : versions) {
            out.merge(v.node(), v, (a, b) -> a.isNewerThan(b) ? a : b);
        }
        return out;
    }

    /**
     * The site graph, with the two-way check: site link S—T is up only when the record of a node
     * {@code s} of S lists {@code (T, t)} and the record of {@code t}, of site T, lists {@code (S,
     * s)}. A confirmed node pair costs the larger of its two sides' costs, and a site link the
     * least of its confirmed pairs. A site is in the graph when it has a live (not tombstone)
     * record, and is no-transit when any of them says so. Cached until the records change.
     */
    public SiteGraph siteGraph() {
        if (graph == null) {
            SiteGraph.Builder b = new SiteGraph.Builder();
            for (Held h : records.values()) {
                LinkState r = h.state;
                if (r.tombstone()) {
                    continue;
                }
                b.site(r.site(), r.noTransit());
                for (LinkState.Link l : r.links()) {
                    int cost = confirmedCost(r, l);
                    if (cost > 0) {
                        b.link(r.site(), l.peerSite(), cost);
                    }
                }
            }
            graph = b.build();
        }
        return graph;
    }

    /**
     * The nodes of {@code site} that hold a confirmed link to site {@code peerSite}, sorted: the
     * candidates for the egress of an event into {@code peerSite}. Computed from the records of
     * {@code site}'s nodes only, so it is cheap to ask per decision.
     */
    public List<String> holders(String site, String peerSite) {
        List<String> out = new ArrayList<>();
        TreeSet<String> nodes = nodesBySite.get(site);
        if (nodes == null) {
            return out;
        }
        for (String n : nodes) {
            LinkState r = records.get(n).state;
            if (r.tombstone()) {
                continue;
            }
            for (LinkState.Link l : r.links()) {
                if (l.peerSite().equals(peerSite) && confirmedCost(r, l) > 0) {
                    out.add(n);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * The confirmed node pairs joining {@code site} to {@code peerSite}, as "node peerNode" with the node of
     * {@code site} first, sorted: the links behind a site link of {@link #siteGraph()}.
     */
    public List<String> confirmedPairs(String site, String peerSite) {
        List<String> out = new ArrayList<>();
        for (String n : holders(site, peerSite)) {
            LinkState r = records.get(n).state;
            for (LinkState.Link l : r.links()) {
                if (l.peerSite().equals(peerSite) && confirmedCost(r, l) > 0) {
                    out.add(n + " " + l.peerNode());
                }
            }
        }
        return out;
    }

    /** The cost of link {@code l} of record {@code r} when the peer's record confirms it, else 0. */
    private int confirmedCost(LinkState r, LinkState.Link l) {
        Held peer = records.get(l.peerNode());
        if (peer == null || peer.state.tombstone() || !peer.state.site().equals(l.peerSite())) {
            return 0;
        }
        LinkState.Link back = peer.state.linkTo(r.site(), r.node());
        return back == null ? 0 : Math.max(l.cost(), back.cost());
    }
}
