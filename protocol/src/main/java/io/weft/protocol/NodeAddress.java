package io.weft.protocol;

/** A broker node as told to clients: name, site, client address {@code host:port}, readiness. */
public record NodeAddress(String node, String site, String clientAddress, boolean ready) {
}
