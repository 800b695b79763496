package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.weft.routing.FilterVerdicts;
import io.weft.routing.InterestEngine;
import io.weft.routing.Origin;
import io.weft.routing.RouteDecision;
import io.weft.routing.net.MeshLink;
import io.weft.routing.net.MeshNetwork;
import io.weft.routing.net.TreeHop;
import io.weft.routing.topology.Forwarding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;

/**
 * Events on the site trees, for the sites outside this node's membership view (docs/mesh.md, "Site graphs
 * beyond the full mesh"): a publisher stamps its site's tree and sends one copy into each child site whose
 * subtree wants the event; a receiver accepts a copy only from its parent in that tree, delivers it, and,
 * when its site has children in the tree, sends it on the same way (a transit site). Inside a site, the
 * node without the link into a child hands the copy to the site peer that holds one.
 *
 * <p>The hop decisions come from {@link SiteTopology}; this class turns them into frames on links, per
 * event, so it keeps the path of a busy topic free of locks held long and of allocation.
 */
final class TreeRouting {
    private final MeshNode node;
    private final SiteTopology topology;
    private final MeshNetwork net;
    private final Router router;
    private final LongAdder sent = new LongAdder();
    private final LongAdder handedOff = new LongAdder();
    private final LongAdder received = new LongAdder();

    TreeRouting(MeshNode node, SiteTopology topology, MeshNetwork net, Router router) {
        this.node = node;
        this.topology = topology;
        this.net = net;
        this.router = router;
    }

    /**
     * Sends an event published here to the sites of {@code d} reached on the trees ({@link InterestEngine#VIA_TREE});
     * {@code verdicts} is null when no destination of {@code d} has a filter. Returns the copies sent.
     */
    int publish(RouteDecision d, FilterVerdicts verdicts, String replyTo, ByteBuf pubBody) {
        int onTree = 0;
        boolean treeGroups = false;
        List<String> filteredSites = null; // with filters: the sites on trees that some filter there accepts
        for (Map.Entry<String, Set<String>> e : d.gatewayForwards().entrySet()) {
            if (!InterestEngine.VIA_TREE.equals(d.gatewayNodes().get(e.getKey()))) {
                continue;
            }
            if (verdicts == null) {
                onTree++;
                treeGroups |= !e.getValue().isEmpty();
            } else if (!node.rejected(d.gatewayConditions().get(e.getKey()), verdicts, e.getKey())) {
                onTree++;
                (filteredSites == null ? filteredSites = new ArrayList<>() : filteredSites).add(e.getKey());
            }
        }
        if (onTree == 0) {
            return 0;
        }
        Forwarding.Header header = topology.stamp();
        if (header == null) {
            return 0;
        }
        // without filters and queue groups, which sites the event wants follows from the decision alone
        Object token = verdicts == null && !treeGroups ? d : null;
        SiteTopology.Plan plan = token == null ? null : topology.memoPlan(token, header, null);
        List<TreeHop.SiteGroup> groups = List.of();
        if (plan == null) {
            Set<String> wanted = new TreeSet<>();
            groups = new ArrayList<>();
            for (Map.Entry<String, Set<String>> e : d.gatewayForwards().entrySet()) {
                if (filteredSites != null ? filteredSites.contains(e.getKey())
                        : InterestEngine.VIA_TREE.equals(d.gatewayNodes().get(e.getKey()))) {
                    wanted.add(e.getKey());
                    for (String g : e.getValue()) {
                        groups.add(new TreeHop.SiteGroup(e.getKey(), g));
                    }
                }
            }
            plan = topology.plan(token, null, header, wanted);
        }
        return sendOnTree(plan, groups, replyTo, pubBody);
    }

