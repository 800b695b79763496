package io.weft.client;

import io.cloudevents.CloudEvent;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;

/** What {@link Message} and {@link StreamEvent} do with an event in its binary encoding. */
final class EncodedEvents {
    private EncodedEvents() {
    }

    static CloudEvent decode(byte[] encoded) {
        return EventCodec.decode(Unpooled.wrappedBuffer(encoded));
    }

    /** The event's data (null when it has none): from {@code decoded} when given, else read without decoding. */
    static byte[] data(byte[] encoded, CloudEvent decoded) {
        return decoded != null ? (decoded.getData() == null ? null : decoded.getData().toBytes())
                : EventCodec.readData(Unpooled.wrappedBuffer(encoded));
    }
}
