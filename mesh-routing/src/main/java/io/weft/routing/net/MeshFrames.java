package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Frames of the mesh port (route and gateway links). Same framing as the client protocol
 * ({@code u32 length, u8 type, body}); see {@code docs/mesh.md}.
 *
 * <pre>
 * 0x01 HELLO    u32 magic "WEFM", u8 version (the lowest the dialler speaks), u8 link kind (0 probe,
 *               1 route, 2 gateway), node info, [u8 highest version the dialler speaks] (absent from
 *               version-1 nodes: 1)
 * 0x02 WELCOME  u8 version (the link's: the highest both speak), node info of the acceptor, u16 n, n node
 *               infos it knows, [u8 flags: bit 0 the acceptor is a member of the membership group]
 *               (absent from older nodes: a member)
 * 0x03 CLOSE    str16 reason (the sender closes next)
 * 0x20 PING     u64 token        0x21 PONG  u64 token
 * 0x30 EVENT    u8 hop (1 route, 2 gateway; bit 0x80: a reply topic follows the groups), u8 group count,
 *               str16 groups..., [str16 reply topic], then a PUB body (str16 topic, binary CloudEvent)
 *               exactly as clients send it. The reply topic is where the receiver of a request (a
 *               stream leader acking a durable publish, an API call) sends its answer.
 * 0x31 TREE_EVENT (version 3 and up) u8 flags (0x80: a reply topic follows the groups; 0x01: a hand-off
 *               inside a site, a child site follows the hops), str16 origin site, i64 tree fingerprint,
 *               u8 site hops, [str16 child site], u8 n, n x (str16 site, str16 queue group),
 *               [str16 reply topic], then a PUB body. An event routed on the site trees
 *               (io.weft.routing.topology.Forwarding): a hop between sites, or from the node where it
 *               entered a site to the site peer that holds the link into a child site.
 * 0x40-0x4f     interest gossip (io.weft.routing.MeshCodec)
 * 0x50-0x5f     link-state gossip (io.weft.routing.topology.TopologyCodec), on links of version 2 and up
 * </pre>
 *
 * <p><b>Versions.</b> A link speaks the highest version both ends speak. A dialler sends the lowest
 * version it speaks in HELLO's version byte, so a version-1 acceptor (which refuses any other
 * number) still takes it, and its highest in a trailing byte that version 1 never reads; the
 * acceptor answers the chosen version in WELCOME, where version-1 acceptors always put 1. Version 2
 * adds the link-state gossip; a version-1 node closes a link on a gossip code it does not know, so
 * nothing of it goes on a version-1 link. Version 3 adds events routed on the site trees (TREE_EVENT)
 * and the relayed site interest (0x54-0x58), sent only on links of version 3.
 */
public final class MeshFrames {
    public static final int MAGIC = 0x5745464d;
    /** The lowest mesh protocol version this node speaks. */
    public static final int MIN_VERSION = 1;
    /** The highest mesh protocol version this node speaks. */
    public static final int VERSION = 3;
    /** The first version with link-state gossip (0x50-0x5f). */
    public static final int VERSION_LINK_STATE = 2;
    public static final byte HELLO = 0x01;
    public static final byte WELCOME = 0x02;
    public static final byte CLOSE = 0x03;
    public static final byte PING = 0x20;
    public static final byte PONG = 0x21;
    public static final byte EVENT = 0x30;
    public static final byte TREE_EVENT = 0x31;
    /** The first version that carries {@link #TREE_EVENT} and the relayed site interest (0x54-0x58). */
    public static final int VERSION_TREE_EVENT = 3;
    /** Set in a TREE_EVENT's flags when the frame hands the event to a site peer for a child site. */
    public static final int TREE_HANDOFF_FLAG = 0x01;
    public static final byte GOSSIP_FIRST = 0x40;
    public static final byte GOSSIP_LAST = 0x5f;
    public static final int HOP_ROUTE = 1;
    public static final int HOP_GATEWAY = 2;
    /** Set in the hop byte of an EVENT that carries a reply topic. */
    public static final int HOP_REPLY_FLAG = 0x80;

    private MeshFrames() {
    }

