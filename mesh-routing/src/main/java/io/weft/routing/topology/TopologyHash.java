package io.weft.routing.topology;

import io.weft.routing.Hash64;

/**
 * The hash of one link-state version, the unit of a link-state digest, built from {@link Hash64}'s
 * primitives: part of the protocol (two nodes must compute the same digest for the same database,
 * whatever their JVM), so defined from characters and fixed constants, never from
 * {@link Object#hashCode()}. Tree fingerprints ({@link SiteTree#fingerprint}) and egress choice use
 * {@link Hash64} directly.
 */
final class TopologyHash {
    private TopologyHash() {
    }

    /** Hash of one link-state version {@code (node, incarnation, seq)}. */
    static long version(String node, long incarnation, long seq) {
        long h = Hash64.mixString(Hash64.FNV_OFFSET, node);
        h = Hash64.mixUnit(h, Hash64.SEPARATOR);
        h = Hash64.mixLong(h, incarnation);
        h = Hash64.mixUnit(h, Hash64.SEPARATOR);
        return Hash64.fmix64(Hash64.mixLong(h, seq));
    }
}
