package io.weft.storage;

/**
 * The outcome of one {@link Publish}.
 *
 * @param seq       the stream sequence of the event
 * @param duplicate true when the {@code (source, id)} pair was seen within the dedupe window:
 *                  {@code seq} is then the original sequence and nothing new was stored
 */
public record PublishAck(long seq, boolean duplicate) {
}
