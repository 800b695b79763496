package io.weft.broker;

import io.weft.protocol.EventPage;
import io.weft.storage.StoredEvent;
import io.weft.storage.raft.StreamStateMachine;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Binary pages of a replica's stored events ({@link EventPage}), as READ answers them. */
final class StreamPages {
    /** The most events one page holds, whatever was asked for. */
    static final int MAX_EVENTS = 10_000;

    private StreamPages() {
    }

    /**
     * A page of up to {@code count} events of {@code sm} from {@code from} (both clamped to at least 1,
     * the count to {@link #MAX_EVENTS}), at most {@code maxPayloadBytes} less 16 KiB, but always one
     * event, which a frame can hold: the mesh allows 64 KiB over the limit for its envelope.
     */
    static byte[] page(StreamStateMachine sm, long from, int count, int maxPayloadBytes) {
        long start = Math.max(1, from);
        int budget = Math.max(64 * 1024, maxPayloadBytes - 16 * 1024);
        List<StoredEvent> events = sm.readFrom(start, Math.max(1, Math.min(MAX_EVENTS, count)), budget);
        return pageOf(events, budget, sm.read(l -> l.lastSeq()).orElse(0L), start);
    }

    /**
     * The page of the first of {@code events} (in sequence order) that fit {@code budget} bytes, and
     * at least the first one; {@code lastSeq} and {@code from} as {@link EventPage.Writer#finish} takes
     * them.
     */
    static byte[] pageOf(List<StoredEvent> events, int budget, long lastSeq, long from) {
        byte[][] topics = new byte[events.size()][];
        int size = 20;
        int n = 0;
        for (; n < events.size(); n++) {
            topics[n] = events.get(n).topic().getBytes(StandardCharsets.UTF_8);
            int b = EventPage.entryBytes(topics[n], events.get(n).event().length);
            if (n > 0 && size + b > budget) {
                break;
            }
            size += b;
        }
        EventPage.Writer w = new EventPage.Writer(size);
        for (int i = 0; i < n; i++) {
            StoredEvent e = events.get(i);
            w.add(e.seq(), e.timeMillis(), topics[i], e.event());
        }
        return w.finish(lastSeq, from);
    }
}
