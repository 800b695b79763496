package io.weft.routing;

/**
 * The last few digests a set had, each with the time it stopped being current: lets a node tell
 * a remote copy that is merely one update behind (the update is on its way) from one that is
 * really stale. A fixed ring, no allocation. Not thread-safe.
 */
final class RecentDigests {
    private static final int SIZE = 16;

    private final long[] digests = new long[SIZE];
    private final long[] untilNanos = new long[SIZE];
    private final boolean[] used = new boolean[SIZE];
    private int next;
    private long current;

    /** The set's digest is {@code digest} from {@code nowNanos} on (no-op when unchanged). */
    void update(long digest, long nowNanos) {
        if (digest == current) {
            return;
        }
        digests[next] = current;
        untilNanos[next] = nowNanos;
        used[next] = true;
        next = (next + 1) % SIZE;
        current = digest;
    }

    /** True when the set had {@code digest} until less than {@code windowNanos} before {@code nowNanos}. */
    boolean wasRecent(long digest, long nowNanos, long windowNanos) {
        for (int i = 0; i < SIZE; i++) {
            if (used[i] && digests[i] == digest && nowNanos - untilNanos[i] < windowNanos) {
                return true;
            }
        }
        return false;
    }
}
