package io.weft.routing;

/**
 * The 64-bit hashes of this package: entry hashes for site digests and rendezvous scores for
 * gateway choice. They are part of the protocol (two nodes must compute the same digest for the
 * same set, whatever their JVM), so they are defined here from characters and fixed constants and
 * never from {@link Object#hashCode()}: FNV-1a over UTF-16 code units, then the murmur3 64-bit
 * finaliser to spread the bits. Not cryptographic: digests detect divergence, they do not resist
 * an attacker. The primitives are public for the topology's hashes (link-state digests, tree
 * fingerprints), which follow the same rules.
 */
public final class Hash64 {
    public static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    /** Separates fields; larger than any UTF-16 unit so "ab"+"c" and "a"+"bc" differ. */
    public static final int SEPARATOR = 0x10000;
    /** Stands for a null field (a plain entry's group), distinct from the empty string. */
    public static final int NULL_FIELD = 0x10001;
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private Hash64() {
    }

    /** Hash of one interest entry, the unit of a site digest. */
    static long entry(InterestEntry e) {
        long h = mixString(FNV_OFFSET, e.pattern());
        h = mixUnit(h, SEPARATOR);
        h = e.queueGroup() == null ? mixUnit(h, NULL_FIELD) : mixString(h, e.queueGroup());
        if (e.filter() != null) {
            // an entry without a filter hashes as before filters existed, so nodes of both versions agree
            h = mixString(mixUnit(h, SEPARATOR), e.filter());
        }
        return fmix64(h);
    }

    /**
     * The digest of a set of entries from the sum (mod 2^64) of their {@link #entry} hashes and
     * their count. A commutative set hash: it depends on the set only, not on the order the
     * entries were added in, so it equals a hash of the sorted entries for this purpose and can be
     * kept up to date in O(1) per added or removed entry. The empty set's digest is 0.
     */
    public static long setDigest(long entryHashSum, int count) {
        return fmix64(entryHashSum ^ (count * GOLDEN));
    }

    /** Rendezvous score of {@code candidate} for {@code chooser}: the largest score wins. */
    public static long rendezvous(String chooser, String candidate) {
        long h = mixString(FNV_OFFSET, chooser);
        h = mixUnit(h, SEPARATOR);
        return fmix64(mixString(h, candidate));
    }

    public static long mixString(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = mixUnit(h, s.charAt(i));
        }
        return h;
    }

    public static long mixUnit(long h, int unit) {
        return (h ^ unit) * FNV_PRIME;
    }

    /** Mixes the 64 bits of {@code v}, as four 16-bit units, high first. */
    public static long mixLong(long h, long v) {
        for (int shift = 48; shift >= 0; shift -= 16) {
            h = mixUnit(h, (int) ((v >>> shift) & 0xffff));
        }
        return h;
    }

    /** The murmur3 64-bit finaliser: fmix64(0) == 0. */
    public static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