    /** A TREE_EVENT frame from {@code link}: a hand-off from a site peer, or a copy from the parent site. */
    void receive(MeshLink link, TreeHop hop, String replyTo, ByteBuf pubBody) {
        received.increment();
        String site = node.self().site();
        String fromSite = link.peer().site();
        if (hop.childSite() != null) {
            // a site peer hands this node the copy for a child site it holds the link into
            if (!fromSite.equals(site)) {
                topology.dropped(Forwarding.DropReason.NOT_PARENT);
                return;
            }
            Forwarding.Decision d = topology.egress(hop.header(), hop.childSite());
            if (d.accepted()) {
                Forwarding.Forward f = d.forwards().get(0);
                sendInto(f.childSite(), new TreeHop(new Forwarding.Header(hop.header().originSite(),
                        hop.header().treeFp(), f.siteHops()), null, hop.siteGroups()), replyTo, pubBody);
            }
            return;
        }
        Forwarding.Decision d = topology.receive(hop.header(), fromSite);
        if (!d.accepted()) {
            return;
        }
        Set<String> here = Set.of();
        List<TreeHop.SiteGroup> further = List.of();
        for (TreeHop.SiteGroup g : hop.siteGroups()) {
            if (g.site().equals(site)) {
                here = here.isEmpty() ? new HashSet<>() : here;
                here.add(g.group());
            } else {
                further = further.isEmpty() ? new ArrayList<>() : further;
                further.add(g);
            }
        }
        // a site in the origin's membership view got its copy over the origin's gateway hop; this one passes
        boolean inView = node.inView(hop.header().originSite());
        if (!d.tree().hasChildren(site)) {
            // a leaf of the event's tree (most sites, every edge): deliver, nothing goes on
            if (!inView) {
                router.routeFromMesh(Origin.GATEWAY, here, replyTo, pubBody);
            }
            return;
        }
        // not copied: the router copies it for local subscribers, and each onward link's write copies it
        int len = pubBody.getUnsignedShort(pubBody.readerIndex());
        String topic = pubBody.toString(pubBody.readerIndex() + 2, len, StandardCharsets.UTF_8);
        if (!inView) {
            router.routeFromMesh(topic, Origin.GATEWAY, here, replyTo, pubBody);
        }
        // the sites an event published here would go to: of a busy topic, a cached decision read without lock
        // (a queue group's pick may add a site that then delivers nothing: waste, never a second delivery)
        RouteDecision asIfLocal = node.decide(topic, Origin.LOCAL, Set.of(), Set.of());
        Object token = asIfLocal.gatewayConditions().isEmpty() && further.isEmpty() ? asIfLocal : null;
        SiteTopology.Plan plan = token == null ? null : topology.memoPlan(token, hop.header(), d.tree());
        if (plan == null) {
            Set<String> wanted = new TreeSet<>();
            if (asIfLocal.gatewayConditions().isEmpty()) {
                wanted.addAll(asIfLocal.gatewayForwards().keySet());
            } else {
                node.sitesWanting(topic, new FilterVerdicts(MeshNode.eventAttributes(pubBody)), wanted);
            }
            for (TreeHop.SiteGroup g : further) {
                wanted.add(g.site());
            }
            wanted.remove(site);
            plan = topology.plan(token, d.tree(), hop.header(), wanted);
        }
        sendOnTree(plan, further, replyTo, pubBody);
    }

    /**
     * Sends an event on its site tree from the node where it entered this site (its publisher, or the
     * receiver of the gateway hop), as {@code plan} says: one copy to each child site whose subtree holds
     * a site that wants it, over this node's link into it or handed to the site peer that holds one.
     *
     * @param plan   the hop decision ({@link SiteTopology#plan}), or null when the tree is unknown
     * @param groups queue groups placed on sites further down; each copy carries those of its subtree
     */
    private int sendOnTree(SiteTopology.Plan plan, List<TreeHop.SiteGroup> groups, String replyTo, ByteBuf pubBody) {
        if (plan == null) {
            return 0;
        }
        Forwarding.Decision d = plan.decision();
        int copies = 0;
        for (int i = 0; i < d.forwards().size(); i++) {
            Forwarding.Forward f = d.forwards().get(i);
            TreeHop hop = plan.hops()[i];
            if (!groups.isEmpty()) {
                List<TreeHop.SiteGroup> below = new ArrayList<>();
                for (TreeHop.SiteGroup g : groups) {
                    if (d.tree().inSubtree(f.childSite(), g.site())) {
                        below.add(g);
                    }
                }
                hop = new TreeHop(hop.header(), hop.childSite(), below);
            }
            if (hop.childSite() == null) {
                copies += sendInto(f.childSite(), hop, replyTo, pubBody);
            } else {
                // the egress checks the tree again and adds the hop: the hand-off carries this site's header
                MeshLink link = net.linkTo(f.egressNode());
                if (link != null && link.sendTreeEvent(hop, replyTo, pubBody)) {
                    handedOff.increment();
                    copies++;
                } else {
                    topology.dropped(Forwarding.DropReason.LINK_DOWN);
                }
            }
        }
        return copies;
    }

    /** Sends a tree event over this node's link into {@code childSite}. */
    private int sendInto(String childSite, TreeHop hop, String replyTo, ByteBuf pubBody) {
        MeshLink link = topology.linkInto(childSite);
        if (link == null || !link.sendTreeEvent(hop, replyTo, pubBody)) {
            topology.dropped(Forwarding.DropReason.LINK_DOWN);
            return 0;
        }
        sent.increment();
        LongAdder[] c = node.counters(link.peer().name());
        c[0].increment();
        c[1].add(pubBody.readableBytes());
        return 1;
    }

    /** Events routed on the site trees, by direction. */
    Map<String, Long> eventCounts() {
        return Map.of("sent", sent.sum(), "handed_off", handedOff.sum(), "received", received.sum());
    }
}
