package io.weft.routing.topology;

import io.weft.routing.Hash64;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which relayed copies of remote sites' aggregates a node applies: the version it holds per site,
 * and the verdict on each copy that arrives.
 *
 * <p>Why versions and not only the digest chain: a site update says "from digest B to digest N"
 * and applies to a copy at B. After {@code +x} (B to N) and {@code -x} (N back to B), a late
 * relayed copy of {@code +x} finds the copy at B again and would re-apply, leaving {@code x} in
 * for good (the ABA trap). With one writer per site numbering its changes, the late copy carries an
 * older version and is ignored. Over one gateway link the chain sufficed; relayed over several
 * paths, copies overtake each other.
 *
 * <p>Not thread-safe.
 */
public final class RelayOrder {
    /** What to do with a relayed update. */
    public enum Verdict {
        /** The next change of the held version: apply it. */
        APPLY,
        /** Newer but not the next one (a change was missed, or a new epoch began): ask for the full aggregate. */
        GAP,
        /** Not newer than what is held: a late or duplicate copy, ignore it. */
        STALE
    }

    private final TreeMap<String, SiteVersion> held = new TreeMap<>();

    /**
     * A relayed update of {@code site}'s aggregate at version {@code v}. On {@link Verdict#APPLY}
     * the version is taken as held (the caller applies the change).
     */
    public Verdict offerUpdate(String site, SiteVersion v) {
        SiteVersion h = held.get(site);
        if (h != null && !v.isNewerThan(h)) {
            return Verdict.STALE;
        }
        if (h != null && v.follows(h)) {
            held.put(site, v);
            return Verdict.APPLY;
        }
        return Verdict.GAP;
    }

    /**
     * A relayed full aggregate of {@code site} at version {@code v}.
     *
     * @return true when it is newer than what is held (or nothing is): the caller replaces its copy
     */
    public boolean offerFull(String site, SiteVersion v) {
        SiteVersion h = held.get(site);
        if (h != null && !v.isNewerThan(h)) {
            return false;
        }
        held.put(site, v);
        return true;
    }

    /** The version held for {@code site}, or null. */
    public SiteVersion held(String site) {
        return held.get(site);
    }

    /** Drops {@code site} (its aggregate expired after it stayed unreachable for MaxAge). */
    public void forget(String site) {
        held.remove(site);
    }

    /** Every held version, sorted by site: the summary anti-entropy exchanges after a digest mismatch. */
    public Map<String, SiteVersion> summary() {
        return java.util.Collections.unmodifiableSortedMap(new TreeMap<>(held));
    }

    /** The sites of {@code theirs} at a newer version than held here (or not held): what to pull. Sorted. */
    public List<String> newerIn(Map<String, SiteVersion> theirs) {
        List<String> out = new ArrayList<>();
        new TreeMap<>(theirs).forEach((site, v) -> {
            SiteVersion h = held.get(site);
            if (h == null || v.isNewerThan(h)) {
                out.add(site);
            }
        });
        return out;
    }

    /** The set hash over {@code (site, epoch, seq)} of every held version (the site table digest); 0 when empty. */
    public long digest() {
        long sum = 0;
        for (Map.Entry<String, SiteVersion> e : held.entrySet()) {
            sum += TopologyHash.version(e.getKey(), e.getValue().epoch(), e.getValue().seq());
        }
        return Hash64.setDigest(sum, held.size());
    }
}
