package io.weft.routing;

import io.weft.routing.MeshMessage.SiteDigest;
import io.weft.routing.MeshMessage.SiteFull;
import io.weft.routing.MeshMessage.SiteUpdate;
import io.weft.routing.RouteTable.Target;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one node holds of the other sites: for each site with a live node, its aggregated interest
 * and digest, its live nodes and this node's gateway peer there; the rules that keep those copies
 * right (apply an update on its base digest, hold one that came early, ask the site for a full
 * set when an update is lost); and the anti-entropy questions. Part of {@link InterestEngine}:
 * every change of a copy goes to the engine's {@link RouteTable}, every message to its
 * {@link Outbox}. Not thread-safe.
 */
final class RemoteSites {
    private final String selfName;
    private final long gossipIntervalNanos;
    private final RouteTable routes;
    private final Outbox outbox;
    private final TreeMap<String, RemoteSite> sites = new TreeMap<>();
    /** The sites with held updates, so a tick does not scan every site. */
    private final Set<RemoteSite> holding = new LinkedHashSet<>();
    private long fullsAsked;
    private long updatesApplied;

    RemoteSites(String selfName, long gossipIntervalNanos, RouteTable routes, Outbox outbox) {
        this.selfName = selfName;
        this.gossipIntervalNanos = gossipIntervalNanos;
        this.routes = routes;
        this.outbox = outbox;
    }

    RemoteSite get(String site) {
        return sites.get(site);
    }

    Collection<RemoteSite> all() {
        return sites.values();
    }

    Set<String> names() {
        return sites.keySet();
    }

    boolean isEmpty() {
        return sites.isEmpty();
    }

    boolean isLive(String node, String site) {
        RemoteSite remote = sites.get(site);
        return remote != null && remote.liveNodes.containsKey(node);
    }

    /** True when every known site has confirmed the digest this node holds for it. */
    boolean allConfirmed() {
        for (RemoteSite site : sites.values()) {
            if (!site.confirmed) {
                return false;
            }
        }
        return true;
    }

    long fullsAsked() {
        return fullsAsked;
    }

    long updatesApplied() {
        return updatesApplied;
    }

    // ---------------------------------------------------------------- membership

    /** A node of another site is alive: the site becomes known, and the gateway may move to it. */
    void nodeUp(NodeId node, long now) {
        RemoteSite site = sites.computeIfAbsent(node.site(), RemoteSite::new);
        site.liveNodes.put(node.name(), node.incarnation());
        String old = site.gateway;
        if (rechoose(site, now)) {
            // A question still queued for the old gateway would go over a link that is closing:
            // ask the new one instead (a membership view reports a site's nodes one by one).
            int unsent = old == null ? 0 : outbox.remove(old,
                    m -> m instanceof SiteDigest d && d.site().equals(site.name));
            ask(site, unsent > 0, now);
        }
    }

    /** A node of another site is dead: its site is forgotten with its last node. */
    void nodeDown(String node, String siteName, long now) {
        RemoteSite site = sites.get(siteName);
        if (site == null || site.liveNodes.remove(node) == null) {
            return;
        }
        if (site.liveNodes.isEmpty()) {
            for (InterestEntry e : site.entries.sorted()) {
                routes.remove(Target.site(siteName), e);
            }
            sites.remove(siteName);
            holding.remove(site);
        } else if (rechoose(site, now)) {
            ask(site, true, now); // a question outstanding with the dead gateway is lost
        }
    }

