package io.weft.client;

import io.cloudevents.CloudEvent;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;

/**
 * An event as it travelled, in its binary encoding, decoded the first time it is asked for: what a
 * delivered {@link Message} and a stored {@link StreamEvent} have in common. Used by one thread at a
 * time, like its subclasses.
 */
abstract class EncodedEvent {
    private final byte[] encodedEvent;
    private CloudEvent event;

    EncodedEvent(byte[] encodedEvent) {
        this.encodedEvent = encodedEvent;
    }

    /** The event; decoded the first time it is asked for. */
    public CloudEvent event() {
        if (event == null) {
            event = EventCodec.decode(Unpooled.wrappedBuffer(encodedEvent));
        }
        return event;
    }

    /** The event's data (null when it has none), read without decoding the rest of the event. */
    public byte[] data() {
        return event != null ? (event.getData() == null ? null : event.getData().toBytes())
                : EventCodec.readData(Unpooled.wrappedBuffer(encodedEvent));
    }

    /** Size of the event in its binary wire encoding. */
    public int encodedSize() {
        return encodedEvent.length;
    }
}
