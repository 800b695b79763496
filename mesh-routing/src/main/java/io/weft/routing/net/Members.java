package io.weft.routing.net;

import java.util.List;
import java.util.Map;

/**
 * The membership group as this node sees it.
 *
 * @param live    every member that has announced itself (this node included), by node name; when
 *                two addresses announce one name (a restarted node whose old address is not
 *                suspected yet), the one with the larger incarnation
 * @param unnamed members of the group's view that have not announced themselves yet, as the
 *                group's address strings: counted, reported and asked to announce, never guessed at
 */
public record Members(Map<String, NodeInfo> live, List<String> unnamed) {
    public Members {
        live = Map.copyOf(live);
        unnamed = List.copyOf(unnamed);
    }

    /** No group joined yet: only this node. */
    public static Members alone(NodeInfo self) {
        return new Members(Map.of(self.name(), self), List.of());
    }
}
