package io.weft.routing;

import io.netty.buffer.ByteBuf;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wire format of {@link MeshMessage}s: the interest gossip carried over route and gateway links.
 *
 * <p>{@link #encode} writes one message as a type byte followed by its body, with no length
 * prefix: the link layer frames it ({@code u32 length, u8 type, body}, as every Weft frame).
 * {@link #decode} reads exactly one message from a buffer that holds it and nothing else. Type
 * codes {@code 0x40..0x4f} are reserved for mesh gossip; this version uses {@code 0x40..0x46}
 * and rejects the others. Codes are stable: never renumber; a changed body gets a new code.
 *
 * <p>Primitives are big-endian. {@code str16} is a u16 byte length then UTF-8
 * ({@link Wire#writeStr16}). An <em>entry</em> is {@code str16 pattern, str16 queueGroup}, where
 * the empty group means a plain subscription. An <em>entries</em> list is {@code u32 count}
 * followed by that many entries. A <em>filtered entries</em> list is the same with a third
 * {@code str16 filter} per entry: the canonical text of its event filter, empty for none.
 *
 * <pre>
 * 0x40 NODE_DELTA   str16 node, i64 incarnation, i64 version, entries added, entries removed
 * 0x41 NODE_FULL    str16 node, i64 incarnation, i64 version, entries
 * 0x42 NODE_DIGEST  u8 flags (bit 0: reply wanted, others 0), u16 count,
 *                   count x (str16 node, i64 incarnation, i64 version)
 * 0x43 NODE_PULL    u16 count, count x str16 node
 * 0x44 SITE_UPDATE  str16 site, i64 baseDigest, i64 newDigest, entries added, entries removed
 * 0x45 SITE_FULL    str16 site, i64 digest, entries
 * 0x46 SITE_DIGEST  str16 site, i64 digest, u8 flags (bit 0: ack wanted, others 0)
 * 0x47 NODE_DELTA_F  as NODE_DELTA, with filtered entries
 * 0x48 NODE_FULL_F   as NODE_FULL, with filtered entries
 * 0x49 SITE_UPDATE_F as SITE_UPDATE, with filtered entries
 * 0x4a SITE_FULL_F   as SITE_FULL, with filtered entries
 * </pre>
 *
 * <p>A message is written with the {@code _F} code only when one of its entries has a filter, so a
 * mesh where no subscription uses a filter speaks exactly what nodes without filters spoke.
 *
 * <p>Decoding validates everything it reads: patterns follow {@link io.weft.protocol.Topics},
 * group names the {@link SubscriptionTrie} rules, node and site names are non-empty, incarnations
 * and versions are non-negative, a filter is the canonical text of a valid filter
 * ({@link io.weft.routing.filter.EventFilters#parse}), node names in a digest are distinct, counts fit the bytes
 * present (so a forged count cannot make it allocate), unknown flag bits are zero and no bytes
 * are left over. Any violation is a {@link ProtocolException} ({@link ErrorCode#PROTOCOL_ERROR},
 * {@link ErrorCode#INVALID_PATTERN} for a bad pattern, {@link ErrorCode#UNKNOWN_FRAME} for a type
 * outside this list): malformed input never yields another exception.
 */
public final class MeshCodec {
    public static final byte NODE_DELTA = 0x40;
    public static final byte NODE_FULL = 0x41;
    public static final byte NODE_DIGEST = 0x42;
    public static final byte NODE_PULL = 0x43;
    public static final byte SITE_UPDATE = 0x44;
    public static final byte SITE_FULL = 0x45;
    public static final byte SITE_DIGEST = 0x46;
    public static final byte NODE_DELTA_F = 0x47;
    public static final byte NODE_FULL_F = 0x48;
    public static final byte SITE_UPDATE_F = 0x49;
    public static final byte SITE_FULL_F = 0x4a;

    /** The smallest encoded entry: two empty str16. */
    private static final int MIN_ENTRY_BYTES = 4;
    /** The smallest encoded digest row: empty str16 and two i64. */
    private static final int MIN_VERSION_ROW_BYTES = 18;
    private static final int MIN_NAME_BYTES = 2;
    private static final int FLAG_BIT = 1;

    private MeshCodec() {
    }

    /** True for the type codes this codec reads: the adapter can dispatch on the first byte. */
    public static boolean isMeshType(byte type) {
        return type >= NODE_DELTA && type <= SITE_FULL_F;
    }

    /**
     * Appends {@code m} (type byte and body) to {@code out}.
     *
     * @throws ProtocolException when a string exceeds the str16 limit (nothing useful is written)
     */
    public static void encode(MeshMessage m, ByteBuf out) {
        if (m instanceof MeshMessage.NodeDelta d) {
            boolean filtered = anyFilter(d.added()) || anyFilter(d.removed());
            out.writeByte(filtered ? NODE_DELTA_F : NODE_DELTA);
            Wire.writeStr16(out, d.node());
            out.writeLong(d.incarnation());
            out.writeLong(d.version());
            writeEntries(out, d.added(), filtered);
            writeEntries(out, d.removed(), filtered);
        } else if (m instanceof MeshMessage.NodeFull f) {
            boolean filtered = anyFilter(f.entries());
            out.writeByte(filtered ? NODE_FULL_F : NODE_FULL);
            Wire.writeStr16(out, f.node());
            out.writeLong(f.incarnation());
            out.writeLong(f.version());
            writeEntries(out, f.entries(), filtered);
        } else if (m instanceof MeshMessage.NodeDigest d) {
            out.writeByte(NODE_DIGEST);
            out.writeByte(d.replyWanted() ? FLAG_BIT : 0);
            requireU16(d.versions().size(), "NODE_DIGEST nodes");
            out.writeShort(d.versions().size());
            for (Map.Entry<String, NodeVersion> e : d.versions().entrySet()) {
                Wire.writeStr16(out, e.getKey());
                out.writeLong(e.getValue().incarnation());
                out.writeLong(e.getValue().version());
            }
        } else if (m instanceof MeshMessage.NodePull p) {
            out.writeByte(NODE_PULL);
            requireU16(p.nodes().size(), "NODE_PULL nodes");
            out.writeShort(p.nodes().size());
            for (String node : p.nodes()) {
                Wire.writeStr16(out, node);
            }
        } else if (m instanceof MeshMessage.SiteUpdate u) {
            boolean filtered = anyFilter(u.added()) || anyFilter(u.removed());
            out.writeByte(filtered ? SITE_UPDATE_F : SITE_UPDATE);
            Wire.writeStr16(out, u.site());
            out.writeLong(u.baseDigest());
            out.writeLong(u.newDigest());
            writeEntries(out, u.added(), filtered);
            writeEntries(out, u.removed(), filtered);
        } else if (m instanceof MeshMessage.SiteFull f) {
            boolean filtered = anyFilter(f.entries());
            out.writeByte(filtered ? SITE_FULL_F : SITE_FULL);
            Wire.writeStr16(out, f.site());
            out.writeLong(f.digest());
            writeEntries(out, f.entries(), filtered);
        } else if (m instanceof MeshMessage.SiteDigest d) {
            out.writeByte(SITE_DIGEST);
            Wire.writeStr16(out, d.site());
            out.writeLong(d.digest());
            out.writeByte(d.ackWanted() ? FLAG_BIT : 0);
        } else {
            throw new IllegalArgumentException("not a mesh message: " + m);
        }
    }

    /**
     * Reads the one message {@code in} holds, from its reader index to its writer index.
     *
     * @throws ProtocolException when the bytes are not exactly one valid message
     */
    public static MeshMessage decode(ByteBuf in) {
        Wire.need(in, 1, "mesh message type");
        byte type = in.readByte();
        MeshMessage m;
        switch (type) {
            case NODE_DELTA, NODE_DELTA_F -> {
                boolean f = type == NODE_DELTA_F;
                String node = readName(in, "NODE_DELTA node");
                NodeVersion v = readVersion(in, "NODE_DELTA");
                m = new MeshMessage.NodeDelta(node, v.incarnation(), v.version(),
                        readEntries(in, "NODE_DELTA added", f), readEntries(in, "NODE_DELTA removed", f));
            }
            case NODE_FULL, NODE_FULL_F -> {
                String node = readName(in, "NODE_FULL node");
                NodeVersion v = readVersion(in, "NODE_FULL");
                m = new MeshMessage.NodeFull(node, v.incarnation(), v.version(),
                        readEntries(in, "NODE_FULL entries", type == NODE_FULL_F));
            }
            case NODE_DIGEST -> m = readNodeDigest(in);
            case NODE_PULL -> {
                Wire.need(in, 2, "NODE_PULL count");
                int count = in.readUnsignedShort();
                requireFits(in, count, MIN_NAME_BYTES, "NODE_PULL nodes");
                List<String> nodes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    nodes.add(readName(in, "NODE_PULL node"));
                }
                m = new MeshMessage.NodePull(nodes);
            }
            case SITE_UPDATE, SITE_UPDATE_F -> {
                boolean f = type == SITE_UPDATE_F;
                String site = readName(in, "SITE_UPDATE site");
                Wire.need(in, 16, "SITE_UPDATE digests");
                long base = in.readLong();
                long next = in.readLong();
                m = new MeshMessage.SiteUpdate(site, base, next,
                        readEntries(in, "SITE_UPDATE added", f), readEntries(in, "SITE_UPDATE removed", f));
            }
            case SITE_FULL, SITE_FULL_F -> {
                String site = readName(in, "SITE_FULL site");
                Wire.need(in, 8, "SITE_FULL digest");
                long digest = in.readLong();
                m = new MeshMessage.SiteFull(site, digest, readEntries(in, "SITE_FULL entries", type == SITE_FULL_F));
            }
            case SITE_DIGEST -> {
                String site = readName(in, "SITE_DIGEST site");
                Wire.need(in, 9, "SITE_DIGEST digest and flags");
                long digest = in.readLong();
                m = new MeshMessage.SiteDigest(site, digest, readFlag(in, "SITE_DIGEST"));
            }
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_FRAME,
                    String.format("unknown mesh message type 0x%02x", type & 0xff));
        }
        if (in.isReadable()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, in.readableBytes()
                    + " bytes left after a mesh message of type " + String.format("0x%02x", type & 0xff));
        }
        return m;
    }

    private static MeshMessage readNodeDigest(ByteBuf in) {
        Wire.need(in, 1, "NODE_DIGEST flags");
        boolean replyWanted = readFlag(in, "NODE_DIGEST");
        Wire.need(in, 2, "NODE_DIGEST count");
        int count = in.readUnsignedShort();
        requireFits(in, count, MIN_VERSION_ROW_BYTES, "NODE_DIGEST nodes");
        Map<String, NodeVersion> versions = new HashMap<>(count * 2);
        for (int i = 0; i < count; i++) {
            String node = readName(in, "NODE_DIGEST node");
            if (versions.put(node, readVersion(in, "NODE_DIGEST")) != null) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                        "NODE_DIGEST lists node '" + node + "' twice");
            }
        }
        return new MeshMessage.NodeDigest(versions, replyWanted);
    }

    private static boolean readFlag(ByteBuf in, String what) {
        int flags = in.readUnsignedByte();
        if ((flags & ~FLAG_BIT) != 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    String.format("%s: unknown flag bits 0x%02x", what, flags));
        }
        return flags == FLAG_BIT;
    }

    private static NodeVersion readVersion(ByteBuf in, String what) {
        Wire.need(in, 16, what + " incarnation and version");
        long incarnation = in.readLong();
        long version = in.readLong();
        if (incarnation < 0 || version < 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + ": negative incarnation or version ("
                    + incarnation + ", " + version + ")");
        }
        return new NodeVersion(incarnation, version);
    }

    private static String readName(ByteBuf in, String what) {
        String name = Wire.readStr16(in);
        if (name.isEmpty()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + " is empty");
        }
        return name;
    }

    private static boolean anyFilter(List<InterestEntry> entries) {
        for (InterestEntry e : entries) {
            if (e.filter() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes an <em>entries</em> list ({@code u32 count}, then per entry {@code str16 pattern, str16
     * queueGroup}), or with {@code filtered} a <em>filtered entries</em> list (a third {@code str16
     * filter}, empty for none). Public for the other gossip that carries interest
     * ({@link io.weft.routing.topology.TopologyCodec}'s relayed site interest), so entries have one
     * encoding in the mesh.
     *
     * @throws ProtocolException when a string exceeds the str16 limit
     */
    public static void writeEntries(ByteBuf out, List<InterestEntry> entries, boolean filtered) {
        out.writeInt(entries.size());
        for (InterestEntry e : entries) {
            Wire.writeStr16(out, e.pattern());
            Wire.writeStr16(out, e.queueGroup());
            if (filtered) {
                Wire.writeStr16(out, e.filter());
            }
        }
    }

    /**
     * Reads a list {@link #writeEntries} wrote, validating every field as {@link #decode} does.
     *
     * @param what names the list in error messages
     * @throws ProtocolException when the bytes are not a valid list ({@link ErrorCode#INVALID_PATTERN}
     *                           for a bad pattern)
     */
    public static List<InterestEntry> readEntries(ByteBuf in, String what, boolean filtered) {
        Wire.need(in, 4, what + " count");
        long count = in.readUnsignedInt();
        requireFits(in, count, MIN_ENTRY_BYTES, what);
        List<InterestEntry> entries = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            String pattern = Wire.readStr16(in);
            String group = Wire.readStr16(in);
            if (group.isEmpty()) {
                group = null;
            }
            String filter = filtered ? readFilter(in, what) : null;
            String problem = InterestEntry.queueGroupProblem(group);
            if (problem != null) {
                throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + ": " + problem);
            }
            try {
                entries.add(new InterestEntry(pattern, group, filter));
            } catch (InvalidTopicException e) {
                throw new ProtocolException(ErrorCode.INVALID_PATTERN, what + ": " + e.getMessage());
            }
        }
        return entries;
    }

    /** A filter's canonical text, or null for the empty string; anything else is refused. */
    private static String readFilter(ByteBuf in, String what) {
        String text = Wire.readStr16(in);
        if (text.isEmpty()) {
            return null;
        }
        String problem = CompiledFilters.canonicalProblem(text);
        if (problem != null) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + ": filter " + problem);
        }
        return text;
    }

    /** Rejects a count whose smallest encoding would not fit the bytes left. */
    private static void requireFits(ByteBuf in, long count, int minBytesEach, String what) {
        if (count * minBytesEach > in.readableBytes()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, what + ": count " + count
                    + " cannot fit in the " + in.readableBytes() + " bytes left");
        }
    }

    private static void requireU16(int n, String what) {
        if (n > 0xffff) {
            throw new IllegalArgumentException(what + ": " + n + " exceeds the limit of 65535");
        }
    }
}
