package io.weft.routing.topology;

/**
 * The versions one site's speaker (the lowest-named live node of the site) gives its aggregate,
 * so that relayed copies can be ordered ({@link RelayOrder}).
 * <ul>
 *   <li>A node that becomes speaker takes {@code epoch = max(seen) + 1} ({@link #takeOver}) and
 *       re-announces the full aggregate: it cannot know the last seq its predecessor used, but
 *       any version of a new epoch beats all of them.</li>
 *   <li>Every change of the aggregate gets the next seq ({@link #next}).</li>
 *   <li>As OSPF does with its own LSAs: when it sees its own site's aggregate relayed at a newer
 *       version than its own, or at its own version with other content (a second speaker during a
 *       split of the site's group, or its own earlier life), it jumps past it
 *       ({@link #observe}) and re-announces.</li>
 * </ul>
 * Not thread-safe.
 */
public final class SiteSpeaker {
    private SiteVersion current;
    private long digest;

    /**
     * Takes over as speaker after the highest version of this site's aggregate seen anywhere
     * ({@code maxSeen}, null when none), with the aggregate at {@code aggregateDigest}.
     *
     * @return the version to announce the full aggregate at
     */
    public SiteVersion takeOver(SiteVersion maxSeen, long aggregateDigest) {
        SiteVersion base = maxSeen;
        if (current != null && (base == null || current.isNewerThan(base))) {
            base = current;
        }
        current = SiteVersion.nextEpoch(base);
        digest = aggregateDigest;
        return current;
    }

    /** The version of the next change, which brings the aggregate to {@code newDigest}. */
    public SiteVersion next(long newDigest) {
        if (current == null) {
            throw new IllegalStateException("not the speaker: takeOver first");
        }
        current = current.next();
        digest = newDigest;
        return current;
    }

    /**
     * This site's aggregate was seen relayed at {@code seen} with {@code seenDigest}.
     *
     * @return the version to re-announce the full aggregate at, when the speaker had to jump past
     *         {@code seen}; null when {@code seen} is its own or older
     */
    public SiteVersion observe(SiteVersion seen, long seenDigest) {
        if (current == null) {
            return null;
        }
        boolean conflict = seen.isNewerThan(current) || (seen.equals(current) && seenDigest != digest);
        if (!conflict) {
            return null;
        }
        current = SiteVersion.nextEpoch(seen.isNewerThan(current) ? seen : current);
        return current;
    }

    /** The version last announced, or null before {@link #takeOver}. */
    public SiteVersion current() {
        return current;
    }
}
