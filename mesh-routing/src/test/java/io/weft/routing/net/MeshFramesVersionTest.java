package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A link speaks the highest mesh protocol version both ends speak; version-1 nodes keep working. */
class MeshFramesVersionTest {
    private static final NodeInfo N = new NodeInfo("n1", "s", 1, "127.0.0.1:1", "", "", "");

    /** The body of the first frame in {@code b}, after its length and type. */
    private static ByteBuf body(ByteBuf b) {
        b.skipBytes(5);
        return b;
    }

    @Test
    void aVersionOneHelloIsByteForByteWhatVersionOneWrote() {
        ByteBuf v1 = Unpooled.buffer();
        MeshFrames.writeHello(v1, LinkKind.ROUTE, N, 1, 1);
        ByteBuf expected = Unpooled.buffer();
        expected.writeInt(0).writeByte(MeshFrames.HELLO).writeInt(MeshFrames.MAGIC).writeByte(1).writeByte(LinkKind.ROUTE.code);
        N.write(expected);
        expected.setInt(0, expected.readableBytes() - 4);
        assertEquals(expected, v1);
        assertEquals(1, MeshFrames.readHello(body(v1)).version(), "a version-1 dialler gets a version-1 link");
    }

    @Test
    void aCurrentDiallerNegotiatesTheHighestCommonVersion() {
        ByteBuf b = Unpooled.buffer();
        MeshFrames.writeHello(b, LinkKind.GATEWAY, N);
        ByteBuf hello = body(b);
        assertEquals(1, hello.getUnsignedByte(hello.readerIndex() + 4), "the lowest version first: version 1 takes it");
        MeshFrames.Hello h = MeshFrames.readHello(hello);
        assertEquals(MeshFrames.VERSION, h.version());
        assertEquals(LinkKind.GATEWAY, h.kind());

        ByteBuf future = Unpooled.buffer(); // a node that speaks 1..9 still gets this node's highest
        MeshFrames.writeHello(future, LinkKind.ROUTE, N, 1, 9);
        assertEquals(MeshFrames.VERSION, MeshFrames.readHello(body(future)).version());

        ByteBuf tooNew = Unpooled.buffer();
        MeshFrames.writeHello(tooNew, LinkKind.ROUTE, N, MeshFrames.VERSION + 1, MeshFrames.VERSION + 2);
        ProtocolException e = assertThrows(ProtocolException.class, () -> MeshFrames.readHello(body(tooNew)));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, e.code());
    }

    @Test
    void welcomeCarriesTheLinksVersionAndAVersionOneWelcomeReadsAsOne() {
        ByteBuf w = Unpooled.buffer();
        MeshFrames.writeWelcome(w, 1, N, List.of(), true);
        assertEquals(1, MeshFrames.readWelcome(body(w)).version());
        ByteBuf w2 = Unpooled.buffer();
        MeshFrames.writeWelcome(w2, N, List.of(), true);
        assertEquals(MeshFrames.VERSION, MeshFrames.readWelcome(body(w2)).version());
        ByteBuf bad = Unpooled.buffer();
        MeshFrames.writeWelcome(bad, 7, N, List.of(), true);
        assertThrows(ProtocolException.class, () -> MeshFrames.readWelcome(body(bad)));
    }
}
