package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ProtocolException;
import io.weft.protocol.Wire;
import io.weft.routing.topology.Forwarding;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TREE_EVENT frame: header round trips, its pinned layout, and malformed headers refused. */
class TreeEventFrameTest {
    private static final Forwarding.Header HEADER = new Forwarding.Header("plant", 0x0123456789abcdefL, 2);

    private static TreeHop roundTrip(TreeHop hop, String replyTo) {
        ByteBuf body = Unpooled.buffer();
        Wire.writeStr16(body, "a.b");
        body.writeBytes(new byte[] {1, 2, 3});
        ByteBuf out = Unpooled.buffer();
        MeshFrames.writeTreeEventHeader(out, hop, replyTo, body.readableBytes());
        out.writeBytes(body);
        assertEquals(out.readableBytes() - 4, out.readInt(), "the length covers header and body");
        assertEquals(MeshFrames.TREE_EVENT, out.readByte());
        int flags = out.readUnsignedByte();
        TreeHop back = MeshFrames.readTreeHop(out, flags);
        if (replyTo != null) {
            assertEquals(replyTo, Wire.readStr16(out));
        }
        assertEquals("a.b", Wire.readStr16(out));
        assertEquals(3, out.readableBytes());
        return back;
    }

    @Test
    void headersRoundTrip() {
        TreeHop plain = new TreeHop(HEADER, null, List.of());
        assertEquals(plain, roundTrip(plain, null));
        TreeHop handOff = new TreeHop(HEADER, "cloud", List.of(new TreeHop.SiteGroup("cloud", "workers"),
                new TreeHop.SiteGroup("region", "crew")));
        assertEquals(handOff, roundTrip(handOff, "_weft.inbox.x"));
    }

    @Test
    void layoutIsPinned() {
        ByteBuf out = Unpooled.buffer();
        MeshFrames.writeTreeEventHeader(out, new TreeHop(new Forwarding.Header("p", 1, 3), "c",
                List.of(new TreeHop.SiteGroup("c", "g"))), null, 0);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        assertEquals("00000018" + "31" + "01" + "000170" + "0000000000000001" + "03" + "000163" + "01" + "000163" + "000167",
                io.netty.buffer.ByteBufUtil.hexDump(bytes));
    }

    @Test
    void malformedHeadersAreRefused() {
        ByteBuf unknownFlag = Unpooled.buffer();
        assertThrows(ProtocolException.class, () -> MeshFrames.readTreeHop(unknownFlag, 0x02));
        ByteBuf shortFp = Unpooled.buffer();
        Wire.writeStr16(shortFp, "p");
        shortFp.writeInt(1);
        assertThrows(ProtocolException.class, () -> MeshFrames.readTreeHop(shortFp, 0));
        ByteBuf badSite = Unpooled.buffer();
        Wire.writeStr16(badSite, "");
        badSite.writeLong(1);
        badSite.writeByte(0);
        badSite.writeByte(0);
        assertThrows(ProtocolException.class, () -> MeshFrames.readTreeHop(badSite, 0));
    }
}
