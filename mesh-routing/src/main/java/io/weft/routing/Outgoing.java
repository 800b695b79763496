package io.weft.routing;

import java.util.Objects;

/**
 * A message the engine wants sent to node {@code toNode}: a link target
 * ({@link InterestEngine#linkTargets()}) or a node that sent this node a message it answers.
 */
public record Outgoing(String toNode, MeshMessage message) {
    public Outgoing {
        Objects.requireNonNull(toNode, "toNode");
        Objects.requireNonNull(message, "message");
    }
}
