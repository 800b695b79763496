package io.weft.routing.net;

import io.weft.routing.topology.Forwarding;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link MeshFrames#TREE_EVENT} carries besides the event: the site-routing header (origin site,
 * the fingerprint of the tree the publisher stamped, site hops so far), the child site when the frame
 * hands the event to a site peer that holds the link into that child (null on a hop between sites),
 * and the queue groups the publisher placed on sites further down the tree, each with its site.
 *
 * @param header     origin, tree fingerprint and site hops ({@link Forwarding.Header})
 * @param childSite  for a hand-off inside a site: the child site the receiver sends it into; else null
 * @param siteGroups queue groups placed on sites of the subtree this copy goes to
 */
public record TreeHop(Forwarding.Header header, String childSite, List<SiteGroup> siteGroups) {
    /** Queue group {@code group} is delivered by one member in site {@code site}. */
    public record SiteGroup(String site, String group) {
        public SiteGroup {
            Objects.requireNonNull(site, "site");
            Objects.requireNonNull(group, "group");
        }
    }

    public TreeHop {
        Objects.requireNonNull(header, "header");
        siteGroups = siteGroups == null || siteGroups.isEmpty() ? List.of() : List.copyOf(siteGroups);
        if (siteGroups.size() > 255) {
            throw new IllegalArgumentException("at most 255 site groups in one event, got " + siteGroups.size());
        }
    }

    /** Upper bound of the header's encoded size, UTF-8 at 3 bytes a char. */
    int maxHeaderBytes() {
        int n = 2 + 3 * header.originSite().length() + 8 + 1 + 1;
        if (childSite != null) {
            n += 2 + 3 * childSite.length();
        }
        for (SiteGroup g : siteGroups) {
            n += 4 + 3 * (g.site().length() + g.group().length());
        }
        return n;
    }
}
