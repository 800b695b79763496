package io.weft.storage.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Ratis's gRPC transport with the same one decision changed as {@link CatchUpNetty} (a follower's answer
 * to a heartbeat, "send from N", is believed: RATIS-2523). It carries the raft port when TLS is on,
 * because Ratis 3.3's Netty transport has no TLS and its gRPC one takes key and trust managers
 * ({@code GrpcConfigKeys.TLS.setConf} with a {@code GrpcTlsConfig}, set by {@link StreamHost}).
 *
 * <p>All replicas of a site must use the same transport: a TLS mesh uses this one on every node.
 * Selected with {@code raft.rpc.type} set to this class's name; Ratis creates it by reflection, so it
 * needs its public no-argument constructor.
 */
public final class CatchUpGrpc implements RpcType {
    @Override
    public String name() {
        return CatchUpGrpc.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    private static final class Factory extends GrpcFactory {
        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            return new Appender(server, state, follower);
        }
    }

    private static final class Appender extends GrpcLogAppender {
        Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            super(server, state, follower);
        }

        @Override
        protected long getNextIndexForInconsistency(long requestFirstIndex, long replyNextIndex) {
            return CatchUpNetty.nextIndexForInconsistency(this, getFollower().getMatchIndex(), requestFirstIndex,
                    replyNextIndex, () -> super.getNextIndexForInconsistency(requestFirstIndex, replyNextIndex));
        }
    }
}
