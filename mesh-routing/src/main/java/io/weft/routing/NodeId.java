package io.weft.routing;

import java.util.Objects;

/**
 * A node of the mesh as the membership layer reports it.
 *
 * @param name        unique node name across the mesh (the {@code --node} flag)
 * @param site        the site the node belongs to (the {@code --site} flag)
 * @param incarnation grows every time the node process starts (e.g. its start time in
 *                    milliseconds); interest of an older incarnation is discarded, and messages
 *                    carrying it are ignored
 */
public record NodeId(String name, String site, long incarnation) {
    public NodeId {
        requireName(name, "node name");
        requireName(site, "site name");
        if (incarnation < 0) {
            throw new IllegalArgumentException("incarnation must be >= 0, got " + incarnation
                    + " for node '" + name + "'");
        }
    }

    static void requireName(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }
}
