package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.weft.protocol.EventPage;
import io.weft.storage.StoredEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamsPageTest {
    private static List<StoredEvent> events(long from, int n, int size) {
        List<StoredEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new StoredEvent(from + i, 1000 + i, "orders.é" + i, new byte[size]));
        }
        return out;
    }

    private static EventPage.Page read(byte[] page) {
        return EventPage.read(Unpooled.wrappedBuffer(page), page.length);
    }

    @Test
    void aPageStopsAtItsBudgetAndSaysWhereToGoOn() {
        List<StoredEvent> in = events(5, 100, 1000);
        byte[] page = StreamPages.pageOf(in, 10_000, 200, 5);
        assertTrue(page.length <= 10_000, page.length + " bytes");
        EventPage.Page p = read(page);
        int n = p.entries().size();
        assertEquals(9, n, "nine entries of 1,000 bytes and their headers fit in 10,000");
        assertEquals(5 + n, p.next());
        assertEquals(200, p.lastSeq());
        for (int i = 0; i < n; i++) {
            EventPage.Entry e = p.entries().get(i);
            assertEquals(5 + i, e.seq());
            assertEquals(1000 + i, e.timeMillis());
            assertEquals("orders.é" + i, e.topic());
            assertEquals(1000, e.event().length);
        }
    }

    @Test
    void anEventLargerThanTheBudgetStillTravelsAlone() {
        EventPage.Page p = read(StreamPages.pageOf(events(1, 3, 50_000), 10_000, 3, 1));
        assertEquals(1, p.entries().size());
        assertEquals(2, p.next());
    }

    @Test
    void nothingToReadIsAnEmptyPageThatStaysPut() {
        EventPage.Page p = read(StreamPages.pageOf(List.of(), 10_000, 12, 13));
        assertEquals(new EventPage.Page(12, 13, List.of()), p);
    }
}
