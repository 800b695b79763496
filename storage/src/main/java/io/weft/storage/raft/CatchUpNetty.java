package io.weft.storage.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.netty.NettyFactory;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.leader.WeftCatchUpAppender;

/**
 * Ratis's Netty transport, except that a leader believes a follower that says, in answer to a
 * heartbeat, that its log ends before what the leader thought it had matched.
 *
 * <p><b>Why.</b> When a follower answers a heartbeat with INCONSISTENCY and "send from index N",
 * Ratis 3.3's {@code LogAppenderBase.getNextIndexForInconsistency} moves the follower's next index
 * to {@code max(N, matchIndex + 1)}. If the leader's match index for that follower is already past
 * N, the leader has nothing to send from there while the stream is idle, sends the next heartbeat
 * with the same previous entry, gets the same answer, and so on forever: the follower stays behind
 * until new events arrive (upstream RATIS-2523, not fixed in any released version). Chaos scenario 1
 * hit it in CI after the fifth leader kill: a restarted replica stopped at index 11,839 while its
 * leader answered every "send from 11,840" with another heartbeat, for the 90 s the test waited.
 *
 * <p><b>The change.</b> A heartbeat carries no entries, so there is no first entry whose resending
 * could loop (the case Ratis's rule protects); the follower's own account of its log is the best
 * information there is, so the next index becomes N. Entries the follower already holds are
 * skipped by it; missing ones are sent; a log purged past N leads to a snapshot install as usual.
 * Replies to append requests keep Ratis's rule.
 *
 * <p><b>Why Netty, not gRPC.</b> Ratis's Netty transport sends a follower one appendEntries at a
 * time and answers it on the connection's event loop: far fewer thread hand-offs per entry than gRPC's
 * executors and HTTP/2 streams. On the 2-core demo mesh (interleaved fresh meshes, 2026-12-07): one
 * stream's max acked rate 11.2k/10.7k -> 17.0k/14.4k events/s, ack p50 at 5,000 events/s 64-157 ms ->
 * 30-58 ms; three streams at once 10.0-11.1k -> 17.6-18.0k events/s in total.
 *
 * <p>Selected with {@code raft.rpc.type} set to this class's name (see {@link StreamHost}): Ratis
 * creates it by reflection, so it needs its public no-argument constructor. The appender is Ratis's
 * own with one decision changed ({@link WeftCatchUpAppender}).
 */
public final class CatchUpNetty implements RpcType {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CatchUpNetty.class);

    @Override
    public String name() {
        return CatchUpNetty.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    /**
     * The next index to send a follower after it answered INCONSISTENCY, when the follower's reply
     * overrules the leader's belief; -1 when Ratis's own rule should decide.
     *
     * @param requestFirstIndex the index of the first entry of the request answered, -1 for a
     *                          heartbeat or a request no longer pending
     * @param replyNextIndex    the index the follower asked to be sent next
     * @param matchIndex        the last index the leader believes the follower holds
     */
    public static long followerOverrules(long requestFirstIndex, long replyNextIndex, long matchIndex) {
        return requestFirstIndex < 0 && replyNextIndex >= 0 && replyNextIndex <= matchIndex ? replyNextIndex : -1;
    }

    /**
     * What both of Weft's appenders (Netty's and gRPC's) answer for the next index after INCONSISTENCY:
     * {@link #followerOverrules}'s index, logged, or else Ratis's own rule.
     */
    public static long nextIndexForInconsistency(Object appender, long matchIndex, long requestFirstIndex,
                                                 long replyNextIndex, java.util.function.LongSupplier ratisRule) {
        long next = followerOverrules(requestFirstIndex, replyNextIndex, matchIndex);
        if (next < 0) {
            return ratisRule.getAsLong();
        }
        LOG.warn("{}: follower's log ends before index {}, which the leader believed it had matched up to {};"
                + " sending from {} again", appender, replyNextIndex, matchIndex, next);
        return next;
    }

    private static final class Factory extends NettyFactory {
        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            return new WeftCatchUpAppender(server, state, follower);
        }
    }
}
