package io.weft.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: small publishes whose payload names them. */
final class Events {
    private Events() {
    }

    static Publish pub(String id) {
        return pub("src", id, "orders.created");
    }

    static Publish pub(String source, String id, String topic) {
        return new Publish(source, id, topic, ("event-" + source + "-" + id).getBytes(StandardCharsets.UTF_8));
    }

    static List<Publish> pubs(String... ids) {
        List<Publish> out = new ArrayList<>();
        for (String id : ids) {
            out.add(pub(id));
        }
        return out;
    }

    static String payload(StoredEvent e) {
        return new String(e.event(), StandardCharsets.UTF_8);
    }

    static List<Long> seqs(List<PublishAck> acks) {
        return acks.stream().map(PublishAck::seq).toList();
    }
}
