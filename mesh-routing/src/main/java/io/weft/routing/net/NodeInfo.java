package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;

/**
 * What the mesh knows of a node: identity (name, site, incarnation) and the addresses to reach it
 * ({@code host:port}; the membership address may be empty until the node has joined).
 */
public record NodeInfo(String name, String site, long incarnation, String meshAddress, String clientAddress,
                       String httpAddress, String membershipAddress, String raftAddress) {

    /** A node without a raft address yet. */
    public NodeInfo(String name, String site, long incarnation, String meshAddress, String clientAddress,
                    String httpAddress, String membershipAddress) {
        this(name, site, incarnation, meshAddress, clientAddress, httpAddress, membershipAddress, "");
    }

    public void write(ByteBuf out) {
        Wire.writeStr16(out, name);
        Wire.writeStr16(out, site);
        out.writeLong(incarnation);
        Wire.writeStr16(out, meshAddress);
        Wire.writeStr16(out, clientAddress);
        Wire.writeStr16(out, httpAddress);
        Wire.writeStr16(out, membershipAddress);
        Wire.writeStr16(out, raftAddress);
    }

    public static NodeInfo read(ByteBuf in) {
        String name = Wire.readStr16(in);
        String site = Wire.readStr16(in);
        Wire.need(in, 8, "incarnation");
        long inc = in.readLong();
        NodeInfo n = new NodeInfo(name, site, inc, Wire.readStr16(in), Wire.readStr16(in), Wire.readStr16(in),
                Wire.readStr16(in), Wire.readStr16(in));
        if (name.isEmpty() || site.isEmpty()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "node info without name or site");
        }
        return n;
    }

    /**
     * Which of two infos of one node to keep: the larger incarnation; within one incarnation the
     * later one ({@code b}), unless it lacks an address {@code a} has (a third node's older copy).
     */
    public static NodeInfo newer(NodeInfo a, NodeInfo b) {
        if (a.incarnation != b.incarnation) {
            return b.incarnation > a.incarnation ? b : a;
        }
        return b.membershipAddress.isEmpty() && !a.membershipAddress.isEmpty() ? a : b;
    }

    public NodeInfo withMembershipAddress(String addr) {
        return new NodeInfo(name, site, incarnation, meshAddress, clientAddress, httpAddress, addr, raftAddress);
    }
}
