package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** A {@link MeshNetwork.Listener} that ignores everything: tests override what they watch. */
class QuietListener implements MeshNetwork.Listener {
    @Override
    public void linkUp(MeshLink link) {
    }

    @Override
    public void linkDown(MeshLink link, String reason) {
    }

    @Override
    public void nodesLearned(List<NodeInfo> nodes) {
    }

    @Override
    public void gossip(MeshLink link, ByteBuf frame) {
    }

    @Override
    public void event(MeshLink link, int hop, List<String> groups, String replyTo, ByteBuf pubBody) {
    }
}
