package io.weft.protocol;

/**
 * A {@code HOST:PORT} address as users write it (client, mesh and membership addresses). IPv6 hosts
 * may be bracketed ({@code [::1]:7420}); the brackets are dropped.
 */
public record HostPort(String host, int port) {
    /** Parses {@code address}; throws {@link IllegalArgumentException} saying what is wrong. */
    public static HostPort parse(String address) {
        int colon = address == null ? -1 : address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("'" + address + "' is not HOST:PORT");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + address + "' has no numeric port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + address + "' has a port outside 1..65535");
        }
        return new HostPort(host, port);
    }
}
