package io.weft.routing.topology;

import io.netty.buffer.ByteBuf;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;
import io.weft.routing.InterestEntry;
import io.weft.routing.MeshCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Wire format of {@link TopologyMessage}s, in the mesh's gossip frames. Like {@code MeshCodec}: a type
 * byte then the body, no length prefix (the link frames it), big-endian, {@code str16} strings. Codes
 * are stable (never renumbered; a changed body gets a new code) and sent only on links whose
 * negotiated mesh protocol version is at least 2 ({@code MeshFrames.VERSION_LINK_STATE}): a version-1
 * node closes a link on a gossip code it does not know.
 *
 * <pre>
 * 0x50 LINK_STATE   str16 node, str16 site, i64 incarnation, i64 seq,
 *                   u8 flags (bit 0 no-transit, bit 1 accepts inbound, bit 2 tombstone, others 0),
 *                   str16 meshAddr, u16 n, n x (str16 peerSite, str16 peerNode, u16 cost)
 * 0x51 LSDB_DIGEST  i64 digest, u8 flags (bit 0 reply wanted, others 0)
 * 0x52 LSDB_SUMMARY u16 n, n x (str16 node, i64 incarnation, i64 seq)
 * 0x53 LSDB_PULL    u16 n, n x str16 node
 * 0x54 SITE_INTEREST str16 site, str16 speaker, i64 epoch, i64 seq, i64 digest, u32 n,
 *                   n x (str16 pattern, str16 queueGroup, str16 filter)
 * 0x55 SI_DIGEST    i64 digest, u8 flags (bit 0 reply wanted, others 0)
 * 0x56 SI_SUMMARY   u16 n, n x (str16 site, i64 epoch, i64 seq)
 * 0x57 SI_PULL      u16 n, n x str16 site
 * 0x58 SI_DELTA     str16 site, str16 speaker, i64 base epoch, i64 base seq, i64 epoch, i64 seq,
 *                   i64 digest, u32 n added entries, u32 m removed entries (as SITE_INTEREST's)
 * </pre>
 *
 * <p>0x54..0x58 are the relayed site interest ({@link InterestRelay}). SITE_INTEREST's entries are
 * {@code MeshCodec}'s <em>filtered entries</em> list ({@link MeshCodec#writeEntries}; an empty
 * group is a plain entry, an empty filter none), always with the filter field: a new code has no
 * old readers to spare, so it has one layout. Its entries are sorted and distinct, and its digest is
 * carried as the speaker computed it, not checked against them. A node whose codec predates these
 * codes closes a link on them like on any unknown gossip code, so the caller sends them only to
 * nodes known to read them, which mesh protocol version 2 alone does not promise.
 *
 * Decoding validates what it reads (the records' own rules, counts that fit the bytes present, zero
 * unknown flag bits, no site twice in a summary, nothing left over); any violation is a
 * {@link ProtocolException}.
 */
public final class TopologyCodec {
    public static final byte LINK_STATE = 0x50;
    public static final byte LSDB_DIGEST = 0x51;
    public static final byte LSDB_SUMMARY = 0x52;
    public static final byte LSDB_PULL = 0x53;
    public static final byte SITE_INTEREST = 0x54;
    public static final byte SI_DIGEST = 0x55;
    public static final byte SI_SUMMARY = 0x56;
    public static final byte SI_PULL = 0x57;
    public static final byte SI_DELTA = 0x58;

    private static final int NO_TRANSIT = 1;
    private static final int ACCEPTS_INBOUND = 2;
    private static final int TOMBSTONE = 4;
    private static final int REPLY_WANTED = 1;

    private TopologyCodec() {
    }

    /** True for the type codes this codec reads. */
    public static boolean isTopologyType(byte type) {
        return type >= LINK_STATE && type <= SI_DELTA;
    }

