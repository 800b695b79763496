package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.ratis.rpc.RpcType;
import org.junit.jupiter.api.Test;

class CatchUpNettyTest {
    @Test
    void aHeartbeatAnsweredFromBelowTheMatchIndexRestartsSendingWhereTheFollowerAsks() {
        // the CI case: the follower holds up to 11,839, the leader believed more
        assertEquals(11_840, CatchUpNetty.followerOverrules(-1, 11_840, 12_103));
        assertEquals(11_840, CatchUpNetty.followerOverrules(-1, 11_840, 11_840));
        assertEquals(0, CatchUpNetty.followerOverrules(-1, 0, 500), "a follower that lost its log starts over");
    }

    @Test
    void otherwiseRatisDecides() {
        assertEquals(-1, CatchUpNetty.followerOverrules(-1, 11_840, 11_839), "matchIndex + 1 is what it asks anyway");
        assertEquals(-1, CatchUpNetty.followerOverrules(11_882, 11_818, 12_000), "replies to appends keep Ratis's rule");
        assertEquals(-1, CatchUpNetty.followerOverrules(-1, -1, 10));
    }

    @Test
    void ratisFindsTheTypeByItsName() {
        RpcType type = RpcType.valueOf(new CatchUpNetty().name());
        assertEquals(CatchUpNetty.class, type.getClass());
    }
}