    /**
     * The link to {@code node}, this node's gateway peer in {@code siteName}, died: another node of
     * the site serves as gateway peer for {@code avoidNanos} (or until membership decides).
     *
     * @return true when the gateway moved
     */
    boolean gatewayLost(String node, String siteName, long now, long avoidNanos) {
        RemoteSite site = sites.get(siteName);
        if (site == null || !node.equals(site.gateway)) {
            return false;
        }
        site.avoidUntil.put(node, now + avoidNanos);
        if (rechoose(site, now)) {
            ask(site, true, now); // a question outstanding with the lost gateway is lost
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- messages

    /**
     * Applies a site's update if this copy is at its base digest, then any held update that fits
     * after it. An update that does not fit yet is held: updates of one site reach this node over
     * several paths (each origin node has its own gateway peer here) and may overtake each other.
     * An update still held after {@link #holdNanos()} makes this node ask its gateway peer in that
     * site for a full set (any node of a site answers for it, and that one has a link).
     */
    void onUpdate(RemoteSite site, SiteUpdate u, long now) {
        long digest = site.entries.digest();
        if (digest == u.newDigest()) {
            return;
        }
        if (digest != u.baseDigest()) {
            hold(site, u, now);
            return;
        }
        apply(site, u, now);
        applyHeld(site, now);
    }

    /** A full set from a node of the site: it replaces the copy and confirms it. */
    void onFull(RemoteSite site, SiteFull f, long now) {
        Set<InterestEntry> next = new HashSet<>(f.entries());
        Target target = Target.site(site.name);
        for (InterestEntry e : new ArrayList<>(site.entries.view())) {
            if (!next.contains(e)) {
                site.entries.remove(e);
                routes.remove(target, e);
            }
        }
        for (InterestEntry e : f.entries()) {
            if (site.entries.add(e)) {
                routes.add(target, e);
            }
        }
        site.askOutstanding = false;
        site.confirmed = site.entries.digest() == f.digest();
        applyHeld(site, now);
    }

    /** A node of the site echoed a digest: it confirms the copy if it is still at that digest. */
    void onEcho(RemoteSite site, SiteDigest d) {
        if (d.digest() == site.entries.digest()) {
            site.confirmed = true;
            site.askOutstanding = false;
        }
    }

    private void hold(RemoteSite site, SiteUpdate u, long now) {
        if (site.held.size() >= RemoteSite.MAX_HELD) {
            site.held.clear();
            ask(site, false, now);
            return;
        }
        if (site.held.isEmpty()) {
            site.heldSinceNanos = now;
            holding.add(site);
        }
        site.held.add(u);
    }

    /** Applies held updates while one fits; drops those the copy has already reached. */
    private void applyHeld(RemoteSite site, long now) {
        boolean progress = true;
        while (progress && !site.held.isEmpty()) {
            progress = false;
            long digest = site.entries.digest();
            for (Iterator<SiteUpdate> it = site.held.iterator(); it.hasNext(); ) {
                SiteUpdate h = it.next();
                if (h.newDigest() == digest) {
                    it.remove();
                } else if (h.baseDigest() == digest) {
                    it.remove();
                    apply(site, h, now);
                    progress = true;
                    break;
                }
            }
        }
    }

    private void apply(RemoteSite site, SiteUpdate u, long now) {
        Target target = Target.site(site.name);
        for (InterestEntry e : u.removed()) {
            if (site.entries.remove(e)) {
                routes.remove(target, e);
            }
        }
        for (InterestEntry e : u.added()) {
            if (site.entries.add(e)) {
                routes.add(target, e);
            }
        }
        updatesApplied++;
        if (site.entries.digest() != u.newDigest()) {
            site.confirmed = false;
            ask(site, true, now); // the update did not fit after all: start from a full set
        }
    }

    // ---------------------------------------------------------------- time

    /** Held updates that waited too long: the update they wait for is lost, ask for a full set. */
    void expireHeld(long now) {
        if (holding.isEmpty()) {
            return;
        }
        for (Iterator<RemoteSite> it = holding.iterator(); it.hasNext(); ) {
            RemoteSite site = it.next();
            if (site.held.isEmpty()) {
                it.remove();
            } else if (now - site.heldSinceNanos >= holdNanos()) {
                it.remove();
                site.held.clear();
                ask(site, false, now);
            }
        }
    }

    /** When the earliest held update is due to be given up on, or {@code Long.MAX_VALUE} when none is held. */
    long heldDueNanos() {
        long due = Long.MAX_VALUE;
        for (RemoteSite site : holding) {
            if (!site.held.isEmpty()) {
                long d = site.heldSinceNanos + holdNanos();
                due = due == Long.MAX_VALUE || d - due < 0 ? d : due;
            }
        }
        return due;
    }

    /** Anti-entropy: the digest of every site's copy to this node's gateway peer there. */
    void gossip() {
        for (RemoteSite site : sites.values()) {
            outbox.offer(site.gateway, new SiteDigest(site.name, site.entries.digest(), !site.confirmed));
        }
    }

    /**
     * How long an update that does not fit waits for the ones it depends on, and how long a
     * digest of this node's own site stays "recent" for {@link InterestEngine}: a tenth of the
     * gossip interval, which is far more than the extra hop an update takes on one path rather
     * than another.
     */
    long holdNanos() {
        return gossipIntervalNanos / 10;
    }

    /**
     * Sends the digest this node holds for {@code site} to its gateway peer there, which answers
     * with a full set when it differs. Paced: at most one outstanding question per site per gossip
     * interval, unless {@code force}.
     */
    private void ask(RemoteSite site, boolean force, long now) {
        String to = site.gateway;
        if (to == null) {
            return;
        }
        if (!force && site.askOutstanding && now - site.askedNanos < gossipIntervalNanos) {
            return;
        }
        site.askOutstanding = true;
        site.askedNanos = now;
        fullsAsked++;
        outbox.offer(to, new SiteDigest(site.name, site.entries.digest(), !site.confirmed));
    }

    // ---------------------------------------------------------------- queries

    List<InterestSnapshot.Site> snapshot() {
        List<InterestSnapshot.Site> views = new ArrayList<>();
        for (RemoteSite s : sites.values()) {
            views.add(new InterestSnapshot.Site(s.name, InterestSnapshot.hex(s.entries.digest()), s.confirmed,
                    s.gateway, new ArrayList<>(s.liveNodes.keySet()), s.entries.sorted()));
        }
        return views;
    }

    /** Re-chooses a site's gateway peer; when it moves, routing decisions made before are void. */
    private boolean rechoose(RemoteSite site, long now) {
        boolean changed = site.chooseGateway(selfName, now);
        if (changed) {
            routes.touch();
        }
        return changed;
    }
}
