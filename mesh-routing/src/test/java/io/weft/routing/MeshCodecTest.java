package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MeshCodecTest {
    private static final List<InterestEntry> SOME = List.of(InterestEntry.plain("orders.>"),
            new InterestEntry("orders.*.created", "billing"), InterestEntry.plain("é.ü"));

    /** One message of every type, the samples of the golden file. */
    static List<MeshMessage> samples() {
        Map<String, NodeVersion> versions = new LinkedHashMap<>();
        versions.put("n2", new NodeVersion(7, 0));
        versions.put("n1", new NodeVersion(1700000000000L, 42));
        return List.of(
                new MeshMessage.NodeDelta("n1", 1700000000000L, 42, SOME, List.of(InterestEntry.plain("a.b"))),
                new MeshMessage.NodeFull("n1", 3, 0, List.of()),
                new MeshMessage.NodeFull("n1", 3, 9, SOME),
                new MeshMessage.NodeDigest(versions, true),
                new MeshMessage.NodeDigest(Map.of(), false),
                new MeshMessage.NodePull(List.of("n1", "n2")),
                new MeshMessage.SiteUpdate("cloud", 0, -1L, SOME, List.of()),
                new MeshMessage.SiteFull("onprem", 0x0123456789abcdefL, SOME),
                new MeshMessage.SiteDigest("cloud", 0x7fffffffffffffffL, true),
                new MeshMessage.SiteDigest("cloud", 0, false));
    }

    @Test
    void everyMessageRoundTrips() {
        for (MeshMessage m : samples()) {
            assertEquals(m, MeshCodec.decode(encode(m)), m.toString());
        }
    }

    /**
     * The bytes of version 1, written once: decoding them must keep working and encoding must
     * keep producing them, or the change is a new wire version (and a new type code).
     */
    @Test
    void formatMatchesTheGoldenFileOfVersionOne() throws IOException {
        List<String> golden = goldenLines();
        List<MeshMessage> samples = samples();
        assertEquals(samples.size(), golden.size(), "golden file lines");
        for (int i = 0; i < samples.size(); i++) {
            ByteBuf bytes = encode(samples.get(i));
            assertEquals(golden.get(i), ByteBufUtil.hexDump(bytes), "encoding of " + samples.get(i));
            assertEquals(samples.get(i), MeshCodec.decode(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(golden.get(i)))));
        }
    }

    static final String AMOUNT = io.weft.routing.filter.EventFilters.sql("amount > 100").canonical();
    static final String CREATED = io.weft.routing.filter.EventFilters
            .parse("[{\"exact\": {\"type\": \"created\"}}, {\"prefix\": {\"source\": \"/shop\"}}]").canonical();

    /** Messages with entries that carry filters: each goes out with the _F code of its type. */
    static List<MeshMessage> filteredSamples() {
        List<InterestEntry> some = List.of(InterestEntry.plain("orders.>"), new InterestEntry("orders.>", null, AMOUNT),
                new InterestEntry("orders.*.created", "billing", CREATED));
        return List.of(
                new MeshMessage.NodeDelta("n1", 5, 6, List.of(), some),
                new MeshMessage.NodeFull("n1", 5, 6, some),
                new MeshMessage.SiteUpdate("cloud", 1, 2, some, List.of(InterestEntry.plain("a"))),
                new MeshMessage.SiteFull("onprem", 3, some));
    }

    @Test
    void entriesWithFiltersTravelUnderTheirOwnCodesAndOnlyThen() {
        byte[] codes = {MeshCodec.NODE_DELTA_F, MeshCodec.NODE_FULL_F, MeshCodec.SITE_UPDATE_F, MeshCodec.SITE_FULL_F};
        List<MeshMessage> filtered = filteredSamples();
        for (int i = 0; i < filtered.size(); i++) {
            ByteBuf bytes = encode(filtered.get(i));
            assertEquals(codes[i], bytes.getByte(0), filtered.get(i).toString());
            assertTrue(MeshCodec.isMeshType(bytes.getByte(0)));
            assertEquals(filtered.get(i), MeshCodec.decode(bytes));
        }
        // a filter that is not valid, or valid but not canonical, or empty, is refused
        String entryHead = "45" + "0001" + "73" + "0000000000000000" + "00000001" + "0001" + hex("a") + "0000";
        assertCode(ErrorCode.PROTOCOL_ERROR, entryHead.replace("45", "4a") + str16("[{\"sql\":\"amount >\"}]"));
        assertCode(ErrorCode.PROTOCOL_ERROR, entryHead.replace("45", "4a") + str16("[{\"sql\": \"amount > 100\"}]"));
        assertCode(ErrorCode.PROTOCOL_ERROR, entryHead.replace("45", "4a") + str16("[]"));
        assertEquals(new MeshMessage.SiteFull("s", 0, List.of(new InterestEntry("a", null, AMOUNT))),
                MeshCodec.decode(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(entryHead.replace("45", "4a") + str16(AMOUNT)))));
        // an empty filter field in an _F message is an entry without a filter
        assertEquals(new MeshMessage.SiteFull("s", 0, List.of(InterestEntry.plain("a"))),
                MeshCodec.decode(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(entryHead.replace("45", "4a") + "0000"))));
    }

    private static String str16(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return String.format("%04x", b.length) + ByteBufUtil.hexDump(b);
    }

    @Test
    void malformedInputIsRejectedWithTheRightCode() {
        assertCode(ErrorCode.UNKNOWN_FRAME, "4b");
        assertCode(ErrorCode.UNKNOWN_FRAME, "01");
        assertCode(ErrorCode.PROTOCOL_ERROR, "");
        assertCode(ErrorCode.PROTOCOL_ERROR, "46" + "0005" + hex("cloud") + "0000000000000000" + "02");
        assertCode(ErrorCode.PROTOCOL_ERROR, "46" + "0000" + "0000000000000000" + "00"); // empty site
        assertCode(ErrorCode.PROTOCOL_ERROR, "46" + "0005" + hex("cloud") + "0000000000000000" + "00" + "ff");
        assertCode(ErrorCode.PROTOCOL_ERROR, "43" + "ffff" + "0001" + "61"); // count cannot fit
        assertCode(ErrorCode.PROTOCOL_ERROR, "41" + "0001" + "61" + "ffffffffffffffff" + "0000000000000000"
                + "00000000"); // negative incarnation
        assertCode(ErrorCode.INVALID_PATTERN, "45" + "0001" + "73" + "0000000000000000" + "00000001"
                + "0004" + hex("a.*b") + "0000");
        assertCode(ErrorCode.PROTOCOL_ERROR, "45" + "0001" + "73" + "0000000000000000" + "00000001"
                + "0001" + hex("a") + "0003" + hex("g g"));
        assertCode(ErrorCode.PROTOCOL_ERROR, "42" + "00" + "0002" + "0001" + "61" + "0000000000000001"
                + "0000000000000001" + "0001" + "61" + "0000000000000001" + "0000000000000002"); // twice
    }

    /** Random bytes, and valid messages with random damage, only ever yield ProtocolException. */
    @Test
    void fuzzedInputOnlyYieldsProtocolException() {
        long seed = Long.getLong("weft.fuzz.seed", 20240611L);
        Random rnd = new Random(seed);
        List<byte[]> valid = new ArrayList<>();
        for (MeshMessage m : samples()) {
            valid.add(ByteBufUtil.getBytes(encode(m)));
        }
        for (MeshMessage m : filteredSamples()) {
            valid.add(ByteBufUtil.getBytes(encode(m)));
        }
        int decoded = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = new byte[rnd.nextInt(64)];
                rnd.nextBytes(input);
                if (input.length > 0) {
                    input[0] = (byte) (0x40 + rnd.nextInt(11));
                }
            } else {
                byte[] base = valid.get(rnd.nextInt(valid.size()));
                input = mutate(base, rnd);
            }
            try {
                MeshCodec.decode(Unpooled.wrappedBuffer(input));
                decoded++;
            } catch (ProtocolException expected) {
                // the only allowed failure
            } catch (RuntimeException e) {
                fail("seed=" + seed + " case=" + i + " input=" + ByteBufUtil.hexDump(input) + " threw " + e, e);
            }
        }
        if (decoded == 0) {
            fail("seed=" + seed + ": no fuzzed input decoded at all, the mutations are too coarse");
        }
    }

    @Test
    void encodeRefusesAStringOverTheStr16Limit() {
        String huge = "a".repeat(70_000);
        ByteBuf out = Unpooled.buffer();
        assertThrows(ProtocolException.class, () -> MeshCodec.encode(new MeshMessage.NodePull(List.of(huge)), out));
    }

    private static byte[] mutate(byte[] base, Random rnd) {
        byte[] b = base.clone();
        switch (rnd.nextInt(4)) {
            case 0 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            case 1 -> {
                int cut = rnd.nextInt(b.length);
                byte[] shorter = new byte[cut];
                System.arraycopy(b, 0, shorter, 0, cut);
                return shorter;
            }
            case 2 -> {
                byte[] longer = new byte[b.length + 1 + rnd.nextInt(4)];
                System.arraycopy(b, 0, longer, 0, b.length);
                return longer;
            }
            default -> {
                for (int k = 0; k < 3; k++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
        }
        return b;
    }

    private static void assertCode(ErrorCode code, String hex) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> MeshCodec.decode(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex))), hex);
        assertEquals(code, e.code(), hex + ": " + e.getMessage());
    }

    private static String hex(String s) {
        return ByteBufUtil.hexDump(s.getBytes(StandardCharsets.UTF_8));
    }

    static ByteBuf encode(MeshMessage m) {
        ByteBuf out = Unpooled.buffer();
        MeshCodec.encode(m, out);
        return out;
    }

    private static List<String> goldenLines() throws IOException {
        try (InputStream in = MeshCodecTest.class.getResourceAsStream("mesh-messages-v1.hex")) {
            if (in == null) {
                fail("golden file mesh-messages-v1.hex missing; current encodings:\n" + currentHex());
            }
            List<String> lines = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line.strip());
                }
            }
            return lines;
        }
    }

    private static String currentHex() {
        StringBuilder b = new StringBuilder();
        for (MeshMessage m : samples()) {
            b.append(ByteBufUtil.hexDump(encode(m))).append('\n');
        }
        return b.toString();
    }
}
