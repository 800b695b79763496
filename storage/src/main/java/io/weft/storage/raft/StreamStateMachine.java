package io.weft.storage.raft;

import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.PublishAck;
import io.weft.storage.PurgeResult;
import io.weft.storage.RocksStreamStore;
import io.weft.storage.StoredEvent;
import io.weft.storage.StreamConfig;
import io.weft.storage.StreamLog;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Ratis state machine of one stream replica: applies committed entries ({@link Codec}) to a
 * {@link StreamLog} over RocksDB in the group's state-machine directory, and takes RocksDB
 * checkpoints as snapshots ({@link CheckpointSnapshots}) so the Raft log can be purged.
 *
 * <p>Entries are applied by Ratis's single updater thread. Reads ({@link #read}) take the same
 * monitor, so they see whole entries only.
 *
 * <p>Snapshots are taken off that thread: a checkpoint flushes RocksDB's memtable, which took the
 * updater 100–500 ms and held every ack back meanwhile (the largest share of p99 ack latency at
 * 5k events/s). {@link #takeSnapshot} starts a checkpoint labelled with the last entry the store
 * applied at that moment and answers -1 ("none new yet"); a later call reports it once it is
 * complete. Writes applied while the checkpoint runs may be in it too, so a store may be newer
 * than its label; that is safe because replaying an entry at or below the store's own
 * last-applied index does nothing ({@link StreamLog}). The label is the store's entry, not Ratis's
 * applied index (which also counts Ratis's own metadata entries): so a live store is never older
 * than a snapshot taken from it, and one that is (the leader's snapshot was installed but the
 * process died before it was copied over the live store) is recognised on start and restored.
 */
public final class StreamStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(StreamStateMachine.class);

    /** What the host learns from a replica. Called on Ratis threads: return quickly. */
    public interface Listener {
        /** This replica became the ready leader of stream {@code config} (null if not yet created). */
        void leaderReady(RaftGroupId group, StreamConfig config);

        /** This replica is no longer leader (another is, or none is known). */
        void notLeader(RaftGroupId group);

        /** The stream was deleted: the host removes the group. */
        void deleted(RaftGroupId group, StreamConfig config);
    }

    /** One checkpoint at a time per JVM: they compete for the same disk and cores. */
    private static final ExecutorService CHECKPOINTS = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weft-stream-checkpoint");
        t.setDaemon(true);
        return t;
    });

    private final Listener listener;
    private final CheckpointSnapshots snapshots = new CheckpointSnapshots();
    /** The running checkpoint, if any (guarded by this). */
    private CompletableFuture<Void> checkpointing = CompletableFuture.completedFuture(null);
    /** The last entry applied to the store, the label of the next checkpoint (guarded by this). */
    private TermIndex lastStoreEntry;
    /** The newest snapshot index told to Ratis (guarded by this). */
    private long reportedSnapshot = -1;
    private RocksStreamStore store;
    private StreamLog log;
    private StreamConfig config;
    private boolean deleted;
    private volatile boolean leader;

    public StreamStateMachine(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        getLifeCycle().startAndTransition(() -> {
            snapshots.init(raftStorage);
            snapshots.prepareLiveStore();
            open();
        }, IOException.class);
    }

    /** Ratis pauses the machine before it installs a snapshot from the leader (required state: PAUSED). */
    @Override
    public void pause() {
        boolean pausing;
        synchronized (this) {
            // PAUSING first, under the monitor: takeSnapshot starts no checkpoint unless RUNNING, so none
            // can start between the wait below and the leader's snapshot replacing sm/
            pausing = getLifeCycle().getCurrentState() == LifeCycle.State.RUNNING;
            if (pausing) {
                getLifeCycle().transition(LifeCycle.State.PAUSING);
            }
        }
        awaitCheckpoint();
        if (pausing) {
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** After a snapshot install: the live store becomes a copy of the installed checkpoint. */
    @Override
    public synchronized void reinitialize() throws IOException {
        closeStore();
        snapshots.installLatest();
        open();
        LOG.info("stream {}: installed the leader's snapshot {}", name(), snapshots.getLatestSnapshot());
        if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    private synchronized void open() throws IOException {
        lastStoreEntry = null;
        openStore();
        SnapshotInfo s = snapshots.getLatestSnapshot();
        if (s != null && (log == null || log.lastApplied() < s.getIndex())) {
            // the leader's snapshot was installed in sm/ but the process died before reinitialize
            // copied it over the live store: the store is older than the snapshot Ratis resumes from
            LOG.info("stream {}: the live store (applied {}) is older than snapshot {}; restoring it",
                    name(), log == null ? -1 : log.lastApplied(), s.getTermIndex());
            store.close();
            snapshots.installLatest();
            openStore();
        }
        if (s != null) {
            setLastAppliedTermIndex(s.getTermIndex());
            reportedSnapshot = Math.max(reportedSnapshot, s.getIndex());
        }
    }

    private void openStore() {
        store = RocksStreamStore.open(snapshots.dbDir());
        byte[] c = store.getConfig();
        config = c == null ? null : Codec.config(c);
        log = config == null ? null : StreamLog.open(store, config);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return snapshots;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return snapshots.getLatestSnapshot();
    }

    @Override
    public synchronized long takeSnapshot() throws IOException {
        SnapshotInfo done = snapshots.getLatestSnapshot();
        long doneIndex = done == null ? -1 : done.getIndex();
        if (doneIndex > reportedSnapshot) {
            reportedSnapshot = doneIndex;
            return doneIndex;
        }
        TermIndex last = lastStoreEntry;
        if (!checkpointing.isDone() || last == null || last.getIndex() <= doneIndex || store == null
                || getLifeCycle().getCurrentState() != LifeCycle.State.RUNNING) {
            return -1;
        }
        RocksStreamStore s = store;
        checkpointing = CompletableFuture.runAsync(() -> {
            try {
                long t0 = System.nanoTime();
                snapshots.take(s, last);
                LOG.info("stream {}: checkpoint at {} taken in {} ms", name(), last,
                        (System.nanoTime() - t0) / 1_000_000);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, CHECKPOINTS).exceptionally(e -> {
            LOG.warn("stream {}: checkpoint at {} failed: {}", name(), last, e.toString());
            return null;
        });
        return -1;
    }

    /** Waits for a running checkpoint (before the store closes or a snapshot is installed). */
    private void awaitCheckpoint() {
        CompletableFuture<Void> running;
        synchronized (this) {
            running = checkpointing;
        }
        try {
            running.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // logged by the checkpoint itself
        }
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        byte[] reply;
        StreamConfig deletedConfig = null;
        synchronized (this) {
            boolean wasDeleted = deleted;
            try {
                reply = apply(index, entry.getStateMachineLogEntry().getLogData());
                lastStoreEntry = TermIndex.valueOf(entry.getTerm(), index);
            } catch (RuntimeException e) {
                LOG.error("stream {}: cannot apply entry {}: {}", name(), index, e.toString(), e);
                reply = Codec.errorReply("entry " + index + " failed: " + e.getMessage());
            }
            if (deleted && !wasDeleted && config != null) {
                deletedConfig = config;
            }
            updateLastAppliedTermIndex(entry.getTerm(), index);
        }
        if (deletedConfig != null) {
            listener.deleted(getGroupId(), deletedConfig);
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
    }

    private byte[] apply(long index, ByteString data) {
        if (data.isEmpty()) {
            return Codec.errorReply("empty entry");
        }
        byte kind = data.byteAt(0);
        // read in place: a PUBLISH entry holds a whole batch, and a copy of it is garbage at once
        ByteBuffer view = data.asReadOnlyByteBuffer();
        view.position(view.position() + 1);
        Codec.In in = new Codec.In(view);
        switch (kind) {
            case Codec.CREATE: {
                StreamConfig c = Codec.readConfig(in);
                if (config == null) {
                    store.putConfig(Codec.config(c));
                    config = c;
                    log = StreamLog.open(store, c);
                    if (leader) {
                        listener.leaderReady(getGroupId(), c);
                    }
                    return new byte[] {0};
                }
                return config.equals(c) ? new byte[] {0}
                        : Codec.errorReply("stream " + c.name() + " already exists with other settings");
            }
            case Codec.PUBLISH: {
                long time = Codec.entryTime(in);
                if (log == null || deleted) {
                    return Codec.errorReply(deleted ? "stream was deleted" : "stream is not created yet");
                }
                List<PublishAck> acks = log.apply(index, Codec.publishes(in), time);
                return Codec.publishReply(acks);
            }
            case Codec.CONSUMER: {
                long time = Codec.entryTime(in);
                ConsumerOp op = Codec.consumerOp(in);
                if (log == null || deleted) {
                    return Codec.errorReply(deleted ? "stream was deleted" : "stream is not created yet");
                }
                ConsumerOpResult r = log.applyConsumerOp(index, op, time);
                return Codec.consumerReply(r);
            }
            case Codec.PURGE: {
                Codec.entryTime(in); // the leader's, for the record: a purge does not depend on it
                long keepFrom = Codec.keepFromSeq(in);
                if (log == null || deleted) {
                    return Codec.errorReply(deleted ? "stream was deleted" : "stream is not created yet");
                }
                long upTo = Math.min(keepFrom, log.lastSeq() + 1);
                long purged = log.purge(index, keepFrom);
                return Codec.purgeReply(new PurgeResult(purged, log.firstSeq(), log.lastSeq(), upTo));
            }
            case Codec.DELETE:
                if (!deleted) {
                    deleted = true;
                    return new byte[] {0};
                }
                return new byte[] {1};
            default:
                return Codec.errorReply("unknown entry kind " + kind);
        }
    }

    @Override
    public void notifyLeaderReady() {
        leader = true;
        StreamConfig c;
        synchronized (this) {
            c = deleted ? null : config;
        }
        listener.leaderReady(getGroupId(), c);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
        if (!member.getPeerId().equals(newLeader) && leader) {
            leader = false;
            listener.notLeader(getGroupId());
        }
    }

    @Override
    public void notifyNotLeader(java.util.Collection<TransactionContext> pending) {
        if (leader) {
            leader = false;
            listener.notLeader(getGroupId());
        }
    }

    /** True while this replica is the ready leader. */
    public boolean isLeader() {
        return leader;
    }

    /** Runs {@code reader} against the stream log, between entries; empty before the stream exists. */
    public synchronized <T> Optional<T> read(java.util.function.Function<StreamLog, T> reader) {
        return log == null || deleted ? Optional.empty() : Optional.ofNullable(reader.apply(log));
    }

    /** The stream's settings, or null before its CREATE entry was applied. */
    public synchronized StreamConfig config() {
        return deleted ? null : config;
    }

    /** Up to {@code max} events from {@code seq} (bounded by {@code maxBytes}, at least one). */
    public synchronized List<StoredEvent> readFrom(long seq, int max, long maxBytes) {
        if (log == null) {
            return List.of();
        }
        List<StoredEvent> events = log.readFrom(seq, max);
        long size = 0;
        for (int i = 0; i < events.size(); i++) {
            size += events.get(i).event().length;
            if (size > maxBytes && i > 0) {
                return events.subList(0, i);
            }
        }
        return events;
    }

    /** Every consumer of the stream. */
    public synchronized List<ConsumerInfo> consumers() {
        return log == null ? List.of() : log.consumers();
    }

    private String name() {
        StreamConfig c = config;
        return c == null ? String.valueOf(getGroupId()) : c.name();
    }

    /**
     * Closes the store once no checkpoint reads it. Waiting under the monitor is safe: a checkpoint
     * never takes it, and with the store detached no new one starts.
     */
    private synchronized void closeStore() {
        RocksStreamStore detached = store;
        store = null;
        log = null;
        awaitCheckpoint();
        if (detached != null) {
            detached.close();
        }
    }

    @Override
    public void close() throws IOException {
        closeStore();
        super.close();
    }
}
