package io.weft.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mutable, deterministic state of one consumer: the next never-delivered sequence and the
 * delivered-but-unacked events with their delivery counts and ack deadlines. Bounded by
 * {@link ConsumerConfig#maxAckPending()}. Changed only by {@link StreamLog#applyConsumerOp}.
 */
final class ConsumerState {
    /** Delivery bookkeeping of one unacked event. */
    private static final class Pending {
        int deliveries;
        long deadlineMillis;

        Pending(int deliveries, long deadlineMillis) {
            this.deliveries = deliveries;
            this.deadlineMillis = deadlineMillis;
        }
    }

    final ConsumerConfig config;
    final long startSeq;
    private long nextSeq;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();

    ConsumerState(ConsumerConfig config, long startSeq) {
        this.config = config;
        this.startSeq = startSeq;
        this.nextSeq = startSeq;
    }

    ConsumerInfo info() {
        long floor = pending.isEmpty() ? nextSeq - 1 : pending.firstKey() - 1;
        return new ConsumerInfo(config, startSeq, nextSeq, floor, pending.size());
    }

    /**
     * Redelivers expired pending events (oldest first), dead-letters those past maxDeliver, then
     * delivers new events, up to {@code max} deliveries and {@code maxAckPending} unacked events.
     */
    void next(StreamLog log, int max, long nowMillis, List<Delivery> out, List<DeadLetter> dead) {
        pending.headMap(log.firstSeq()).clear(); // removed by retention: nothing left to deliver
        Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator();
        while (it.hasNext() && out.size() < max) {
            Map.Entry<Long, Pending> e = it.next();
            Pending p = e.getValue();
            if (p.deadlineMillis > nowMillis) {
                continue;
            }
            StoredEvent event = log.read(e.getKey()).orElse(null);
            if (event == null) {
                it.remove();
            } else if (config.maxDeliver() > 0 && p.deliveries >= config.maxDeliver()) {
                it.remove();
                dead.add(new DeadLetter(config.deadLetterTopic(), config.name(), event, p.deliveries));
            } else {
                p.deliveries++;
                p.deadlineMillis = nowMillis + config.ackWaitMillis();
                out.add(new Delivery(event, p.deliveries));
            }
        }
        nextSeq = Math.max(nextSeq, log.firstSeq());
        while (out.size() < max && pending.size() < config.maxAckPending() && nextSeq <= log.lastSeq()) {
            long seq = nextSeq++;
            log.read(seq).ifPresent(event -> {
                pending.put(seq, new Pending(1, nowMillis + config.ackWaitMillis()));
                out.add(new Delivery(event, 1));
            });
        }
    }

    /**
     * The events below {@code firstSeq} were purged: forgets those pending and moves the next sequence up
     * to {@code firstSeq} (what {@link #next} does on its next call). True when anything changed.
     */
    boolean skipTo(long firstSeq) {
        boolean changed = false;
        java.util.SortedMap<Long, Pending> gone = pending.headMap(firstSeq);
        if (!gone.isEmpty()) {
            gone.clear();
            changed = true;
        }
        if (nextSeq < firstSeq) {
            nextSeq = firstSeq;
            changed = true;
        }
        return changed;
    }

    /** True when {@code seq} was pending and is now acked. */
    boolean ack(long seq) {
        return pending.remove(seq) != null;
    }

    /** Makes the pending {@code seqs} (all pending when empty) due at {@code nowMillis}; returns how many. */
    int nak(List<Long> seqs, long nowMillis) {
        int n = 0;
        for (Pending p : seqs.isEmpty() ? pending.values() : seqs.stream().map(pending::get).toList()) {
            if (p != null && p.deadlineMillis > nowMillis) {
                p.deadlineMillis = nowMillis;
                n++;
            }
        }
        return n;
    }

    /**
     * The pending events delivered at or before {@code deliveredByMillis} whose ack wait still runs at
     * {@code nowMillis} (those already due are about to go out again anyway), oldest first, at most {@code max}.
     */
    List<Long> outSince(long deliveredByMillis, long nowMillis, int max) {
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            long deadline = e.getValue().deadlineMillis;
            if (out.size() >= max) {
                break;
            }
            if (deadline > nowMillis && deadline - config.ackWaitMillis() <= deliveredByMillis) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    byte[] encode() {
        byte[] dlt = config.deadLetterTopic() == null ? null
                : config.deadLetterTopic().getBytes(StandardCharsets.UTF_8);
        byte[] name = config.name().getBytes(StandardCharsets.UTF_8);
        byte[] deliver = config.deliverTopic() == null ? null : config.deliverTopic().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(64 + name.length + (dlt == null ? 0 : dlt.length)
                + (deliver == null ? 0 : deliver.length) + pending.size() * 20);
        b.putShort((short) name.length).put(name);
        b.put((byte) config.start().kind().ordinal()).putLong(config.start().value());
        b.putLong(config.ackWaitMillis()).putInt(config.maxDeliver()).putInt(config.maxAckPending());
        b.putInt(dlt == null ? -1 : dlt.length);
        if (dlt != null) {
            b.put(dlt);
        }
        b.putLong(startSeq).putLong(nextSeq).putInt(pending.size());
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            b.putLong(e.getKey()).putInt(e.getValue().deliveries).putLong(e.getValue().deadlineMillis);
        }
        // added after format 1's first consumers: a value without it is a pull consumer
        b.putInt(deliver == null ? -1 : deliver.length);
        if (deliver != null) {
            b.put(deliver);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static ConsumerState decode(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        String name = text(b, Short.toUnsignedInt(b.getShort()));
        StartPosition start = new StartPosition(StartPosition.Kind.values()[b.get()], b.getLong());
        long ackWait = b.getLong();
        int maxDeliver = b.getInt();
        int maxAckPending = b.getInt();
        int dltLen = b.getInt();
        String dlt = dltLen < 0 ? null : text(b, dltLen);
        ConsumerState s = new ConsumerState(
                new ConsumerConfig(name, start, ackWait, maxDeliver, dlt, maxAckPending), b.getLong());
        s.nextSeq = b.getLong();
        for (int n = b.getInt(); n > 0; n--) {
            s.pending.put(b.getLong(), new Pending(b.getInt(), b.getLong()));
        }
        if (b.remaining() >= 4) {
            int len = b.getInt();
            if (len >= 0) {
                ConsumerState push = new ConsumerState(s.config.withDeliverTopic(text(b, len)), s.startSeq);
                push.nextSeq = s.nextSeq;
                push.pending.putAll(s.pending);
                return push;
            }
        }
        return s;
    }

    private static String text(ByteBuffer b, int len) {
        byte[] t = new byte[len];
        b.get(t);
        return new String(t, StandardCharsets.UTF_8);
    }
}
