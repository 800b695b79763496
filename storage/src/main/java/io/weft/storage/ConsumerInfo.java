package io.weft.storage;

/**
 * A snapshot of a consumer's position, for {@code stream info} and tests.
 *
 * @param config     its settings
 * @param startSeq   the sequence its start position resolved to at creation
 * @param nextSeq    the next sequence never delivered yet
 * @param ackFloor   every sequence at or below it is acked (or removed, or dead-lettered)
 * @param ackPending delivered events waiting for their ack
 */
public record ConsumerInfo(ConsumerConfig config, long startSeq, long nextSeq, long ackFloor, int ackPending) {
}