    static int begin(ByteBuf out, byte type) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(type);
        return start;
    }

    static void end(ByteBuf out, int start) {
        out.setInt(start, out.writerIndex() - start - 4);
    }

    static void writeHello(ByteBuf out, LinkKind kind, NodeInfo self) {
        writeHello(out, kind, self, MIN_VERSION, VERSION);
    }

    static void writeHello(ByteBuf out, LinkKind kind, NodeInfo self, int minVersion, int maxVersion) {
        int s = begin(out, HELLO);
        out.writeInt(MAGIC);
        out.writeByte(minVersion);
        out.writeByte(kind.code);
        self.write(out);
        if (maxVersion != 1) {
            out.writeByte(maxVersion);
        }
        end(out, s);
    }

    /**
     * A HELLO.
     *
     * @param version the version the link speaks: the highest both ends speak
     */
    record Hello(LinkKind kind, NodeInfo node, int version) {
    }

    static Hello readHello(ByteBuf in) {
        Wire.need(in, 6, "mesh HELLO");
        if (in.readInt() != MAGIC) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "not a Weft mesh peer (bad magic)");
        }
        int lowest = in.readUnsignedByte();
        LinkKind kind = LinkKind.of(in.readUnsignedByte());
        NodeInfo node = NodeInfo.read(in);
        int highest = in.isReadable() ? in.readUnsignedByte() : 1;
        int version = Math.min(highest, VERSION);
        if (highest < lowest || version < Math.max(lowest, MIN_VERSION)) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "mesh protocol versions " + lowest + ".." + highest
                    + " are not supported (this node speaks " + MIN_VERSION + ".." + VERSION + ")");
        }
        return new Hello(kind, node, version);
    }

    static void writeWelcome(ByteBuf out, NodeInfo self, Collection<NodeInfo> known, boolean member) {
        writeWelcome(out, VERSION, self, known, member);
    }

    static void writeWelcome(ByteBuf out, int version, NodeInfo self, Collection<NodeInfo> known, boolean member) {
        int s = begin(out, WELCOME);
        out.writeByte(version);
        self.write(out);
        out.writeShort(known.size());
        for (NodeInfo n : known) {
            n.write(out);
        }
        out.writeByte(member ? WELCOME_MEMBER : 0);
        end(out, s);
    }

    private static final int WELCOME_MEMBER = 1;

    /**
     * A WELCOME.
     *
     * @param member  whether the acceptor had joined the membership group when it answered
     * @param version the version the link speaks
     */
    public record Welcome(NodeInfo node, List<NodeInfo> known, boolean member, int version) {
    }

    static Welcome readWelcome(ByteBuf in) {
        Wire.need(in, 1, "WELCOME");
        int version = in.readUnsignedByte();
        if (version < MIN_VERSION || version > VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "the acceptor chose mesh protocol version "
                    + version + ", which this node does not speak (" + MIN_VERSION + ".." + VERSION + ")");
        }
        NodeInfo self = NodeInfo.read(in);
        Wire.need(in, 2, "WELCOME count");
        int n = in.readUnsignedShort();
        List<NodeInfo> known = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            known.add(NodeInfo.read(in));
        }
        boolean member = !in.isReadable() || (in.readUnsignedByte() & WELCOME_MEMBER) != 0;
        return new Welcome(self, known, member, version);
    }

    static void writeClose(ByteBuf out, String reason) {
        int s = begin(out, CLOSE);
        Wire.writeStr16(out, reason);
        end(out, s);
    }

    static void writePing(ByteBuf out, byte type, long token) {
        int s = begin(out, type);
        out.writeLong(token);
        end(out, s);
    }

    /** Header of an EVENT frame whose body ends with {@code pubBodyBytes} bytes of PUB body. */
    static void writeEventHeader(ByteBuf out, int hop, Collection<String> groups, String replyTo, int pubBodyBytes) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(EVENT);
        out.writeByte(replyTo == null ? hop : hop | HOP_REPLY_FLAG);
        out.writeByte(groups.size());
        if (!groups.isEmpty()) {
            for (String g : groups) {
                Wire.writeStr16(out, g);
            }
        }
        if (replyTo != null) {
            Wire.writeStr16(out, replyTo);
        }
        out.setInt(start, out.writerIndex() - start - 4 + pubBodyBytes);
    }

    /** Header of a TREE_EVENT frame whose body ends with {@code pubBodyBytes} bytes of PUB body. */
    static void writeTreeEventHeader(ByteBuf out, TreeHop tree, String replyTo, int pubBodyBytes) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(TREE_EVENT);
        int flags = (replyTo == null ? 0 : HOP_REPLY_FLAG) | (tree.childSite() == null ? 0 : TREE_HANDOFF_FLAG);
        out.writeByte(flags);
        Wire.writeStr16(out, tree.header().originSite());
        out.writeLong(tree.header().treeFp());
        out.writeByte(tree.header().siteHops());
        if (tree.childSite() != null) {
            Wire.writeStr16(out, tree.childSite());
        }
        out.writeByte(tree.siteGroups().size());
        for (TreeHop.SiteGroup g : tree.siteGroups()) {
            Wire.writeStr16(out, g.site());
            Wire.writeStr16(out, g.group());
        }
        if (replyTo != null) {
            Wire.writeStr16(out, replyTo);
        }
        out.setInt(start, out.writerIndex() - start - 4 + pubBodyBytes);
    }

    /**
     * Reads a TREE_EVENT's header after the type byte, up to the reply topic; the reader index is then at
     * the reply topic (when {@code (flags & HOP_REPLY_FLAG) != 0}) or the PUB body.
     *
     * @param flags the flags byte, already read
     */
    static TreeHop readTreeHop(ByteBuf in, int flags) {
        if ((flags & ~(HOP_REPLY_FLAG | TREE_HANDOFF_FLAG)) != 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "unknown TREE_EVENT flags 0x" + Integer.toHexString(flags));
        }
        String origin = Wire.readStr16(in);
        Wire.need(in, 9, "TREE_EVENT header");
        long fp = in.readLong();
        int hops = in.readUnsignedByte();
        String child = (flags & TREE_HANDOFF_FLAG) != 0 ? Wire.readStr16(in) : null;
        Wire.need(in, 1, "TREE_EVENT groups");
        int n = in.readUnsignedByte();
        List<TreeHop.SiteGroup> groups = n == 0 ? List.of() : new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            groups.add(new TreeHop.SiteGroup(Wire.readStr16(in), Wire.readStr16(in)));
        }
        try {
            return new TreeHop(new io.weft.routing.topology.Forwarding.Header(origin, fp, hops), child, groups);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "bad TREE_EVENT header: " + e.getMessage());
        }
    }
}
