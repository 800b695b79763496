package io.weft.client;

import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;

/**
 * A broker the client considered when it last connected or reconnected, as {@link MeshClient#candidates()}
 * shows it. What is known of a candidate comes from the configured servers, from the node lists in
 * brokers' INFO, and, most authoritative, from the candidate's own INFO when it was measured.
 *
 * @param address  client address {@code HOST:PORT}
 * @param node     node name, empty while unknown (a configured server not yet reached)
 * @param site     site name, empty while unknown
 * @param ready    whether the node said it has synced interest (false while unknown)
 * @param rttNanos measured round trip (TCP connect + HELLO until INFO) in nanoseconds, or
 *                 {@link #UNMEASURED} when the candidate was not tried
 * @param error    why the candidate could not be used, or null
 */
public record BrokerCandidate(String address, String node, String site, boolean ready, long rttNanos, String error) {
    /** {@link #rttNanos()} of a candidate that was not tried. */
    public static final long UNMEASURED = -1;

    /** True when the candidate answered: it has a round-trip time and no error. */
    public boolean reachable() {
        return error == null && rttNanos >= 0;
    }

    /** True when the candidate was tried and failed; {@link #error()} says why. */
    public boolean failed() {
        return error != null;
    }

    static BrokerCandidate seed(String address) {
        return new BrokerCandidate(address, "", "", false, UNMEASURED, null);
    }

    static BrokerCandidate of(NodeAddress n) {
        return new BrokerCandidate(n.clientAddress().trim(), n.node(), n.site(), n.ready(), UNMEASURED, null);
    }

    /** This candidate as it described itself in its own INFO, reached in {@code rttNanos}. */
    BrokerCandidate measured(Info info, long rttNanos) {
        return new BrokerCandidate(address, info.node(), info.site(), info.ready(), Math.max(0, rttNanos), null);
    }

    BrokerCandidate failed(String why) {
        return new BrokerCandidate(address, node, site, ready, UNMEASURED, why);
    }

    /** Same address, with what {@code n} tells about it (name, site, readiness). */
    BrokerCandidate describedBy(NodeAddress n) {
        return new BrokerCandidate(address, n.node(), n.site(), n.ready(), rttNanos, error);
    }
}