    /** Appends {@code m} (type byte and body) to {@code out}. */
    public static void encode(TopologyMessage m, ByteBuf out) {
        if (m instanceof TopologyMessage.Record r) {
            LinkState s = r.state();
            out.writeByte(LINK_STATE);
            Wire.writeStr16(out, s.node());
            Wire.writeStr16(out, s.site());
            out.writeLong(s.incarnation());
            out.writeLong(s.seq());
            out.writeByte((s.noTransit() ? NO_TRANSIT : 0) | (s.acceptsInbound() ? ACCEPTS_INBOUND : 0)
                    | (s.tombstone() ? TOMBSTONE : 0));
            Wire.writeStr16(out, s.meshAddr());
            requireU16(s.links().size(), "LINK_STATE links");
            out.writeShort(s.links().size());
            for (LinkState.Link l : s.links()) {
                Wire.writeStr16(out, l.peerSite());
                Wire.writeStr16(out, l.peerNode());
                out.writeShort(l.cost());
            }
        } else if (m instanceof TopologyMessage.Digest d) {
            out.writeByte(LSDB_DIGEST);
            out.writeLong(d.digest());
            out.writeByte(d.replyWanted() ? REPLY_WANTED : 0);
        } else if (m instanceof TopologyMessage.InterestGossip g) {
            encodeInterest(g, out);
        } else if (m instanceof TopologyMessage.Summary s) {
            out.writeByte(LSDB_SUMMARY);
            requireU16(s.versions().size(), "LSDB_SUMMARY rows");
            out.writeShort(s.versions().size());
            for (LinkState.Version v : s.versions()) {
                Wire.writeStr16(out, v.node());
                out.writeLong(v.incarnation());
                out.writeLong(v.seq());
            }
        } else {
            TopologyMessage.Pull p = (TopologyMessage.Pull) m;
            out.writeByte(LSDB_PULL);
            requireU16(p.nodes().size(), "LSDB_PULL nodes");
            out.writeShort(p.nodes().size());
            for (String n : p.nodes()) {
                Wire.writeStr16(out, n);
            }
        }
    }

    private static void encodeInterest(TopologyMessage.InterestGossip m, ByteBuf out) {
        if (m instanceof TopologyMessage.SiteInterest si) {
            SiteInterestRecord r = si.record();
            out.writeByte(SITE_INTEREST);
            Wire.writeStr16(out, r.site());
            Wire.writeStr16(out, r.speaker());
            out.writeLong(r.version().epoch());
            out.writeLong(r.version().seq());
            out.writeLong(r.digest());
            MeshCodec.writeEntries(out, r.entries(), true);
        } else if (m instanceof TopologyMessage.InterestDelta d) {
            out.writeByte(SI_DELTA);
            Wire.writeStr16(out, d.site());
            Wire.writeStr16(out, d.speaker());
            out.writeLong(d.base().epoch());
            out.writeLong(d.base().seq());
            out.writeLong(d.version().epoch());
            out.writeLong(d.version().seq());
            out.writeLong(d.digest());
            MeshCodec.writeEntries(out, d.added(), true);
            MeshCodec.writeEntries(out, d.removed(), true);
      } else if (m instanceof TopologyMessage.InterestDigest d) {
            out.writeByte(SI_DIGEST);
            out.writeLong(d.digest());
            out.writeByte(d.replyWanted() ? REPLY_WANTED : 0);
        } else if (m instanceof TopologyMessage.InterestSummary s) {
            out.writeByte(SI_SUMMARY);
            requireU16(s.versions().size(), "SI_SUMMARY rows");
            out.writeShort(s.versions().size());
            s.versions().forEach((site, v) -> {
                Wire.writeStr16(out, site);
                out.writeLong(v.epoch());
                out.writeLong(v.seq());
            });
        } else {
            TopologyMessage.InterestPull p = (TopologyMessage.InterestPull) m;
            out.writeByte(SI_PULL);
            requireU16(p.sites().size(), "SI_PULL sites");
            out.writeShort(p.sites().size());
            for (String site : p.sites()) {
                Wire.writeStr16(out, site);
            }
        }
    }

