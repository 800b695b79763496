package io.weft.routing;

/**
 * Where a node's interest stands: its incarnation and the version of its interest set within that
 * incarnation. Ordered by incarnation, then version: a newer incarnation wins whatever its version.
 */
public record NodeVersion(long incarnation, long version) implements Comparable<NodeVersion> {
    public NodeVersion {
        if (incarnation < 0 || version < 0) {
            throw new IllegalArgumentException("incarnation and version must be >= 0, got ("
                    + incarnation + ", " + version + ")");
        }
    }

    @Override
    public int compareTo(NodeVersion o) {
        int c = Long.compare(incarnation, o.incarnation);
        return c != 0 ? c : Long.compare(version, o.version);
    }

    /** True when this is strictly newer than {@code o}. */
    public boolean newerThan(NodeVersion o) {
        return compareTo(o) > 0;
    }
}
