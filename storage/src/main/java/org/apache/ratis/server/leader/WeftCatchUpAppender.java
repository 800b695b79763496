package org.apache.ratis.server.leader;

import org.apache.ratis.server.RaftServer;

/**
 * Weft's log appender for Ratis's Netty transport: Ratis's own synchronous appender, except for the
 * next index chosen after a follower answers a heartbeat with INCONSISTENCY (see
 * {@code io.weft.storage.raft.CatchUpNetty}). It lives in Ratis's package because Ratis 3.3 keeps that
 * appender package-private; nothing else here touches Ratis internals.
 */
public final class WeftCatchUpAppender extends LogAppenderDefault {
    /** The next index after an INCONSISTENCY reply, or -1 for Ratis's own rule. */
    public interface Rule {
        long next(long requestFirstIndex, long replyNextIndex, long matchIndex);
    }

    private final Rule override;

    /**
     * @param override given the request's first index (-1 for a heartbeat), the follower's next index
     *                 and the leader's match index, the next index to use, or -1 for Ratis's rule
     */
    public WeftCatchUpAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower,
                               Rule override) {
        super(server, state, follower);
        this.override = override;
    }

    @Override
    protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
        long next = override.next(requestFirstIndex, replyNextIndex, getFollower().getMatchIndex());
        return next >= 0 ? next : super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex);
    }
}
