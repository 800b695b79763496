package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.weft.routing.topology.Forwarding.Decision;
import io.weft.routing.topology.Forwarding.Forward;
import io.weft.routing.topology.Forwarding.Header;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The small-scope exhaustive check of multihop.md 5.12: on graphs of 4 and 5 sites (one node per
 * site), one topology change made of two link-state records, and one event, explore <em>every</em>
 * interleaving of: the change (links go down or up physically and the two records are originated
 * by their nodes), the delivery of each record to each other node (any order, each node installing
 * the new graph at once), the publish, and each gateway hop of the event in flight, each hop
 * decided with the receiving node's trees at that moment. In every state no site accepts the event
 * twice, and every accepted hop is parent to child, at the child's depth, in the reference tree
 * ({@link ReferenceTrees}) of the fingerprint the event carries. When the event is published after
 * every node has both records, every site reachable in the final graph gets it.
 *
 * <p>States are memoised (node histories, pending hops, accepted sites), so the interleavings are
 * covered without enumerating them one by one.
 */
class ExhaustiveInterleavingTest {
    /** The histories a node can have of the two records, in order. */
    private static final String[] HISTORIES = {"", "1", "2", "12", "21"};

    /** A base graph: sites, no-transit sites, links ("A-B" with A < B) to costs. */
    private record Base(String name, List<String> sites, Set<String> noTransit, Map<String, Integer> links) {
    }

    /** One scenario: the base, the two records and who sends them, the physical links after the change. */
    private record Scenario(String what, Base base, LinkState l1, LinkState l2, Map<String, Integer> physicalAfter,
                            String publisher) {
    }

    /** A gateway hop in flight; {@code fpId} numbers the fingerprint in the scenario, for the state key. */
    private record Hop(String from, String to, long fp, int hops, int fromId, int toId, int fpId)
            implements Comparable<Hop> {
        char code() {
            return (char) (fromId | toId << 3 | hops << 6 | fpId << 10);
        }

        @Override
        public int compareTo(Hop o) {
            return Character.compare(code(), o.code());
        }

        @Override
        public String toString() {
            return from + "->" + to + "@" + hops;
        }
    }

    private static final class State {
        int[] history;
        boolean changed;
        boolean published;
        boolean publishedConverged;
        int accepted;
        List<Hop> pending = new ArrayList<>();

        State copy() {
            State s = new State();
            s.history = history.clone();
            s.changed = changed;
            s.published = published;
            s.publishedConverged = publishedConverged;
            s.accepted = accepted;
            s.pending = new ArrayList<>(pending);
            return s;
        }

        /** A compact canonical key: flags, histories, accepted sites, then the pending hops sorted. */
        String key() {
            StringBuilder b = new StringBuilder(8 + pending.size());
            b.append((char) ((changed ? 1 : 0) | (published ? 2 : 0) | (publishedConverged ? 4 : 0)));
            b.append((char) accepted);
            for (int h : history) {
                b.append((char) h);
            }
            char[] hops = new char[pending.size()];
            for (int i = 0; i < hops.length; i++) {
                hops[i] = pending.get(i).code();
            }
            Arrays.sort(hops);
            return b.append(hops).toString();
        }

        @Override
        public String toString() {
            return "history " + Arrays.toString(history) + (changed ? ", changed" : "") + (published ? ", published" : "")
                    + ", accepted " + Integer.toBinaryString(accepted) + ", in flight " + pending;
        }
    }

    /** The exploration of one scenario. */
    private static final class Explorer {
        final Scenario sc;
        final List<String> sites;
        /** Per node (site index) and history index: its database and trees after that history. */
        final LinkStateDb[][] dbs;
        final TreeCache[][] caches;
        final Map<Long, ReferenceTrees.Tree> reference = new HashMap<>();
        final Map<Long, Integer> fpIds = new HashMap<>();
        final Set<String> visited = new HashSet<>();
        final Set<String> reachableAfter;
        long terminal;
        long deliveredAfterConvergence;

