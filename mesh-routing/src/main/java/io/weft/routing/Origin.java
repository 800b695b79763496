package io.weft.routing;

/** Where an event reached this node from: the hop rules of {@link InterestEngine#route} depend on it. */
public enum Origin {
    /** Published by a client of this node. */
    LOCAL,
    /** Forwarded by a node of this site over a route link: deliver locally only. */
    ROUTE,
    /** Forwarded by a node of another site over a gateway link: deliver locally and inside this site. */
    GATEWAY
}
