package io.weft.client;

import io.weft.protocol.NodeAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ranks broker candidates, best first. Pure: no I/O, no clock; {@code BrokerConnector} measures,
 * this decides.
 *
 * <p>Order: candidates that answered, then those not tried, then those that failed; within each,
 * ready nodes first (a node that has not synced interest yet misses remote events), then the
 * configured servers when they are preferred, then nodes of the client's own site (when it has
 * one), then the lowest round-trip time, then the address (so equal candidates always rank the
 * same way).
 */
final class BrokerSelector {
    /** Most candidates kept from node lists: a bound on memory and on connect work. */
    static final int MAX_CANDIDATES = 1024;

    private final String site;
    private final Comparator<BrokerCandidate> order;

    /** @param site the client's site; empty for no site preference */
    BrokerSelector(String site) {
        this(site, List.of());
    }

    /**
     * @param site      the client's site; empty for no site preference
     * @param preferred configured servers that rank before other candidates of their stage and
     *                  readiness; empty for none
     */
    BrokerSelector(String site, List<String> preferred) {
        this.site = site == null ? "" : site;
        java.util.Set<String> keys = new java.util.HashSet<>();
        preferred.forEach(p -> keys.add(key(p)));
        this.order = Comparator.comparingInt(BrokerSelector::stage)
                .thenComparing(c -> !c.ready())
                .thenComparing(c -> !keys.contains(key(c.address())))
                .thenComparing(c -> !sameSite(c))
                .thenComparingLong(c -> c.reachable() ? c.rttNanos() : Long.MAX_VALUE)
                .thenComparing(BrokerCandidate::address);
    }

    /** {@code candidates} best first, as a new list. */
    List<BrokerCandidate> rank(Collection<BrokerCandidate> candidates) {
        List<BrokerCandidate> ranked = new ArrayList<>(candidates);
        ranked.sort(order);
        return ranked;
    }

    boolean sameSite(BrokerCandidate c) {
        return !site.isEmpty() && site.equals(c.site());
    }

    private static int stage(BrokerCandidate c) {
        return c.reachable() ? 0 : c.failed() ? 2 : 1;
    }

    /**
     * The candidate set: the configured {@code servers}, then every address in {@code nodes},
     * de-duplicated by address (case and surrounding blanks ignored). A server that a node list
     * describes takes that node's name, site and readiness. At most {@link #MAX_CANDIDATES}.
     */
    static List<BrokerCandidate> merge(List<String> servers, Collection<NodeAddress> nodes) {
        Map<String, BrokerCandidate> byAddress = new LinkedHashMap<>();
        for (String s : servers) {
            if (byAddress.size() < MAX_CANDIDATES) {
                byAddress.putIfAbsent(key(s), BrokerCandidate.seed(s.trim()));
            }
        }
        for (NodeAddress n : nodes) {
            if (n.clientAddress() == null || n.clientAddress().isBlank()) {
                continue;
            }
            String k = key(n.clientAddress());
            BrokerCandidate known = byAddress.get(k);
            if (known != null) {
                byAddress.put(k, known.describedBy(n));
            } else if (byAddress.size() < MAX_CANDIDATES) {
                byAddress.put(k, BrokerCandidate.of(n));
            }
        }
        return new ArrayList<>(byAddress.values());
    }

    /** The identity of an address for de-duplication. */
    static String key(String address) {
        return address.trim().toLowerCase(Locale.ROOT);
    }
}