        Explorer(Scenario sc) {
            this.sc = sc;
            this.sites = sc.base().sites();
            int n = sites.size();
            dbs = new LinkStateDb[n][HISTORIES.length];
            caches = new TreeCache[n][HISTORIES.length];
            Map<String, LinkState> initial = records(sc.base().links(), sc.base().noTransit(), 1);
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < HISTORIES.length; h++) {
                    LinkStateDb db = new LinkStateDb(1_000_000);
                    TreeCache cache = new TreeCache();
                    initial.values().forEach(r -> db.apply(r, 0));
                    cache.install(db.siteGraph());
                    for (char c : HISTORIES[h].toCharArray()) {
                        db.apply(c == '1' ? sc.l1() : sc.l2(), 0);
                        cache.install(db.siteGraph());
                    }
                    dbs[i][h] = db;
                    caches[i][h] = cache;
                    for (String o : db.siteGraph().sites()) {
                        ReferenceTrees.Tree ref = ReferenceTrees.compute(db.siteGraph(), o);
                        ReferenceTrees.Tree old = reference.put(ref.fingerprint(), ref);
                        if (old != null && !old.parents().equals(ref.parents())) { // a cost may differ, the tree not
                            fail("fingerprint collision: " + old + " and " + ref);
                        }
                    }
                }
            }
            LinkStateDb last = dbs[0][3];
            SiteTree finalTree = TreeComputer.compute(last.siteGraph(), sc.publisher());
            reachableAfter = finalTree == null ? Set.of(sc.publisher()) : new TreeSet<>(finalTree.sites());
        }

        String why(State s) {
            return sc.what() + " on " + sc.base().name() + ", publisher " + sc.publisher() + ", state " + s;
        }

        int index(String site) {
            return sites.indexOf(site);
        }

        String nodeOf(String site) {
            return site.toLowerCase();
        }

        boolean physicallyUp(State s, String a, String b) {
            String k = edge(a, b);
            return (s.changed ? sc.physicalAfter() : sc.base().links()).containsKey(k);
        }

        /** A node knows its own links: those its own current record lists. */
        Set<String> liveLinkSites(State s, int node) {
            LinkState own = dbs[node][s.history[node]].get(nodeOf(sites.get(node)));
            Set<String> out = new TreeSet<>();
            own.links().forEach(l -> out.add(l.peerSite()));
            return out;
        }

        void explore(State s) {
            if (!visited.add(s.key())) {
                return;
            }
            boolean any = false;
            if (!s.changed) {
                any = true;
                State t = s.copy();
                t.changed = true;
                originate(t, sc.l1(), '1');
                originate(t, sc.l2(), '2');
                explore(t);
            }
            if (!s.published) {
                any = true;
                explore(publish(s));
            }
            if (s.changed) {
                for (int i = 0; i < sites.size(); i++) {
                    for (char c : new char[] {'1', '2'}) {
                        if (HISTORIES[s.history[i]].indexOf(c) < 0) {
                            any = true;
                            State t = s.copy();
                            t.history[i] = historyIndex(HISTORIES[s.history[i]] + c);
                            explore(t);
                        }
                    }
                }
            }
            for (Hop h : new TreeSet<>(s.pending)) {
                any = true;
                explore(deliver(s, h));
            }
            if (!any) {
                terminal++;
                if (s.publishedConverged) {
                    Set<String> got = new TreeSet<>();
                    for (int i = 0; i < sites.size(); i++) {
                        if ((s.accepted & (1 << i)) != 0) {
                            got.add(sites.get(i));
                        }
                    }
                    assertEquals(reachableAfter, got, why(s) + ": published after convergence, delivered to");
                    deliveredAfterConvergence++;
                }
            }
        }

        void originate(State t, LinkState r, char c) {
            int owner = index(r.site());
            t.history[owner] = historyIndex(HISTORIES[t.history[owner]] + c);
        }

        State publish(State s) {
            State t = s.copy();
            t.published = true;
            t.publishedConverged = s.changed && Arrays.stream(s.history).allMatch(h -> h >= 3);
            int p = index(sc.publisher());
            accept(t, p, null, 0, 0);
            TreeCache cache = caches[p][t.history[p]];
            Forwarding f = forwarding(p);
            Header header = f.stamp(cache);
            if (header != null) {
                fanOut(t, p, header, f.treeOf(header, cache));
            }
            return t;
        }

        State deliver(State s, Hop h) {
            State t = s.copy();
            t.pending.remove(h);
            if (!physicallyUp(t, h.from(), h.to())) {
                return t; // the link broke with the hop on it
            }
            int x = index(h.to());
            Forwarding f = forwarding(x);
            Header header = new Header(sc.publisher(), h.fp(), h.hops());
            Decision d = f.receive(header, h.from(), caches[x][t.history[x]]);
            if (d.accepted()) {
                accept(t, x, h.from(), h.fp(), h.hops());
                fanOut(t, x, header, d.tree());
            }
            return t;
        }

        void accept(State t, int site, String from, long fp, int hops) {
            if ((t.accepted & (1 << site)) != 0) {
                fail(why(t) + ": " + sites.get(site) + " accepts the event twice (from " + from + ")");
            }
            t.accepted |= 1 << site;
            if (from != null) {
                ReferenceTrees.Tree ref = reference.get(fp);
                String s = sites.get(site);
                if (ref == null || !from.equals(ref.parents().get(s)) || ref.depth().get(s) != hops) {
                    fail(why(t) + ": hop " + from + "->" + s + " at " + hops + " is not parent to child in " + ref);
                }
            }
        }

        void fanOut(State t, int node, Header header, SiteTree tree) {
            String site = sites.get(node);
            Decision d = forwarding(node).ingress(tree, header, sites, liveLinkSites(t, node),
                    c -> dbs[node][t.history[node]].holders(site, c));
            for (Forward fw : d.forwards()) {
                if (physicallyUp(t, site, fw.childSite())) {
                    int fpId = fpIds.computeIfAbsent(header.treeFp(), k -> fpIds.size());
                    t.pending.add(new Hop(site, fw.childSite(), header.treeFp(), fw.siteHops(), node,
                            index(fw.childSite()), fpId));
                }
            }
        }

        Forwarding forwarding(int node) {
            String site = sites.get(node);
            return new Forwarding(site, nodeOf(site), Forwarding.DEFAULT_MAX_SITE_HOPS);
        }
    }

    private static int historyIndex(String h) {
        return Arrays.asList(HISTORIES).indexOf(h);
    }

    static String edge(String a, String b) {
        return a.compareTo(b) < 0 ? a + "-" + b : b + "-" + a;
    }

    /** One record per site's single node, listing every link of the site, at {@code seq}. */
    private static Map<String, LinkState> records(Map<String, Integer> links, Set<String> noTransit, long seq) {
        Map<String, List<LinkState.Link>> bySite = new TreeMap<>();
        Set<String> sites = new TreeSet<>();
        links.forEach((e, c) -> {
            String[] ab = e.split("-");
            sites.add(ab[0]);
            sites.add(ab[1]);
            bySite.computeIfAbsent(ab[0], k -> new ArrayList<>()).add(new LinkState.Link(ab[1], ab[1].toLowerCase(), c));
            bySite.computeIfAbsent(ab[1], k -> new ArrayList<>()).add(new LinkState.Link(ab[0], ab[0].toLowerCase(), c));
        });
        Map<String, LinkState> out = new TreeMap<>();
        for (String s : sites) {
            out.put(s.toLowerCase(), record(s, seq, noTransit.contains(s), bySite.getOrDefault(s, List.of())));
        }
        return out;
    }

    private static LinkState record(String site, long seq, boolean noTransit, List<LinkState.Link> links) {
        return new LinkState(site.toLowerCase(), site, 1, seq, noTransit, !noTransit, false, "", links);
    }

    /** The record of {@code site}'s node after the change, listing {@code links} (the site's links among them). */
    private static LinkState after(Base b, String site, Map<String, Integer> links) {
        List<LinkState.Link> own = new ArrayList<>();
        links.forEach((e, c) -> {
            String[] ab = e.split("-");
            if (ab[0].equals(site)) {
                own.add(new LinkState.Link(ab[1], ab[1].toLowerCase(), c));
            } else if (ab[1].equals(site)) {
                own.add(new LinkState.Link(ab[0], ab[0].toLowerCase(), c));
            }
        });
        return record(site, 2, b.noTransit().contains(site), own);
    }

    private static Base base(String name, String noTransit, String... links) {
        Map<String, Integer> m = new TreeMap<>();
        Set<String> sites = new TreeSet<>();
        for (String l : links) {
            String[] p = l.split(":");
            String[] ab = p[0].split("-");
            sites.add(ab[0]);
            sites.add(ab[1]);
            m.put(edge(ab[0], ab[1]), p.length > 1 ? Integer.parseInt(p[1]) : 1);
        }
        Set<String> nt = new TreeSet<>();
        for (char c : noTransit.toCharArray()) {
            nt.add(String.valueOf(c));
        }
        return new Base(name, List.copyOf(sites), nt, m);
    }

    private static List<Base> bases() {
        return List.of(
                base("ring4", "", "A-B", "B-C", "C-D", "D-A"),
                base("diamond+chord", "", "A-B", "A-C", "B-D", "C-D", "B-C"),
                base("K4 with costs", "", "A-B:1", "A-C:2", "A-D:3", "B-C:1", "B-D:2", "C-D:1"),
                base("ring5+chord, E no-transit", "E", "A-B", "B-C", "C-D", "D-E", "E-A", "B-D"),
                base("two hubs, two-uplink edge", "EF", "H-I", "E-H", "E-I", "F-H", "I-X", "X-H:3"));
    }

    /**
     * Changes of one link (both ends re-originate: a cut, an addition, a cost change), from every
     * publisher, and of two links with one end each (the other end has not noticed yet), from the
     * first and the last site, on every base.
     */
    private static List<Scenario> scenarios() {
        List<Scenario> out = new ArrayList<>();
        for (Base b : bases()) {
            List<String> existing = new ArrayList<>(b.links().keySet());
            List<String> all = new ArrayList<>();
            for (int i = 0; i < b.sites().size(); i++) {
                for (int j = i + 1; j < b.sites().size(); j++) {
                    all.add(edge(b.sites().get(i), b.sites().get(j)));
                }
            }
            List<Object[]> changes = new ArrayList<>(); // {what, l1, l2, physicalAfter, publishers}
            List<String> everyone = b.sites();
            List<String> twoPublishers = List.of(b.sites().get(0), b.sites().get(b.sites().size() - 1));
            for (String e : all) {
                String[] ab = e.split("-");
                Map<String, Integer> after = new TreeMap<>(b.links());
                String what;
                if (b.links().containsKey(e)) {
                    after.remove(e);
                    what = "cut " + e;
                } else {
                    after.put(e, 1);
                    what = "add " + e;
                }
                changes.add(new Object[] {what, after(b, ab[0], after), after(b, ab[1], after), after, everyone});
                if (b.links().containsKey(e)) {
                    Map<String, Integer> costlier = new TreeMap<>(b.links());
                    costlier.put(e, 4);
                    changes.add(new Object[] {"cost 4 on " + e, after(b, ab[0], costlier), after(b, ab[1], costlier),
                            costlier, everyone});
                }
            }
            for (int i = 0; i < existing.size(); i++) {
                for (int j = i + 1; j < existing.size(); j++) {
                    String[] e1 = existing.get(i).split("-");
                    String[] e2 = existing.get(j).split("-");
                    Map<String, Integer> after = new TreeMap<>(b.links());
                    after.remove(existing.get(i));
                    after.remove(existing.get(j));
                    for (String x : e1) {
                        for (String y : e2) {
                            if (x.equals(y)) {
                                continue; // one node, one record
                            }
                            Map<String, Integer> seenByX = new TreeMap<>(b.links());
                            seenByX.remove(existing.get(i));
                            Map<String, Integer> seenByY = new TreeMap<>(b.links());
                            seenByY.remove(existing.get(j));
                            changes.add(new Object[] {"cut " + existing.get(i) + " (seen by " + x + ") and "
                                    + existing.get(j) + " (seen by " + y + ")", after(b, x, seenByX), after(b, y, seenByY),
                                    after, twoPublishers}); // many pairs: two publishers keep the run short
                        }
                    }
                }
            }
            for (Object[] c : changes) {
                @SuppressWarnings("unchecked")
                Map<String, Integer> physical = (Map<String, Integer>) c[3];
                @SuppressWarnings("unchecked")
                List<String> publishers = (List<String>) c[4];
                for (String p : publishers) {
                    out.add(new Scenario((String) c[0], b, (LinkState) c[1], (LinkState) c[2], physical, p));
                }
            }
        }
        return out;
    }

    @Test
    void noSiteAcceptsAnEventTwiceInAnyInterleaving() {
        long states = 0;
        long terminals = 0;
        long converged = 0;
        List<Scenario> all = scenarios();
        for (Scenario sc : all) {
            Explorer x = new Explorer(sc);
            State s = new State();
            s.history = new int[sc.base().sites().size()];
            x.explore(s);
            states += x.visited.size();
            terminals += x.terminal;
            converged += x.deliveredAfterConvergence;
        }
        System.out.printf("exhaustive: %d scenarios, %d states, %d terminal states, %d with the event published "
                + "after convergence (all delivered)%n", all.size(), states, terminals, converged);
        assertTrue(all.size() > 400, "scenarios: " + all.size());
        assertTrue(converged > 0, "no terminal state published after convergence: the check of delivery is vacuous");
    }
}
