package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;
import io.weft.routing.InterestEntry;
import io.weft.routing.filter.EventFilters;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The relayed site interest's messages (0x54..0x57) in {@link TopologyCodec}; the link state's are in {@link TopologyEngineTest}. */
class TopologyCodecTest {
    private static final String AMOUNT = EventFilters.sql("amount > 100").canonical();

    private static TopologyMessage roundTrip(TopologyMessage m) {
        ByteBuf b = Unpooled.buffer();
        TopologyCodec.encode(m, b);
        assertTrue(TopologyCodec.isTopologyType(b.getByte(0)));
        return TopologyCodec.decode(b);
    }

    private static ByteBuf bytes(Consumer<ByteBuf> body) {
        ByteBuf b = Unpooled.buffer();
        body.accept(b);
        return b;
    }

    /** A SITE_INTEREST head (site s, speaker n, version (1, 2), digest 3) followed by {@code entries}. */
    private static ByteBuf siteInterest(Consumer<ByteBuf> entries) {
        return bytes(b -> {
            b.writeByte(0x54);
            Wire.writeStr16(b, "s");
            Wire.writeStr16(b, "n");
            b.writeLong(1).writeLong(2).writeLong(3);
            entries.accept(b);
        });
    }

    private static void refused(ErrorCode code, ByteBuf b, String why) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> TopologyCodec.decode(b), why);
        assertEquals(code, e.code(), why + ": " + e.getMessage());
    }

    @Test
    void interestMessagesRoundTrip() {
        List<InterestEntry> entries = List.of(InterestEntry.plain("orders.>"),
                new InterestEntry("orders.*.created", "billing"), new InterestEntry("orders.eu", null, AMOUNT),
                InterestEntry.plain("\u00e9.\u00fc"));
        List<InterestEntry> sorted = entries.stream().sorted().toList();
        TreeMap<String, SiteVersion> versions = new TreeMap<>(Map.of("cloud", new SiteVersion(3, 9),
                "edge", new SiteVersion(0, 0), "\u00e9", new SiteVersion(Long.MAX_VALUE, 1)));
        List<TopologyMessage> all = List.of(
                new TopologyMessage.SiteInterest(new SiteInterestRecord("cloud", "cloud-1", new SiteVersion(2, 7),
                        -42, sorted)),
                new TopologyMessage.SiteInterest(new SiteInterestRecord("edge", "edge-1", new SiteVersion(1, 0), 0,
                        List.of())),
                new TopologyMessage.InterestDigest(Long.MIN_VALUE, true),
                new TopologyMessage.InterestDigest(5, false),
                new TopologyMessage.InterestSummary(versions),
                new TopologyMessage.InterestSummary(new TreeMap<>()),
                new TopologyMessage.InterestPull(List.of("cloud", "\u00e9")),
                new TopologyMessage.InterestPull(List.of()),
                new TopologyMessage.InterestDelta("cloud", "cloud-1", new SiteVersion(2, 7), new SiteVersion(2, 8), 9,
                        sorted.subList(0, 2), sorted.subList(2, 4)),
                new TopologyMessage.InterestDelta("edge", "edge-1", new SiteVersion(1, 0), new SiteVersion(1, 1), 0,
                        List.of(), List.of()));
        for (TopologyMessage m : all) {
            assertEquals(m, roundTrip(m));
            assertTrue(m instanceof TopologyMessage.InterestGossip);
        }
        for (int type = 0x50; type <= 0x58; type++) {
            assertTrue(TopologyCodec.isTopologyType((byte) type));
        }
        assertFalse(TopologyCodec.isTopologyType((byte) 0x59));
        assertFalse(TopologyCodec.isTopologyType((byte) 0x4f));
    }

    /** The layouts are pinned: nodes of other versions read them. */
    @Test
    void layoutsArePinned() {
        ByteBuf b = Unpooled.buffer();
        TopologyCodec.encode(new TopologyMessage.SiteInterest(new SiteInterestRecord("s", "n", new SiteVersion(1, 2), 3,
                List.of(InterestEntry.plain("a"), new InterestEntry("b", "g")))), b);
        assertEquals("54" + "0001" + "73" + "0001" + "6e" + "0000000000000001" + "0000000000000002"
                + "0000000000000003" + "00000002" + "0001" + "61" + "0000" + "0000" + "0001" + "62" + "0001" + "67"
                + "0000", hex(b));
        b = Unpooled.buffer();
        TopologyCodec.encode(new TopologyMessage.InterestDigest(0x0102, true), b);
        assertEquals("55" + "0000000000000102" + "01", hex(b));
        b = Unpooled.buffer();
        TopologyCodec.encode(new TopologyMessage.InterestSummary(new TreeMap<>(Map.of("t", new SiteVersion(4, 5),
                "s", new SiteVersion(1, 0)))), b);
        assertEquals("56" + "0002" + "0001" + "73" + "0000000000000001" + "0000000000000000" + "0001" + "74"
                + "0000000000000004" + "0000000000000005", hex(b));
        b = Unpooled.buffer();
        TopologyCodec.encode(new TopologyMessage.InterestPull(List.of("s")), b);
        assertEquals("57" + "0001" + "0001" + "73", hex(b));
    }

    private static String hex(ByteBuf b) {
        byte[] bytes = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void malformedInterestMessagesAreRefused() {
        ErrorCode bad = ErrorCode.PROTOCOL_ERROR;
        refused(bad, Unpooled.wrappedBuffer(new byte[] {0x55, 0, 0, 0, 0, 0, 0, 0, 1, 2}), "unknown flag bit");
        refused(bad, Unpooled.wrappedBuffer(new byte[] {0x55, 0, 0, 0, 0, 0, 0, 0, 1}), "truncated digest");
        refused(bad, Unpooled.wrappedBuffer(new byte[] {0x57, (byte) 0xff, (byte) 0xff, 0, 1, 'x'}),
                "a pull count that does not fit");
        refused(bad, Unpooled.wrappedBuffer(new byte[] {0x57, 0, 1, 0, 0}), "an empty site");
        refused(bad, Unpooled.wrappedBuffer(new byte[] {0x57, 0, 1, 0, 1, 'x', 9}), "bytes left over");
        refused(bad, bytes(b -> b.writeByte(0x56).writeShort(1000).writeLong(0)), "a summary count that does not fit");
        refused(bad, bytes(b -> {
            b.writeByte(0x56).writeShort(2);
            Wire.writeStr16(b, "s");
            b.writeLong(1).writeLong(1);
            Wire.writeStr16(b, "s");
            b.writeLong(1).writeLong(2);
        }), "a site twice in a summary");
        refused(bad, bytes(b -> {
            b.writeByte(0x56).writeShort(1);
            Wire.writeStr16(b, "s");
            b.writeLong(-1).writeLong(0);
        }), "a negative epoch");
        refused(bad, bytes(b -> {
            b.writeByte(0x54);
            Wire.writeStr16(b, "");
            Wire.writeStr16(b, "n");
            b.writeLong(1).writeLong(2).writeLong(3).writeInt(0);
        }), "an empty site");
        refused(bad, siteInterest(b -> b.writeInt(Integer.MAX_VALUE).writeLong(0)), "an entry count that does not fit");
        refused(bad, siteInterest(b -> b.writeInt(1)), "a missing entry");
        refused(bad, siteInterest(b -> {
            b.writeInt(2);
            for (String p : List.of("b", "a")) {
                Wire.writeStr16(b, p);
                Wire.writeStr16(b, "");
                Wire.writeStr16(b, "");
            }
        }), "entries out of order");
        refused(bad, siteInterest(b -> {
            b.writeInt(2);
            for (int i = 0; i < 2; i++) {
                Wire.writeStr16(b, "a");
                Wire.writeStr16(b, "");
                Wire.writeStr16(b, "");
            }
        }), "an entry twice");
        refused(bad, siteInterest(b -> {
            b.writeInt(1);
            Wire.writeStr16(b, "a");
            Wire.writeStr16(b, "");
            Wire.writeStr16(b, "[{\"sql\": \"amount > 100\"}]");
        }), "a filter not in canonical form");
        refused(ErrorCode.INVALID_PATTERN, siteInterest(b -> {
            b.writeInt(1);
            Wire.writeStr16(b, "a..b");
            Wire.writeStr16(b, "");
            Wire.writeStr16(b, "");
        }), "a bad pattern");
        refused(bad, bytes(b -> {
            b.writeByte(0x54);
            Wire.writeStr16(b, "s");
            Wire.writeStr16(b, "n");
            b.writeLong(0).writeLong(-3).writeLong(3).writeInt(0);
        }), "a negative seq");
        refused(ErrorCode.UNKNOWN_FRAME, Unpooled.wrappedBuffer(new byte[] {0x59}), "an unknown code");
        refused(bad, bytes(b -> {
            b.writeByte(0x58);
            Wire.writeStr16(b, "s");
            Wire.writeStr16(b, "n");
            b.writeLong(1).writeLong(0).writeLong(1).writeLong(5).writeLong(0).writeInt(0).writeInt(0);
        }), "a delta that skips versions");
    }
}
