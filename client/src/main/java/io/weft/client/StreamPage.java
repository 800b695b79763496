package io.weft.client;

import java.util.List;

/**
 * A page of a stream's stored events, in sequence order, as {@link MeshClient#read} returns it.
 *
 * @param events the events; may be fewer than asked for (a page holds at most about the broker's
 *     payload limit), and empty at the end of the stream
 * @param next the sequence to read from next: the last event's sequence + 1, or the one asked for
 *     when the page is empty
 * @param lastSeq the stream's last sequence as the replica that answered knew it (0 for a stream that
 *     never stored anything)
 */
public record StreamPage(List<StreamEvent> events, long next, long lastSeq) {
    public StreamPage {
        events = List.copyOf(events);
    }

    /** True when the stream held nothing after this page when it was read. */
    public boolean atEnd() {
        return next > lastSeq;
    }
}
