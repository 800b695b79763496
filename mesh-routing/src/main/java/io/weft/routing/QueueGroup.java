package io.weft.routing;

import java.util.List;
import java.util.Objects;

/**
 * The members of one queue group that a topic matched, across all patterns subscribed under that
 * group name; each member appears once. Picking the one member that receives an event is the
 * caller's job (the broker prefers its own node, then its own site).
 *
 * @param name    the queue group name, never null
 * @param members the matched members, immutable, not empty, no duplicates
 */
public record QueueGroup<T>(String name, List<T> members) {
    public QueueGroup {
        Objects.requireNonNull(name, "name");
        members = List.copyOf(members);
    }
}
