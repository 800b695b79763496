package org.apache.ratis.server.leader;

import io.weft.storage.raft.CatchUpNetty;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Weft's log appender for Ratis's Netty transport: Ratis's own synchronous appender, except for the
 * next index chosen after a follower answers a heartbeat with INCONSISTENCY
 * ({@link CatchUpNetty#followerOverrules}). It lives in Ratis's package because Ratis 3.3 keeps that
 * appender package-private; nothing else here touches Ratis internals.
 */
public final class WeftCatchUpAppender extends LogAppenderDefault {
    private static final Logger LOG = LoggerFactory.getLogger(CatchUpNetty.class);

    public WeftCatchUpAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
        super(server, state, follower);
    }

    @Override
    protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
        long matchIndex = getFollower().getMatchIndex();
        long next = CatchUpNetty.followerOverrules(requestFirstIndex, replyNextIndex, matchIndex);
        if (next < 0) {
            return super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex);
        }
        LOG.warn("{}: follower's log ends before index {}, which the leader believed it had matched up to {};"
                + " sending from {} again", this, replyNextIndex, matchIndex, next);
        return next;
    }
}
