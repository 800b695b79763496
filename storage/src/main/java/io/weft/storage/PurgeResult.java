package io.weft.storage;

/**
 * What a purge did ({@link StreamLog#purge}, {@code StreamHost.purge}).
 *
 * @param purged   how many events it removed
 * @param firstSeq the stream's first sequence afterwards ({@code lastSeq + 1} when it is empty)
 * @param lastSeq  the stream's last sequence, which a purge never changes
 * @param upTo     the purge's bound: every event below it is gone once {@code firstSeq >= upTo}
 */
public record PurgeResult(long purged, long firstSeq, long lastSeq, long upTo) {

    /** True when every event below {@link #upTo} is removed (otherwise another entry removes more). */
    public boolean done() {
        return firstSeq >= upTo;
    }
}