    /** Reads exactly one message from {@code in} (type byte at the reader index). */
    public static TopologyMessage decode(ByteBuf in) {
        Wire.need(in, 1, "topology message type");
        byte type = in.readByte();
        TopologyMessage m;
        try {
            m = switch (type) {
                case LINK_STATE -> readRecord(in);
                case LSDB_DIGEST -> {
                    Wire.need(in, 9, "LSDB_DIGEST");
                    yield new TopologyMessage.Digest(in.readLong(), replyWanted(in, "LSDB_DIGEST"));
                }
                case LSDB_SUMMARY -> {
                    int n = count(in, 18, "LSDB_SUMMARY");
                    List<LinkState.Version> rows = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        String node = name(in, "LSDB_SUMMARY node");
                        Wire.need(in, 16, "LSDB_SUMMARY version");
                        rows.add(new LinkState.Version(node, in.readLong(), in.readLong()));
                    }
                    yield new TopologyMessage.Summary(rows);
                }
                case LSDB_PULL -> {
                    int n = count(in, 2, "LSDB_PULL");
                    List<String> nodes = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        nodes.add(name(in, "LSDB_PULL node"));
                    }
                    yield new TopologyMessage.Pull(nodes);
                }
                case SITE_INTEREST -> readSiteInterest(in);
                case SI_DIGEST -> {
                    Wire.need(in, 9, "SI_DIGEST");
                    yield new TopologyMessage.InterestDigest(in.readLong(), replyWanted(in, "SI_DIGEST"));
                }
                case SI_SUMMARY -> {
                    int n = count(in, 18, "SI_SUMMARY");
                    TreeMap<String, SiteVersion> rows = new TreeMap<>();
                    for (int i = 0; i < n; i++) {
                        String site = name(in, "SI_SUMMARY site");
                        Wire.need(in, 16, "SI_SUMMARY version");
                        if (rows.put(site, new SiteVersion(in.readLong(), in.readLong())) != null) {
                            throw error("SI_SUMMARY lists site '" + site + "' twice");
                        }
                    }
                    yield new TopologyMessage.InterestSummary(rows);
                }
                case SI_PULL -> {
                    int n = count(in, 2, "SI_PULL");
                    List<String> sites = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        sites.add(name(in, "SI_PULL site"));
                    }
                    yield new TopologyMessage.InterestPull(sites);
                }
                case SI_DELTA -> {
                    String site = name(in, "SI_DELTA site");
                    String speaker = name(in, "SI_DELTA speaker");
                    Wire.need(in, 40, "SI_DELTA versions and digest");
                    SiteVersion base = new SiteVersion(in.readLong(), in.readLong());
                    SiteVersion version = new SiteVersion(in.readLong(), in.readLong());
                    long digest = in.readLong();
                    List<InterestEntry> added = MeshCodec.readEntries(in, "SI_DELTA added", true);
                    List<InterestEntry> removed = MeshCodec.readEntries(in, "SI_DELTA removed", true);
                    yield new TopologyMessage.InterestDelta(site, speaker, base, version, digest, added, removed);
                }
                default -> throw new ProtocolException(ErrorCode.UNKNOWN_FRAME,
                        "unknown topology message type 0x" + Integer.toHexString(type & 0xff));
            };
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage()); // a record's own validation (names, costs, versions)
        }
        if (in.isReadable()) {
            throw error(in.readableBytes() + " bytes left over after a topology message");
        }
        return m;
    }

    private static TopologyMessage.Record readRecord(ByteBuf in) {
        String node = name(in, "LINK_STATE node");
        String site = name(in, "LINK_STATE site");
        Wire.need(in, 17, "LINK_STATE version and flags");
        long incarnation = in.readLong();
        long seq = in.readLong();
        int flags = in.readUnsignedByte();
        if ((flags & ~(NO_TRANSIT | ACCEPTS_INBOUND | TOMBSTONE)) != 0) {
            throw error("LINK_STATE has unknown flag bits " + flags);
        }
        String meshAddr = Wire.readStr16(in);
        int n = count(in, 6, "LINK_STATE links");
        List<LinkState.Link> links = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String peerSite = name(in, "LINK_STATE peer site");
            String peerNode = name(in, "LINK_STATE peer node");
            Wire.need(in, 2, "LINK_STATE cost");
            links.add(new LinkState.Link(peerSite, peerNode, in.readUnsignedShort()));
        }
        return new TopologyMessage.Record(new LinkState(node, site, incarnation, seq, (flags & NO_TRANSIT) != 0,
                (flags & ACCEPTS_INBOUND) != 0, (flags & TOMBSTONE) != 0, meshAddr, links));
    }

    private static TopologyMessage.SiteInterest readSiteInterest(ByteBuf in) {
        String site = name(in, "SITE_INTEREST site");
        String speaker = name(in, "SITE_INTEREST speaker");
        Wire.need(in, 24, "SITE_INTEREST version and digest");
        SiteVersion version = new SiteVersion(in.readLong(), in.readLong());
        long digest = in.readLong();
        List<InterestEntry> entries = MeshCodec.readEntries(in, "SITE_INTEREST entries", true);
        return new TopologyMessage.SiteInterest(new SiteInterestRecord(site, speaker, version, digest, entries));
    }

    private static boolean replyWanted(ByteBuf in, String what) {
        int flags = in.readUnsignedByte();
        if ((flags & ~REPLY_WANTED) != 0) {
            throw error(what + " has unknown flag bits " + flags);
        }
        return flags == REPLY_WANTED;
    }

    private static int count(ByteBuf in, int minBytesEach, String what) {
        Wire.need(in, 2, what + " count");
        int n = in.readUnsignedShort();
        if ((long) n * minBytesEach > in.readableBytes()) {
            throw error(what + " count " + n + " does not fit the " + in.readableBytes() + " bytes left");
        }
        return n;
    }

    private static String name(ByteBuf in, String what) {
        String s = Wire.readStr16(in);
        if (s.isEmpty()) {
            throw error(what + " is empty");
        }
        return s;
    }

    private static void requireU16(int n, String what) {
        if (n > 0xffff) {
            throw error(what + ": " + n + " do not fit a u16 count");
        }
    }

    private static ProtocolException error(String message) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, message);
    }
}
