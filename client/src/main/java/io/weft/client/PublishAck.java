package io.weft.client;

/**
 * The broker's acknowledgement of a {@linkplain MeshClient#publishDurable durable publish}: the event
 * is stored in {@code stream} at sequence {@code seq}.
 *
 * @param stream the stream that stored the event
 * @param seq its sequence number in that stream
 * @param duplicate true when the stream already held an event with the same {@code source} and
 *     {@code id} (within its dedupe window) and {@code seq} is that event's; after an automatic
 *     retry this may be this very publish's earlier attempt
 */
public record PublishAck(String stream, long seq, boolean duplicate) {
}
