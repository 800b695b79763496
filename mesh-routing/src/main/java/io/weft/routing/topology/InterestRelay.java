package io.weft.routing.topology;

import io.weft.routing.Hash64;
import io.weft.routing.InterestEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * One node's side of the relayed site interest, pure: it holds one {@link SiteInterestRecord} per
 * site of the mesh, so that a node learns the aggregated interest of sites it has no link with
 * (sites joined in chains and hubs). The caller (the broker's mesh node) tells it about neighbours,
 * its site's aggregate and messages, sends what {@link #drainOutbox} returns and applies what
 * {@link #drainChanges} returns to routing; time is the caller's, in milliseconds.
 *
 * <p><b>One writer per site.</b> The caller names one node of each site its speaker ({@link #speak})
 * and tells the others to be quiet ({@link #silence}). The speaker versions its site's record with
 * a {@link SiteSpeaker}: a new speaker takes an epoch above any version of its site it has seen, each
 * change of the aggregate takes the next seq, and a copy of its own site's record that comes back
 * newer than its own, or at its own version with another digest (a second speaker, during a split
 * of the site's group, or its own earlier life), makes it jump past that copy and re-announce. Two
 * speakers of one site (while the site's group is split, or while a starting node does not see the
 * others yet) settle by name, as the caller's choice of speaker does once the views agree: a speaker
 * that sees a newer record of its site from a speaker whose name sorts before its own stops speaking
 * and takes that record; the other jumps past the loser's copies. Without this rule the two jumped past
 * each other at network speed until the caller silenced one (148 epochs in a demo's start-up).
 *
 * <p><b>Flooding and anti-entropy</b> as {@link TopologyEngine} does for link state: a record newer
 * than the one held for its site (by {@link SiteVersion}) is installed and sent to every neighbour
 * but the one it came from; an older or equal copy is ignored, so a late copy never undoes a newer
 * change (the ABA trap of a digest chain, {@link RelayOrder}). Every {@code gossipIntervalMillis} the
 * digest (a set hash over {@code (site, epoch, seq)}) goes to every neighbour of another site and to
 * one neighbour of the own site drawn at random; a neighbour whose digest differs answers with its
 * summary, and the two then send each other what is newer and pull what they lack. One addition,
 * until a neighbour has synced ({@link #syncedNeighbours}, the caller's readiness): the side that
 * answers a summary then sends its digest (with a reply wanted when it sent or pulled records), so
 * both sides see the exchange end in equal digests at once, not at the next round.
 *
 * <p><b>Changes travel as deltas.</b> Every node holds each site's whole record, but the speaker floods
 * a change as the difference from its previous version ({@link TopologyMessage.InterestDelta}) when
 * that is smaller than the record: a node that holds the delta's base applies it and passes the delta
 * on; one that holds an older version missed a change and pulls the whole record from the sender (which
 * has just installed it); a stale delta is ignored. A refresh (every {@code refreshMillis}, so the record
 * outlives MaxAge everywhere) is an empty delta. A new epoch (a takeover, or a jump past a conflict)
 * goes whole, as do pulls and anti-entropy. So one subscription more in a site of thousands costs one
 * entry per link, not the site's whole aggregate.
 *
 * <p><b>MaxAge.</b> A record not renewed for {@code maxAgeMillis} is dropped (never the own record
 * while speaking); its site's interest is then gone ({@link Change} with null entries). Expiry runs
 * in {@link #tick}, which the caller calls at least every gossip interval, so a record lives at most
 * that much longer. As in {@link LinkStateDb}, a copy that arrives after its record expired here
 * (from a node that installed it later) is installed again for another MaxAge.
 *
 * <p>Only the four {@link TopologyMessage.InterestGossip} messages are for this class; the link
 * state's are refused ({@link #onMessage}). Not thread-safe: the caller serialises calls.
 */
public final class InterestRelay {
    /**
     * Settings.
     *
     * @param refreshMillis        how often the speaker re-announces its record unchanged
     * @param maxAgeMillis         how long a record lives without a newer copy
     * @param gossipIntervalMillis how often anti-entropy runs
     */
    public record Config(long refreshMillis, long maxAgeMillis, long gossipIntervalMillis) {
        public Config {
            if (refreshMillis <= 0 || gossipIntervalMillis <= 0 || maxAgeMillis <= refreshMillis) {
                throw new IllegalArgumentException("refresh, gossip interval and max age must be positive, max age "
                        + "longer than the refresh: " + refreshMillis + ", " + gossipIntervalMillis + ", " + maxAgeMillis);
            }
        }

        /** The link state's default refresh and MaxAge ({@link TopologyEngine.Config}), with this gossip interval. */
        public static Config defaults(long gossipIntervalMillis) {
            return new Config(TopologyEngine.Config.DEFAULT_REFRESH_MILLIS, TopologyEngine.Config.DEFAULT_MAX_AGE_MILLIS,
                    gossipIntervalMillis);
        }
    }

    /**
     * The interest of {@code site} changed: route to it by {@code entries} (sorted), or, when
     * {@code entries} is null, the site has no record any more (expired) and no interest.
     */
    public record Change(String site, List<InterestEntry> entries) {
    }

    /** What an admin page shows of a held record. */
    public record HeldRecord(String speaker, SiteVersion version, long digest, int entryCount) {
    }

    private record Held(SiteInterestRecord record, long installedAtMillis) {
    }

    private final String node;
    private final String site;
    private final Config config;
    private final RandomGenerator random;
    private final TreeMap<String, Held> records = new TreeMap<>();
    private long hashSum;
    /** Live neighbours: node name to its site. */
    private final TreeMap<String, String> neighbours = new TreeMap<>();
    /** Neighbours whose digest matched this node's since they came up. */
    private final TreeSet<String> synced = new TreeSet<>();
    /** Sites other than the own whose entries changed since {@link #drainChanges}. */
    private final TreeSet<String> changed = new TreeSet<>();
    private final List<TopologyEngine.Outgoing> outbox = new ArrayList<>();
    private final SiteSpeaker speaker = new SiteSpeaker();
    /** The own site's record this node announces, or null when it does not speak. */
    private SiteInterestRecord own;
    /** The newest version of the own site's record seen in any copy, or null: where a takeover starts. */
    private SiteVersion maxSeenOwn;
    private long nextRefresh;
    private long nextGossip;
    private long recordsInstalled;
    private long staleIgnored;
    private long conflicts;
    private long yielded;
    private long gapsPulled;

    public InterestRelay(String node, String site, Config config, RandomGenerator random, long nowMillis) {
        LinkState.requireName(node, "node");
        LinkState.requireName(site, "site");
        this.node = node;
        this.site = site;
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
        this.nextGossip = nowMillis + config.gossipIntervalMillis();
    }

    /** Whether {@code m} is for this class ({@link #onMessage}) rather than for the {@link TopologyEngine}. */
    public static boolean handles(TopologyMessage m) {
        return m instanceof TopologyMessage.InterestGossip;
    }

    /**
     * A link came up with {@code peerNode} of {@code peerSite}: it is sent the digest at once, with a
     * reply wanted, so the two compare databases now and not at the next anti-entropy round. The time
     * is taken as {@link TopologyEngine#linkUp} takes it; nothing here depends on it.
     */
    public void neighbourUp(String peerNode, String peerSite, long nowMillis) {
        neighbours.put(peerNode, peerSite);
        synced.remove(peerNode);
        send(peerNode, new TopologyMessage.InterestDigest(digest(), true));
    }

    /** The link with {@code peerNode} went down (the time, as for {@link #neighbourUp}, is not needed). */
    public void neighbourDown(String peerNode, long nowMillis) {
        neighbours.remove(peerNode);
        synced.remove(peerNode);
    }

    /**
     * This node is its site's speaker and the site's aggregate is {@code sortedAggregate} (sorted,
     * distinct), of set digest {@code digest}. Called again whenever the aggregate may have changed:
     * a node that was not speaking takes over past every version of its site it has seen; a speaker
     * announces a changed digest at the next seq; the same digest again announces nothing.
     */
    public void speak(List<InterestEntry> sortedAggregate, long digest, long nowMillis) {
        if (own == null) {
            SiteVersion v = speaker.takeOver(maxSeenOwn, digest);
            announce(new SiteInterestRecord(site, node, v, digest, sortedAggregate), nowMillis);
        } else if (digest != own.digest()) {
            SiteVersion v = speaker.next(digest);
            announce(new SiteInterestRecord(site, node, v, digest, sortedAggregate), nowMillis);
        }
    }

    /**
     * Another node speaks for the site now: stop announcing. The records held stay, the own site's
     * too, until a newer one replaces it or it expires.
     */
    public void silence() {
        own = null;
    }

    /**
     * A message from neighbour {@code from}.
     *
     * @throws IllegalArgumentException for a message of the link state, one {@link #handles} refuses
     */
    public void onMessage(String from, TopologyMessage m, long nowMillis) {
        if (m instanceof TopologyMessage.SiteInterest si) {
            receive(si.record(), null, from, nowMillis);
        } else if (m instanceof TopologyMessage.InterestDelta d) {
            receiveDelta(d, from, nowMillis);
        } else if (m instanceof TopologyMessage.InterestDigest d) {
            long mine = digest();
            if (d.digest() != mine) {
                send(from, new TopologyMessage.InterestSummary(summary()));
            } else {
                markSynced(from);
                if (d.replyWanted()) {
                    send(from, new TopologyMessage.InterestDigest(mine, false));
                }
            }
        } else if (m instanceof TopologyMessage.InterestSummary s) {
            answerSummary(from, s.versions());
        } else if (m instanceof TopologyMessage.InterestPull p) {
            for (String s : new TreeSet<>(p.sites())) {
                Held h = records.get(s);
                if (h != null) {
                    send(from, new TopologyMessage.SiteInterest(h.record));
                }
            }
        } else {
            throw new IllegalArgumentException("not a message of the relayed interest: " + m);
        }
    }

    /**
     * A change of a site's record: applied to the held record when that is its base (then handled as the
     * whole new record would be, and passed on as the change); ignored when what is held is as new or
     * newer; otherwise a change was missed, and the whole record is pulled from the sender, which has it.
     */
    private void receiveDelta(TopologyMessage.InterestDelta d, String from, long nowMillis) {
        Held h = records.get(d.site());
        if (h != null && !d.version().isNewerThan(h.record.version())) {
            staleIgnored++;
            return;
        }
        if (h == null || !h.record.version().equals(d.base())) {
            gapsPulled++;
            send(from, new TopologyMessage.InterestPull(List.of(d.site())));
            return;
        }
        receive(d.applyTo(h.record), d, from, nowMillis);
    }

    /** @param delta the change {@code r} came as, passed on as such; null when it came whole */
    private void receive(SiteInterestRecord r, TopologyMessage.InterestDelta delta, String from, long nowMillis) {
        if (r.site().equals(site)) {
            if (maxSeenOwn == null || r.version().isNewerThan(maxSeenOwn)) {
                maxSeenOwn = r.version();
            }
            if (own != null && r.speaker().compareTo(node) < 0 && r.version().isNewerThan(own.version())) {
                own = null; // a speaker whose name sorts first speaks for the site: yield to it, take its record
                yielded++;
            } else if (own != null) {
                // a copy of the own site's record while speaking: never installed, at most jumped past
                SiteVersion v = speaker.observe(r.version(), r.digest());
                if (v == null) {
                    staleIgnored++;
                } else {
                    conflicts++;
                    announce(own.at(v), nowMillis);
                }
                return;
            }
        }
        Held h = records.get(r.site());
        if (h != null && !r.version().isNewerThan(h.record.version())) {
            staleIgnored++;
            return;
        }
        install(r, nowMillis);
        recordsInstalled++;
        if (delta != null) {
            flood(delta, from);
        } else {
            flood(new TopologyMessage.SiteInterest(r), from);
        }
    }

    private void answerSummary(String from, SortedMap<String, SiteVersion> theirs) {
        int sent = 0;
        for (Held h : records.values()) {
            SiteVersion v = theirs.get(h.record.site());
            if (v == null || h.record.version().isNewerThan(v)) {
                send(from, new TopologyMessage.SiteInterest(h.record));
                sent++;
            }
        }
        List<String> pull = new ArrayList<>();
        theirs.forEach((s, v) -> {
            Held h = records.get(s);
            if (h == null || v.isNewerThan(h.record.version())) {
                pull.add(s);
            }
        });
        if (!pull.isEmpty()) {
            send(from, new TopologyMessage.InterestPull(pull));
        }
        if (synced.contains(from)) {
            return; // synced once: later rounds repair at the gossip interval, as the link state does
        }
        if (sent == 0 && pull.isEmpty()) {
            // the same versions on both sides: equal digests; tell the sender, which then sees it too
            markSynced(from);
            send(from, new TopologyMessage.InterestDigest(digest(), false));
        } else {
            // after the records (and the pulled ones, on their way back) the digests should agree: check now
            send(from, new TopologyMessage.InterestDigest(digest(), true));
        }
    }

    /**
     * Re-announces the own record when its refresh is due, expires records not renewed for MaxAge,
     * and runs anti-entropy when due.
     */
    public void tick(long nowMillis) {
        if (own != null && nowMillis - nextRefresh >= 0) {
            announce(own.at(speaker.next(own.digest())), nowMillis);
        }
        for (Iterator<Held> it = records.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            String s = h.record.site();
            if (nowMillis - h.installedAtMillis >= config.maxAgeMillis() && !(own != null && s.equals(site))) {
                it.remove();
                hashSum -= hash(h.record);
                if (!s.equals(site)) {
                    changed.add(s);
                }
            }
        }
        if (nowMillis - nextGossip >= 0) {
            nextGossip = nowMillis + config.gossipIntervalMillis();
            TopologyMessage.InterestDigest d = new TopologyMessage.InterestDigest(digest(), false);
            List<String> sitePeers = new ArrayList<>();
            neighbours.forEach((n, s) -> {
                if (s.equals(site)) {
                    sitePeers.add(n);
                } else {
                    send(n, d);
                }
            });
            if (!sitePeers.isEmpty()) {
                send(sitePeers.get(random.nextInt(sitePeers.size())), d);
            }
        }
    }

    /** When {@link #tick} next has something to do: the next anti-entropy round, or the own record's refresh. */
    public long nextDueMillis() {
        return own != null && nextRefresh - nextGossip < 0 ? nextRefresh : nextGossip;
    }

    /** The messages to send, in order; empties the outbox. */
    public List<TopologyEngine.Outgoing> drainOutbox() {
        if (outbox.isEmpty()) {
            return List.of();
        }
        List<TopologyEngine.Outgoing> out = new ArrayList<>(outbox);
        outbox.clear();
        return out;
    }

    /**
     * The sites other than this node's own whose entries changed since the last call (a newer record
     * with other entries, or none any more), sorted by site, with their entries now; empties the list.
     * A site that came and went between two calls is reported gone.
     */
    public List<Change> drainChanges() {
        if (changed.isEmpty()) {
            return List.of();
        }
        List<Change> out = new ArrayList<>(changed.size());
        for (String s : changed) {
            Held h = records.get(s);
            out.add(new Change(s, h == null ? null : h.record.entries()));
        }
        changed.clear();
        return out;
    }

    /**
     * Installs and floods the own record {@code r}: as the change from the previous own record when it is the
     * next version of it and the change is smaller than the record (a refresh is an empty change), else whole.
     */
    private void announce(SiteInterestRecord r, long nowMillis) {
        SiteInterestRecord prev = own;
        own = r;
        if (maxSeenOwn == null || r.version().isNewerThan(maxSeenOwn)) {
            maxSeenOwn = r.version();
        }
        install(r, nowMillis);
        nextRefresh = nowMillis + config.refreshMillis();
        TopologyMessage m = new TopologyMessage.SiteInterest(r);
        if (prev != null && r.version().follows(prev.version())) {
            java.util.Set<InterestEntry> before = new java.util.HashSet<>(prev.entries());
            java.util.Set<InterestEntry> after = new java.util.HashSet<>(r.entries());
            List<InterestEntry> added = r.entries().stream().filter(e -> !before.contains(e)).toList();
            List<InterestEntry> removed = prev.entries().stream().filter(e -> !after.contains(e)).toList();
            if (added.size() + removed.size() < Math.max(1, r.entries().size())) {
                m = new TopologyMessage.InterestDelta(site, node, prev.version(), r.version(), r.digest(), added, removed);
            }
        }
        flood(m, null);
    }

    /** Puts {@code r} in place of its site's record, which it is newer than. */
    private void install(SiteInterestRecord r, long nowMillis) {
        Held old = records.put(r.site(), new Held(r, nowMillis));
        if (old != null) {
            hashSum -= hash(old.record);
        }
        hashSum += hash(r);
        if (!r.site().equals(site) && (old == null || !old.record.entries().equals(r.entries()))) {
            changed.add(r.site());
        }
    }

    private void flood(TopologyMessage m, String except) {
        for (String n : neighbours.keySet()) {
            if (!n.equals(except)) {
                send(n, m);
            }
        }
    }

    private void send(String to, TopologyMessage m) {
        outbox.add(new TopologyEngine.Outgoing(to, m));
    }

    private void markSynced(String from) {
        if (neighbours.containsKey(from)) {
            synced.add(from);
        }
    }

    private static long hash(SiteInterestRecord r) {
        return TopologyHash.version(r.site(), r.version().epoch(), r.version().seq());
    }

    // ---- views ----

    public String node() {
        return node;
    }

    public String site() {
        return site;
    }

    /** Whether this node announces its site's record. */
    public boolean speaking() {
        return own != null;
    }

    /**
     * The set hash over {@code (site, epoch, seq)} of every record held, the own site's included (the
     * same hash as {@link RelayOrder#digest()}); 0 when none.
     */
    public long digest() {
        return Hash64.setDigest(hashSum, records.size());
    }

    /** The version of every record held, by site: what a neighbour compares after a digest mismatch. */
    public SortedMap<String, SiteVersion> summary() {
        TreeMap<String, SiteVersion> out = new TreeMap<>();
        records.forEach((s, h) -> out.put(s, h.record.version()));
        return Collections.unmodifiableSortedMap(out);
    }

    /** Every record held, by site, as an admin page shows it. */
    public SortedMap<String, HeldRecord> held() {
        TreeMap<String, HeldRecord> out = new TreeMap<>();
        records.forEach((s, h) -> out.put(s, new HeldRecord(h.record.speaker(), h.record.version(), h.record.digest(),
                h.record.entries().size())));
        return Collections.unmodifiableSortedMap(out);
    }

    /** The entries held for {@code site} (sorted), or null when no record of it is held. */
    public List<InterestEntry> entries(String site) {
        Held h = records.get(site);
        return h == null ? null : h.record.entries();
    }

    /** Neighbours with which a digest exchange has ended in equal digests since they came up, sorted. */
    public SortedSet<String> syncedNeighbours() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(synced));
    }

    /** Live neighbours, by node, with their sites. */
    public SortedMap<String, String> neighbours() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(neighbours));
    }

    /** Records installed from messages: newer than the one held for their site. */
    public long recordsInstalled() {
        return recordsInstalled;
    }

    /** Copies ignored: not newer than the record held, or, while speaking, an older copy of the own site's. */
    public long staleIgnored() {
        return staleIgnored;
    }

    /** Changes that did not apply to the record held (one was missed): the whole record was pulled instead. */
    public long gapsPulled() {
        return gapsPulled;
    }

    /** Times this node stopped speaking because a speaker whose name sorts first spoke for its site. */
    public long yielded() {
        return yielded;
    }

    /** Copies of the own site's record from another speaker (or an earlier life) that this speaker jumped past. */
    public long conflicts() {
        return conflicts;
    }
}
