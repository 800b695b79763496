package io.weft.routing.topology;

/**
 * The version of a site's aggregated interest when it is relayed across site hops: the site's
 * speaker (one writer per site) gives every change of the aggregate the next {@code seq}, and a new
 * speaker starts a new, larger {@code epoch} ({@link #nextEpoch}). Copies that reach a node over
 * several paths, late or out of order, are then ordered by comparing versions, which the digest
 * chain {@code baseDigest -> newDigest} alone cannot do ({@link RelayOrder}).
 *
 * <p>Ordered by epoch, then seq.
 */
public record SiteVersion(long epoch, long seq) implements Comparable<SiteVersion> {
    public SiteVersion {
        if (epoch < 0 || seq < 0) {
            throw new IllegalArgumentException("site version must be >= 0, got (" + epoch + ", " + seq + ")");
        }
    }

    /** The first version a speaker announces (with the full aggregate) when it takes over after {@code maxSeen}, which may be null. */
    public static SiteVersion nextEpoch(SiteVersion maxSeen) {
        return new SiteVersion(maxSeen == null ? 1 : maxSeen.epoch + 1, 0);
    }

    /** The version of the next change within this epoch. */
    public SiteVersion next() {
        return new SiteVersion(epoch, seq + 1);
    }

    public boolean isNewerThan(SiteVersion other) {
        return compareTo(other) > 0;
    }

    /** Whether {@code this} is the change right after {@code previous}: same epoch, next seq. */
    public boolean follows(SiteVersion previous) {
        return epoch == previous.epoch && seq == previous.seq + 1;
    }

    @Override
    public int compareTo(SiteVersion o) {
        int c = Long.compare(epoch, o.epoch);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }
}
