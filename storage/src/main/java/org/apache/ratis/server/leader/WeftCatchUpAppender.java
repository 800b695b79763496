package org.apache.ratis.server.leader;

import io.weft.storage.raft.CatchUpNetty;
import org.apache.ratis.server.RaftServer;

/**
 * Weft's log appender for Ratis's Netty transport: Ratis's own synchronous appender, except for the
 * next index chosen after a follower answers a heartbeat with INCONSISTENCY
 * ({@link CatchUpNetty#followerOverrules}). It lives in Ratis's package because Ratis 3.3 keeps that
 * appender package-private; nothing else here touches Ratis internals.
 */
public final class WeftCatchUpAppender extends LogAppenderDefault {
    public WeftCatchUpAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
        super(server, state, follower);
    }

    @Override
    protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
        return CatchUpNetty.nextIndexForInconsistency(this, getFollower().getMatchIndex(), requestFirstIndex,
                replyNextIndex, () -> super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex));
    }
}
