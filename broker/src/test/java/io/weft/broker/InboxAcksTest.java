package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InboxAcksTest {
    private static byte[] ack(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, List<String>> flushed(InboxAcks acks) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        acks.flush((node, data) -> {
            List<String> decoded = new ArrayList<>();
            InboxAcks.forEach(data, (id, a) -> decoded.add(id + ":" + new String(a, StandardCharsets.UTF_8)));
            out.put(node, decoded);
        });
        return out;
    }

    @Test
    void gathersPerAskingNodeInOrderAndForgetsOnFlush() {
        InboxAcks acks = new InboxAcks();
        assertTrue(acks.gather("_weft.inbox.b1.7", ack("seven")));
        assertTrue(acks.gather("_weft.inbox.eu.b2.8", ack("eight")), "node names may hold dots");
        assertTrue(acks.gather("_weft.inbox.b1.9", ack("nine")));
        assertEquals(Map.of("b1", List.of("7:seven", "9:nine"), "eu.b2", List.of("8:eight")), flushed(acks));
        assertEquals(Map.of(), flushed(acks));
        assertEquals("_weft.inbox.eu.b2.acks", InboxAcks.topic("eu.b2"));
    }

    @Test
    void otherReplyTopicsAreNotGathered() {
        InboxAcks acks = new InboxAcks();
        assertFalse(acks.gather("orders.replies", ack("x")));
        assertFalse(acks.gather("_weft.inbox.b1.acks", ack("x")));
        assertFalse(acks.gather("_weft.inbox.12", ack("x")), "no node");
        assertFalse(acks.gather("_weft.inbox.b1.7", new byte[70_000]), "too long for one record");
        assertEquals(Map.of(), flushed(acks));
    }

    @Test
    void eachThreadFlushesOnlyWhatItGathered() throws Exception {
        InboxAcks acks = new InboxAcks();
        acks.gather("_weft.inbox.b1.1", ack("mine"));
        Map<String, List<String>> other = new LinkedHashMap<>();
        Thread t = new Thread(() -> {
            acks.gather("_weft.inbox.b1.2", ack("theirs"));
            other.putAll(flushed(acks));
        });
        t.start();
        t.join(30_000);
        assertEquals(Map.of("b1", List.of("2:theirs")), other);
        assertEquals(Map.of("b1", List.of("1:mine")), flushed(acks));
    }
}
