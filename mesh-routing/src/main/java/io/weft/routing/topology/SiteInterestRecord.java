package io.weft.routing.topology;

import io.weft.routing.InterestEntry;
import java.util.List;
import java.util.Objects;

/**
 * One site's aggregated interest as relayed across site hops ({@link InterestRelay}): the whole
 * aggregate, written by the site's speaker alone and versioned so that copies arriving over several
 * paths are ordered ({@link SiteVersion}).
 *
 * <p>Immutable. The entries must be sorted and distinct (the order of {@link InterestEntry}), so a
 * record has one form and two copies of the same aggregate are equal.
 *
 * @param site    the site whose interest this is
 * @param speaker the node that wrote it, the site's speaker at the time
 * @param version the speaker's version of the aggregate
 * @param digest  the aggregate's set digest, as the site computes it ({@code SiteAggregate}, {@link
 *                io.weft.routing.Hash64#setDigest}); taken as given, it is what a speaker compares to
 *                tell its own aggregate from another speaker's at the same version
 * @param entries the aggregate, sorted, distinct
 */
public record SiteInterestRecord(String site, String speaker, SiteVersion version, long digest,
                                 List<InterestEntry> entries) {
    public SiteInterestRecord {
        LinkState.requireName(site, "site");
        LinkState.requireName(speaker, "speaker");
        Objects.requireNonNull(version, "version");
        entries = List.copyOf(entries);
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i - 1).compareTo(entries.get(i)) >= 0) {
                throw new IllegalArgumentException("interest of site " + site + ": entries must be sorted and distinct, "
                        + "but " + entries.get(i - 1) + " comes before " + entries.get(i));
            }
        }
    }

    /** This record at another version, the same aggregate: a refresh, or a re-announcement past a conflict. */
    SiteInterestRecord at(SiteVersion v) {
        return new SiteInterestRecord(site, speaker, v, digest, entries);
    }
}
