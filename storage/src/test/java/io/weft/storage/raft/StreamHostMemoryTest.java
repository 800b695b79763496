package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

/**
 * The Ratis memory a stream group may hold on its leader, added up from the settings StreamHost
 * gives it. Regression: with Ratis's defaults a leader sending a snapshot to a follower that had been
 * cut off for a minute ran out of a 256 MB heap (chaos scenario 2, long profile).
 */
class StreamHostMemoryTest {
    private static final long MB = 1 << 20;

    @Test
    void aGroupsRatisBuffersStayUnderAThirdOfA256MbHeap() {
        RaftProperties p = StreamHost.properties(Path.of("unused"), "127.0.0.1", 0, StreamHost.Settings.defaults());
        long segmentCache = RaftServerConfigKeys.Log.segmentCacheSizeMax(p).getSize();
        // the Netty transport's appender has one appendEntries outstanding per follower
        long appends = RaftServerConfigKeys.Log.Appender.bufferByteLimit(p).getSize();
        long snapshotChunk = RaftServerConfigKeys.Log.Appender.snapshotChunkSizeMax(p).getSize();
        long pendingWrites = RaftServerConfigKeys.Write.byteLimit(p).getSize();
        long total = segmentCache + appends + snapshotChunk + pendingWrites;
        assertTrue(total <= 96 * MB, "a group may hold " + total / MB + " MB: cache " + segmentCache / MB
                + ", appends " + appends / MB + ", chunk " + snapshotChunk / MB + ", pending writes " + pendingWrites / MB);
        assertTrue(RaftServerConfigKeys.Log.segmentCacheNumMax(p) <= 2);
        assertTrue(RaftServerConfigKeys.Log.segmentSizeMax(p).getSize() * RaftServerConfigKeys.Log.segmentCacheNumMax(p)
                <= segmentCache, "the segment cache can hold its segments");
    }

    /**
     * Regression: purging the log right up to each snapshot made every follower that lagged even a few
     * seconds catch up through a snapshot install, which stalled the group when the install failed or
     * its leader died mid-way (chaos scenarios 1 and 2, long profile).
     */
    @Test
    void theLogKeepsASnapshotIntervalBehindTheSnapshot() {
        StreamHost.Settings settings = StreamHost.Settings.defaults();
        RaftProperties p = StreamHost.properties(Path.of("unused"), "127.0.0.1", 0, settings);
        assertTrue(RaftServerConfigKeys.Log.purgePreservationLogNum(p) >= settings.snapshotEveryEntries());
    }
}
