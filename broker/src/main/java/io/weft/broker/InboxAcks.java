package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Durable-publish acks bound for nodes' inboxes, gathered while the callbacks of one Raft entry
 * run and then sent as one internal event per asking node to {@code _weft.inbox.NODE.acks}.
 *
 * <p>An entry carries up to thousands of events; routing one internal event per ack cost the
 * leader's apply thread more than storing the events (a CloudEvent built, encoded and matched
 * against the subscription table per ack). The data of a batch: {@code i32 count}, then per ack
 * {@code i64 request id, u16 length, ack bytes}.
 */
final class InboxAcks {
    static final String ROOT = "_weft.inbox.";
    static final String SUFFIX = ".acks";

    /** Per asking node, the acks this thread has gathered (callbacks of one entry run on one thread). */
    private final ThreadLocal<Map<String, ByteBuf>> gathered = ThreadLocal.withInitial(LinkedHashMap::new);

    /**
     * Gathers {@code ack} for {@code replyTo} when it is a node's inbox ({@code _weft.inbox.NODE.ID});
     * false (nothing gathered) for any other reply topic.
     */
    boolean gather(String replyTo, byte[] ack) {
        int dot = replyTo.lastIndexOf('.');
        if (!replyTo.startsWith(ROOT) || dot <= ROOT.length() || ack.length > 0xFFFF) {
            return false;
        }
        long id;
        try {
            id = Long.parseLong(replyTo, dot + 1, replyTo.length(), 10);
        } catch (NumberFormatException e) {
            return false;
        }
        ByteBuf b = gathered.get().computeIfAbsent(replyTo.substring(ROOT.length(), dot), n -> Unpooled.buffer(4096).writeInt(0));
        b.setInt(0, b.getInt(0) + 1);
        b.writeLong(id).writeShort(ack.length).writeBytes(ack);
        return true;
    }

    /** Hands what this thread gathered to {@code send(node, batch data)} and forgets it. */
    void flush(BiConsumer<String, byte[]> send) {
        Map<String, ByteBuf> mine = gathered.get();
        if (mine.isEmpty()) {
            return;
        }
        for (Map.Entry<String, ByteBuf> e : mine.entrySet()) {
            ByteBuf b = e.getValue();
            byte[] data = new byte[b.readableBytes()];
            b.readBytes(data);
            send.accept(e.getKey(), data);
        }
        mine.clear();
    }

    /** The inbox topic a batch for {@code node} is sent to. */
    static String topic(String node) {
        return ROOT + node + SUFFIX;
    }

    /** Decodes a batch: {@code answer(request id, ack bytes)} per ack, in order. */
    static void forEach(byte[] data, IdAnswer answer) {
        ByteBuf b = Unpooled.wrappedBuffer(data);
        int n = b.readInt();
        for (int i = 0; i < n; i++) {
            long id = b.readLong();
            byte[] ack = new byte[b.readUnsignedShort()];
            b.readBytes(ack);
            answer.accept(id, ack);
        }
    }

    /** One decoded ack. */
    @FunctionalInterface
    interface IdAnswer {
        void accept(long id, byte[] ack);
    }
}
