/**
 * The Weft wire protocol, shared by the Java client and the broker.
 *
 * <p>Frames are length-prefixed ({@code u32 length, u8 type, body}); {@link io.weft.protocol.FrameType}
 * lists them, {@link io.weft.protocol.Frames} writes them, {@link io.weft.protocol.FrameDecoder}
 * splits a byte stream into them and {@link io.weft.protocol.EventCodec} encodes CloudEvents in
 * binary mode. The format is specified in {@code docs/protocol.md}; its version is
 * {@link io.weft.protocol.Frames#PROTOCOL_VERSION}.
 *
 * <p>Topic and pattern syntax ({@link io.weft.protocol.Topics}) lives here because both ends of a
 * connection must agree on it: the client rejects a bad topic before sending, the broker rejects it
 * on receipt.
 */
package io.weft.protocol;
