package io.weft.storage;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The deterministic state machine of one stream: events, time index, dedupe window, retention and
 * consumers, kept in a {@link StreamStore}.
 *
 * <p>Every change comes in through {@link #apply}, {@link #applyConsumerOp} or {@link #purge} with the Raft index
 * and the Raft entry's time (assigned by the leader), and is written in ONE store batch together
 * with the new last-applied index. Nothing here reads a clock, so replicas that apply the same
 * entries hold the same state. Entries at or below {@link #lastApplied()} are skipped, so the Raft
 * layer may replay its log over a store that already holds part of it.
 *
 * <p>Stored times never go backwards: an entry stamped earlier than the last stored event (a new
 * leader with a slower clock) is stored at the last event's time.
 *
 * <p>Not thread-safe: the Raft state machine calls it from its apply thread; readers must be
 * serialised with it by the caller.
 */
public final class StreamLog {
    /** At most this many events are removed by one apply (the rest go later); also the chunk of a format upgrade. */
    static final int MAX_REMOVALS_PER_APPLY = 10_000;
    /**
     * At most this many events are removed by one {@link #purge} (the caller commits another entry for the
     * rest). Like {@link #MAX_REMOVALS_PER_APPLY} it decides what an entry does, so every replica must use
     * the same value (and so must a replay of an old log): change it only with the entry format.
     */
    public static final int MAX_PURGE_PER_ENTRY = 100_000;
    /**
     * A {@link #purge} that must read the events it removes (to keep {@link #bytes()} exact) stops after
     * reading this many bytes of them, so an entry of large events stays short too (fixed, as
     * {@link #MAX_PURGE_PER_ENTRY}).
     */
    static final long MAX_PURGE_BYTES_PER_ENTRY = 64L << 20;
    /** At most this many consumers per stream: each one's state is kept in memory. */
    public static final int MAX_CONSUMERS = 10_000;

    private final StreamStore store;
    private final StreamConfig config;
    private final TreeMap<String, ConsumerState> consumers = new TreeMap<>();
    private long lastApplied;
    private long firstSeq = 1;
    private long lastSeq;
    private long bytes;
    private long count;
    private long lastTimeMillis = -1;
    /**
     * Dedupe records of time buckets below this one are deleted (kept only in memory: after a reopen
     * the first apply deletes them again, which is cheap and changes nothing).
     */
    private long dedupeClearedBelow = Long.MIN_VALUE;

    private StreamLog(StreamStore store, StreamConfig config) {
        this.store = store;
        this.config = config;
    }

    /**
     * Opens the stream held by {@code store}, restoring sequences, sizes, last-applied index and
     * consumers. An empty store gives an empty stream.
     */
    public static StreamLog open(StreamStore store, StreamConfig config) {
        StreamLog log = new StreamLog(store, config);
        log.upgradeFormat1();
        log.loadState();
        store.scan(Keys.first(Keys.CONSUMER), Keys.after(Keys.CONSUMER), (k, v) -> {
            log.consumers.put(Keys.consumerNameOf(k), ConsumerState.decode(v));
            return true;
        });
        return log;
    }

    /**
     * Appends a batch of events committed at Raft index {@code raftIndex}.
     *
     * @param entryTimeMillis the entry's time, set by the leader when it built the entry (>= 0)
     * @return one ack per publish, in order; empty when {@code raftIndex} was already applied
     */
    public List<PublishAck> apply(long raftIndex, List<Publish> batch, long entryTimeMillis) {
        if (entryTimeMillis < 0) {
            throw new IllegalArgumentException("entryTimeMillis " + entryTimeMillis + " is negative");
        }
        if (raftIndex <= lastApplied) {
            return List.of();
        }
        long[] saved = saveCounters();
        long savedClearedBelow = dedupeClearedBelow;
        try {
            long now = Math.max(entryTimeMillis, lastTimeMillis);
            Batch b = new Batch();
            boolean dedupe = !config.dedupeWindow().isZero();
            long window = config.dedupeWindow().toMillis();
            long cutoff = now - window; // a record at or before it is dead
            long bucket = dedupe ? Math.floorDiv(now, window) : 0;
            List<byte[]> records = null;
            List<byte[]> dedupeKeys = null;
            if (dedupe) {
                expireDedupe(b, bucket);
                // a live record was written within the window: in this bucket or the one before
                dedupeKeys = new ArrayList<>(2 * batch.size());
                for (Publish p : batch) {
                    byte[] key = Keys.dedupe(bucket, p.source(), p.id());
                    dedupeKeys.add(key);
                    dedupeKeys.add(Keys.dedupeInBucket(key, bucket - 1));
                }
                records = store.getAll(dedupeKeys);
            }
            NewEvents added = new NewEvents(lastSeq + 1);
            Map<SourceId, Long> seenInBatch = new HashMap<>();
            List<PublishAck> acks = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Publish p = batch.get(i);
                SourceId sid = dedupe ? new SourceId(p.source(), p.id()) : null;
                Long original = null;
                if (dedupe) {
                    original = seenInBatch.get(sid);
                    if (original == null) {
                        original = liveDedupe(records.get(2 * i), cutoff);
                    }
                    if (original == null) {
                        original = liveDedupe(records.get(2 * i + 1), cutoff);
                    }
                }
                if (original != null) {
                    acks.add(new PublishAck(original, true));
                    continue;
                }
                long seq = store(b, p, now, added);
                if (dedupe) {
                    b.put(dedupeKeys.get(2 * i), ByteBuffer.allocate(16).putLong(seq).putLong(now).array());
                    seenInBatch.put(sid, seq);
                }
                acks.add(new PublishAck(seq, false));
            }
            enforceRetention(b, now, added);
            commit(b, raftIndex);
            return acks;
        } catch (RuntimeException e) {
            restoreCounters(saved);
            dedupeClearedBelow = savedClearedBelow;
            throw e;
        }
    }

    /**
     * Applies a consumer op committed at Raft index {@code raftIndex}.
     *
     * @param nowMillis the entry's time, set by the leader: ack deadlines are measured against it
     * @return what the op did; a rejected op still advances {@link #lastApplied()}
     */
    public ConsumerOpResult applyConsumerOp(long raftIndex, ConsumerOp op, long nowMillis) {
        if (raftIndex <= lastApplied) {
            return ConsumerOpResult.failed("raft index " + raftIndex + " was already applied");
        }
        Batch b = new Batch();
        try {
            ConsumerOpResult result;
            if (op instanceof ConsumerOp.Create c) {
                result = create(b, c.config());
            } else if (op instanceof ConsumerOp.Next n) {
                result = next(b, n, nowMillis);
            } else if (op instanceof ConsumerOp.Ack a) {
                result = ack(b, a.consumer(), List.of(a.seq()));
            } else if (op instanceof ConsumerOp.AckMany a) {
                result = ack(b, a.consumer(), a.seqs());
            } else if (op instanceof ConsumerOp.Nak k) {
                result = nak(b, k, nowMillis);
            } else {
                result = delete(b, op.consumer());
            }
            commit(b, raftIndex);
            return result;
        } catch (RuntimeException e) {
            reloadConsumer(op.consumer()); // undo in-memory changes the store did not take
            throw e;
        }
    }

    /**
     * Removes the oldest events, every one with a sequence below {@code min(keepFromSeq, lastSeq() + 1)}
     * (a purge, committed at Raft index {@code raftIndex}), as retention removes them: the events, their
     * share of {@link #bytes()} and {@link #count()}, the time index below the new head; {@link #firstSeq()}
     * moves up. {@link #lastSeq()} never changes, so later publishes continue the numbering. Consumers
     * forget their pending events below the new head and move their next sequence up to it (what
     * {@code next} would do anyway), so their info is right at once. Dedupe records stay, as with
     * retention: an event published again within the window is still a duplicate of its purged original.
     *
     * <p>One call removes at most {@link #MAX_PURGE_PER_ENTRY} events (and stops after reading
     * {@link #MAX_PURGE_BYTES_PER_ENTRY} of them), unless it removes every stored event, which is one
     * range delete whatever their number; the caller commits further entries, with the same bound, until
     * {@link #firstSeq()} reaches it. An entry at or below {@link #lastApplied()} is skipped.
     *
     * @return how many events this call removed
     */
    public long purge(long raftIndex, long keepFromSeq) {
        return purge(raftIndex, keepFromSeq, MAX_PURGE_PER_ENTRY, MAX_PURGE_BYTES_PER_ENTRY);
    }

    /** {@link #purge(long, long)} with other bounds per call (tests). */
    long purge(long raftIndex, long keepFromSeq, int maxEvents, long maxBytes) {
        if (raftIndex <= lastApplied) {
            return 0;
        }
        long[] saved = saveCounters();
        List<String> touched = new ArrayList<>();
        try {
            Batch b = new Batch();
            long upTo = Math.min(keepFromSeq, lastSeq + 1); // exclusive
            long removed = 0;
            if (upTo > firstSeq && count > 0) {
                long end; // exclusive
                if (upTo == lastSeq + 1) {
                    // everything goes: nothing needs reading, one range delete is the whole work
                    end = upTo;
                    removed = count;
                    bytes = 0;
                    count = 0;
                } else {
                    long limit = firstSeq + Math.min(upTo - firstSeq, (long) maxEvents);
                    long from = firstSeq;
                    long[] seen = {0, 0}; // events, bytes
                    store.scan(Keys.event(from), Keys.event(limit), (k, v) -> {
                        if (Keys.seqOf(k) != from + seen[0]) {
                            throw new IllegalStateException("event " + (from + seen[0])
                                    + " missing from the store: it is corrupt");
                        }
                        seen[0]++;
                        seen[1] += v.length;
                        return seen[1] < maxBytes;
                    });
                    if (seen[0] == 0) {
                        throw new IllegalStateException("event " + from + " missing from the store: it is corrupt");
                    }
                    end = from + seen[0];
                    removed = seen[0];
                    bytes -= seen[1];
                    count -= seen[0];
                }
                b.deleteRange(Keys.event(firstSeq), Keys.event(end));
                firstSeq = end;
                // index entries older than the new head point only at removed events
                b.deleteRange(Keys.first(Keys.TIME), count == 0 ? Keys.after(Keys.TIME)
                        : Keys.time(StoredEvent.timeOf(headValue())));
                for (Map.Entry<String, ConsumerState> e : consumers.entrySet()) {
                    if (e.getValue().skipTo(firstSeq)) {
                        touched.add(e.getKey());
                        b.put(Keys.consumer(e.getKey()), e.getValue().encode());
                    }
                }
            }
            commit(b, raftIndex);
            return removed;
        } catch (RuntimeException e) {
            restoreCounters(saved);
            touched.forEach(this::reloadConsumer);
            throw e;
        }
    }

    /** The stored value of the event at {@link #firstSeq()} (the stream holds at least one). */
    private byte[] headValue() {
        byte[] v = store.get(Keys.event(firstSeq));
        if (v == null) {
            throw new IllegalStateException("event " + firstSeq + " missing from the store: it is corrupt");
        }
        return v;
    }

    /** The index of the last Raft entry applied (0 for a new stream). */
    public long lastApplied() {
        return lastApplied;
    }

    /** The sequence of the oldest stored event; {@code lastSeq() + 1} when the stream is empty. */
    public long firstSeq() {
        return firstSeq;
    }

    /** The sequence of the newest event ever stored (0 when none was). */
    public long lastSeq() {
        return lastSeq;
    }

    /** The size of the stored events (the sum of their stored values). */
    public long bytes() {
        return bytes;
    }

    /** The number of stored events. */
    public long count() {
        return count;
    }

    /** The stream's settings. */
    public StreamConfig config() {
        return config;
    }

    /** The event {@code seq}, if it is stored. */
    public Optional<StoredEvent> read(long seq) {
        if (seq < firstSeq || seq > lastSeq) {
            return Optional.empty();
        }
        byte[] v = store.get(Keys.event(seq));
        return v == null ? Optional.empty() : Optional.of(StoredEvent.decode(seq, v));
    }

    /** Up to {@code max} stored events from {@code seq} on (from the first stored one if removed), in order. */
    public List<StoredEvent> readFrom(long seq, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max " + max + " must be at least 1");
        }
        List<StoredEvent> out = new ArrayList<>(Math.min(max, 1024));
        store.scan(Keys.event(Math.max(seq, firstSeq)), Keys.after(Keys.EVENT), (k, v) -> {
            out.add(StoredEvent.decode(Keys.seqOf(k), v));
            return out.size() < max;
        });
        return out;
    }

    /** The sequence of the first stored event at or after {@code timeMillis}; {@code lastSeq() + 1} if none. */
    public long seqForTime(long timeMillis) {
        long[] found = {lastSeq + 1};
        store.scan(Keys.time(Math.max(0, timeMillis)), Keys.after(Keys.TIME), (k, v) -> {
            found[0] = Math.max(ByteBuffer.wrap(v).getLong(), firstSeq);
            return false;
        });
        return found[0];
    }

    /** The consumer {@code name}, if it exists. */
    public Optional<ConsumerInfo> consumer(String name) {
        ConsumerState s = consumers.get(name);
        return s == null ? Optional.empty() : Optional.of(s.info());
    }

    /**
     * The events consumer {@code name} has out unacked that were delivered at least {@code minAgeMillis}
     * before {@code nowMillis} and are not due again yet (at most {@code max}, oldest first); empty when
     * there is no such consumer. Whoever should have them can tell which never arrived.
     */
    public Optional<List<Long>> outFor(String name, long minAgeMillis, long nowMillis, int max) {
        ConsumerState s = consumers.get(name);
        return s == null ? Optional.empty() : Optional.of(s.outSince(nowMillis - minAgeMillis, nowMillis, max));
    }

    /** Every consumer, by name. */
    public List<ConsumerInfo> consumers() {
        return consumers.values().stream().map(ConsumerState::info).toList();
    }

    private long store(Batch b, Publish p, long now, NewEvents added) {
        long seq = ++lastSeq;
        if (now > lastTimeMillis || count == 0) {
            b.put(Keys.time(now), ByteBuffer.allocate(8).putLong(seq).array());
            lastTimeMillis = now;
        }
        byte[] value = StoredEvent.encode(now, p.topic(), p.event());
        b.put(Keys.event(seq), value);
        added.values.add(value);
        bytes += value.length;
        count++;
        return seq;
    }

    /**
     * Deletes the dedupe records of the buckets before the previous one: every record in them is
     * older than the window. One range delete per bucket, whatever the number of records.
     */
    private void expireDedupe(Batch b, long bucket) {
        if (bucket - 1 > dedupeClearedBelow && bucket - 1 > 0) {
            b.deleteRange(Keys.first(Keys.DEDUPE), Keys.dedupeBucket(bucket - 1));
            dedupeClearedBelow = bucket - 1;
        }
    }

    /**
     * Converts format-1 dedupe records (no bucket, with an expiry index) to time buckets, in chunks
     * that each convert a run of the expiry index and delete what they converted, so an interrupted
     * conversion resumes on the next open; the last batch writes format 2.
     */
    private void upgradeFormat1() {
        if (StoreFormat.versionOf(store) != 1) {
            return;
        }
        long window = config.dedupeWindow().toMillis();
        while (true) {
            Batch b = new Batch();
            int[] n = {0};
            store.scan(Keys.first(Keys.DEDUPE_EXPIRY_V1), Keys.after(Keys.DEDUPE_EXPIRY_V1), (k, v) -> {
                ByteBuffer r = ByteBuffer.wrap(v);
                long time = r.getLong();
                byte[] v1Key = Arrays.copyOfRange(v, 8, v.length);
                byte[] record = store.get(v1Key);
                if (record != null && window > 0) {
                    b.put(Keys.dedupeFromV1(Math.floorDiv(time, window), v1Key), record);
                }
                b.delete(k);
                b.delete(v1Key);
                return ++n[0] < MAX_REMOVALS_PER_APPLY;
            });
            if (n[0] == 0) {
                break;
            }
            store.apply(b);
        }
        store.apply(StoreFormat.stamp(
                new Batch().deleteRange(Keys.first(Keys.DEDUPE_V1), Keys.after(Keys.DEDUPE_EXPIRY_V1)), 2));
    }

    /** The sequence of dedupe record {@code v} (null: none) while it is inside the window. */
    private static Long liveDedupe(byte[] v, long cutoff) {
        if (v == null) {
            return null;
        }
        ByteBuffer r = ByteBuffer.wrap(v);
        long seq = r.getLong();
        return r.getLong() > cutoff ? seq : null;
    }

    /** Removes the oldest events while the stream breaks a limit (age, bytes, count). */
    private void enforceRetention(Batch b, long now, NewEvents added) {
        long ageCutoff = config.maxAge().isZero() ? Long.MIN_VALUE : now - config.maxAge().toMillis();
        int removed = 0;
        while (count > 0 && removed < MAX_REMOVALS_PER_APPLY) {
            byte[] head = added.valueOr(firstSeq, store);
            boolean over = (config.maxEvents() > 0 && count > config.maxEvents())
                    || (config.maxBytes() > 0 && bytes > config.maxBytes())
                    || StoredEvent.timeOf(head) < ageCutoff;
            if (!over) {
                break;
            }
            b.delete(Keys.event(firstSeq));
            bytes -= head.length;
            count--;
            firstSeq++;
            removed++;
        }
        if (removed > 0) {
            // index entries older than the new head point only at removed events
            b.deleteRange(Keys.first(Keys.TIME), count == 0 ? Keys.after(Keys.TIME)
                    : Keys.time(StoredEvent.timeOf(added.valueOr(firstSeq, store))));
        }
    }

    private ConsumerOpResult create(Batch b, ConsumerConfig cc) {
        ConsumerState existing = consumers.get(cc.name());
        if (existing != null) {
            return existing.config.equals(cc) ? ConsumerOpResult.ok(existing.info())
                    : ConsumerOpResult.failed("consumer " + cc.name() + " already exists with other settings");
        }
        if (cc.push()) {
            for (String subject : config.subjects()) {
                if (io.weft.protocol.Topics.matches(subject, cc.deliverTopic())) {
                    return ConsumerOpResult.failed("deliverTopic " + cc.deliverTopic() + " is captured by stream "
                            + config.name() + " (" + subject + "): pushed events would be stored again");
                }
            }
        }
        if (consumers.size() >= MAX_CONSUMERS) {
            return ConsumerOpResult.failed("stream " + config.name() + " has " + MAX_CONSUMERS
                    + " consumers already: delete one first");
        }
        ConsumerState s = new ConsumerState(cc, resolveStart(cc.start()));
        consumers.put(cc.name(), s);
        b.put(Keys.consumer(cc.name()), s.encode());
        return ConsumerOpResult.ok(s.info());
    }

    private long resolveStart(StartPosition start) {
        return switch (start.kind()) {
            case FIRST -> firstSeq;
            case LAST -> count > 0 ? lastSeq : lastSeq + 1;
            case NEW -> lastSeq + 1;
            case SEQ -> Math.max(start.value(), firstSeq);
            case TIME -> seqForTime(start.value());
        };
    }

    private ConsumerOpResult next(Batch b, ConsumerOp.Next n, long nowMillis) {
        ConsumerState s = consumers.get(n.consumer());
        if (s == null) {
            return unknown(n.consumer());
        }
        List<Delivery> out = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        s.next(this, n.max(), nowMillis, out, dead);
        b.put(Keys.consumer(n.consumer()), s.encode());
        return new ConsumerOpResult(null, s.info(), out, dead, 0);
    }

    private ConsumerOpResult ack(Batch b, String consumer, List<Long> seqs) {
        ConsumerState s = consumers.get(consumer);
        if (s == null) {
            return unknown(consumer);
        }
        int acked = 0;
        for (long seq : seqs) {
            acked += s.ack(seq) ? 1 : 0;
        }
        if (acked > 0) {
            b.put(Keys.consumer(consumer), s.encode());
        }
        return new ConsumerOpResult(null, s.info(), List.of(), List.of(), acked);
    }

    private ConsumerOpResult nak(Batch b, ConsumerOp.Nak k, long nowMillis) {
        ConsumerState s = consumers.get(k.consumer());
        if (s == null) {
            return unknown(k.consumer());
        }
        int due = s.nak(k.seqs(), nowMillis);
        if (due > 0) {
            b.put(Keys.consumer(k.consumer()), s.encode());
        }
        return new ConsumerOpResult(null, s.info(), List.of(), List.of(), due);
    }

    private ConsumerOpResult delete(Batch b, String name) {
        if (consumers.remove(name) == null) {
            return unknown(name);
        }
        b.delete(Keys.consumer(name));
        return ConsumerOpResult.ok(null);
    }

    private ConsumerOpResult unknown(String name) {
        return ConsumerOpResult.failed("stream " + config.name() + " has no consumer " + name);
    }

    private void commit(Batch b, long raftIndex) {
        b.put(Keys.STATE, ByteBuffer.allocate(48).putLong(raftIndex).putLong(firstSeq).putLong(lastSeq)
                .putLong(bytes).putLong(count).putLong(lastTimeMillis).array());
        store.apply(b);
        lastApplied = raftIndex;
    }

    private void loadState() {
        byte[] v = store.get(Keys.STATE);
        if (v != null) {
            restoreCounters(decodeState(v));
        }
    }

    private static long[] decodeState(byte[] v) {
        ByteBuffer r = ByteBuffer.wrap(v);
        long[] s = new long[6];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.getLong();
        }
        return s;
    }

    private long[] saveCounters() {
        return new long[] {lastApplied, firstSeq, lastSeq, bytes, count, lastTimeMillis};
    }

    private void restoreCounters(long[] s) {
        lastApplied = s[0];
        firstSeq = s[1];
        lastSeq = s[2];
        bytes = s[3];
        count = s[4];
        lastTimeMillis = s[5];
    }

    private void reloadConsumer(String name) {
        byte[] v = store.get(Keys.consumer(name));
        if (v == null) {
            consumers.remove(name);
        } else {
            consumers.put(name, ConsumerState.decode(v));
        }
    }

    /** The values stored by the current apply, not yet in the store. */
    private static final class NewEvents {
        final long firstSeq;
        final List<byte[]> values = new ArrayList<>();

        NewEvents(long firstSeq) {
            this.firstSeq = firstSeq;
        }

        byte[] valueOr(long seq, StreamStore store) {
            if (seq >= firstSeq) {
                return values.get((int) (seq - firstSeq));
            }
            byte[] v = store.get(Keys.event(seq));
            if (v == null) {
                throw new IllegalStateException("event " + seq + " missing from the store: it is corrupt");
            }
            return v;
        }
    }

    /** An event's dedupe identity within one entry (Strings cache their hash; byte keys would hash per lookup). */
    private record SourceId(String source, String id) {
    }
}
