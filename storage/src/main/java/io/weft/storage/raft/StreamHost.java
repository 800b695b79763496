package io.weft.storage.raft;

import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.PurgeResult;
import io.weft.storage.StreamConfig;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stream replicas of one node: one Ratis server (one raft port, gRPC) holding one Raft group
 * per stream replica, each with a {@link StreamStateMachine}. Groups survive restarts: Ratis
 * reloads every group found under the storage directory.
 *
 * <p>Writes on the leader are submitted in process (no client hop); publishes go through a
 * per-stream {@link Batcher} that packs many events into one entry and keeps a bounded number of
 * entries in flight.
 */
public final class StreamHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamHost.class);

    /** One replica's node name and raft address ({@code host:port}). */
    public record Peer(String node, String address) {
    }

    /** What the broker learns about streams on this node. Called on Ratis threads. */
    public interface Events {
        /** This node now leads {@code config}'s stream: it must start capturing its subjects. */
        void leaderReady(StreamConfig config);

        /** This node stopped leading stream {@code name}. */
        void notLeader(String name);

        /** Stream {@code name} was deleted. */
        void deleted(String name);

        /**
         * The publish callbacks of one committed entry of {@code stream} have all been told
         * {@code acked}, on this thread: acks gathered while they ran can now be sent together.
         * {@code waitNanos}: how long its oldest publish waited to be batched; {@code commitNanos}:
         * from submitting the entry to Raft until it was committed and applied on this node.
         */
        default void entryAcked(String stream, int events, long waitNanos, long commitNanos) {
        }
    }

    /** Tuning of the raft servers (tests shorten nothing; operators may). */
    public record Settings(int maxBatchEvents, int maxBatchBytes, int maxInFlight, long lingerMicros,
                           int maxQueuedEvents, long snapshotEveryEntries) {
        public static Settings defaults() {
            return new Settings(2048, 1 << 20, 8, 1000, 100_000, 20_000);
        }

        public Settings withSnapshotEveryEntries(long entries) {
            return new Settings(maxBatchEvents, maxBatchBytes, maxInFlight, lingerMicros, maxQueuedEvents, entries);
        }
    }

    private final String node;
    private final RaftPeerId self;
    private final RaftServer server;
    private final RaftProperties properties;
    private final Parameters parameters;
    private final Events events;
    private final Settings settings;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Map<RaftGroupId, StreamStateMachine> machines = new ConcurrentHashMap<>();
    private final Map<String, RaftGroupId> groupIds = new ConcurrentHashMap<>();
    private final Map<RaftGroupId, String> names = new ConcurrentHashMap<>();
    private final Map<String, Batcher> batchers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final ExecutorService admin;

    /**
     * Builds (does not start) the host.
     *
     * @param node    this node's name: its raft peer id
     * @param dir     the raft storage directory (groups, logs, state machines)
     * @param host    the address to bind
     * @param port    the raft port, 0 for any
     */
    public StreamHost(String node, Path dir, String host, int port, Events events, Settings settings) throws IOException {
        this(node, dir, host, port, events, settings, null);
    }

    /**
     * Builds (does not start) the host.
     *
     * @param tls TLS for the raft port (Ratis's gRPC transport then), or null for plaintext (its Netty one)
     */
    public StreamHost(String node, Path dir, String host, int port, Events events, Settings settings, RaftTls tls)
            throws IOException {
        this.node = node;
        this.self = RaftPeerId.valueOf(node);
        this.events = events;
        this.settings = settings;
        this.properties = properties(dir, host, port, settings, tls != null);
        this.parameters = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(tls.keyManager(), tls.trustManager(), true));
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "weft-stream-batcher"));
        this.admin = Executors.newCachedThreadPool(r -> daemon(r, "weft-stream-admin"));
        StreamStateMachine.Listener listener = new StreamStateMachine.Listener() {
            @Override
            public void leaderReady(RaftGroupId group, StreamConfig config) {
                if (config != null) {
                    names.put(group, config.name());
                    events.leaderReady(config);
                }
            }

            @Override
            public void notLeader(RaftGroupId group) {
                String name = names.get(group);
                if (name != null) {
                    Batcher b = batchers.remove(name);
                    if (b != null) {
                        b.failAll("the stream's leader moved: retry");
                    }
                    events.notLeader(name);
                }
            }

            @Override
            public void deleted(RaftGroupId group, StreamConfig config) {
                Batcher b = batchers.remove(config.name());
                if (b != null) {
                    b.failAll("stream " + config.name() + " was deleted");
                }
                events.deleted(config.name());
                admin.execute(() -> removeGroup(group));
            }
        };
        this.server = RaftServer.newBuilder()
                .setServerId(self)
                .setProperties(properties)
                .setParameters(parameters)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .setStateMachineRegistry(gid -> {
                    StreamStateMachine sm = new StreamStateMachine(listener);
                    machines.put(gid, sm);
                    return sm;
                })
                .build();
    }

    static RaftProperties properties(Path dir, String host, int port, Settings s) {
        return properties(dir, host, port, s, false);
    }

    static RaftProperties properties(Path dir, String host, int port, Settings s, boolean tls) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.toFile()));
        if (tls) {
            RaftConfigKeys.Rpc.setType(p, new CatchUpGrpc()); // gRPC: the transport of Ratis's that has TLS
            GrpcConfigKeys.Server.setHost(p, host);
            GrpcConfigKeys.Server.setPort(p, port);
            GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf("16MB"));
        } else {
            RaftConfigKeys.Rpc.setType(p, new CatchUpNetty()); // Netty, with a fix for a follower left behind
            NettyConfigKeys.Server.setHost(p, host);
            NettyConfigKeys.Server.setPort(p, port);
        }
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(400, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(800, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, s.snapshotEveryEntries());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // keep one snapshot interval of log behind the snapshot: a follower that was down or cut off for
        // less than that catches up from the log, not through a snapshot install (chaos scenarios 1 and 2,
        // long: installs to a follower that lagged, or whose leader died mid-install, stalled the group)
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, s.snapshotEveryEntries());
        // A node killed in the middle of writing an entry leaves it torn at the end of the open segment
        // (an entry larger than Ratis's write buffer goes out in several writes): with the default policy
        // (EXCEPTION) the replica then cannot start again (seen in LeaderKillChaosTest: "Log entry
        // corrupted: ... read checksum is 00000000"). WARN_AND_RETURN keeps the entries before it and
        // truncates the file there; a torn entry was never acknowledged (Ratis acks after the flush), so
        // nothing acked is dropped, and the leader sends the replica whatever it lacks.
        RaftServerConfigKeys.Log.setCorruptionPolicy(p, RaftServerConfigKeys.Log.CorruptionPolicy.WARN_AND_RETURN);
        // Memory per group is bounded by what follows (StreamHostMemoryTest adds it up). Ratis's defaults
        // (6 cached segments up to 200 MB, 16 MB snapshot chunks) let a leader whose follower was cut off
        // for a minute run out of a 256 MB heap while sending it a snapshot (chaos scenario 2, long).
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf("16MB"));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, SizeInBytes.valueOf("32MB"));
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf("4MB"));
        RaftServerConfigKeys.Write.setElementLimit(p, 4096);
        RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf("16MB")); // the Batcher keeps ~8 MB in flight
        // the retry cache answers a client that resends a request with the same call id; we never do
        // (a retried publish is a new request, deduplicated by the stream), and its default 60 s kept
        // every entry's reply alive long enough to be copied by every young collection
        RaftServerConfigKeys.RetryCache.setExpiryTime(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
        RaftServerConfigKeys.setSleepDeviationThreshold(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        return p;
    }

    /** Starts the raft server (and every group found on disk). */
    public void start() throws IOException {
        server.start();
        LOG.info("raft server {} listening on port {}", node, port());
    }

    /** The raft port in use. */
    public int port() {
        InetSocketAddress a = server.getServerRpc().getInetSocketAddress();
        return a.getPort();
    }

    /** {@link #groupOf}, cached for publishes: the name hash is an MD5 and a few objects each time. */
    private RaftGroupId groupId(String name) {
        if (groupIds.size() >= 4096) {
            groupIds.clear(); // names of deleted streams are not worth tracking: a bound is enough
        }
        return groupIds.computeIfAbsent(name, StreamHost::groupOf);
    }

    /** The Raft group id of stream {@code name}: derived from the name, so it cannot be created twice. */
    public static RaftGroupId groupOf(String name) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("weft-stream/" + name).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Creates stream {@code config} with a replica on each of {@code peers} (some may be remote): adds
     * the group on each peer, then commits the stream's settings as its first entry.
     */
    public CompletableFuture<Void> create(StreamConfig config, List<Peer> peers) {
        return CompletableFuture.runAsync(() -> {
            RaftGroup group = RaftGroup.valueOf(groupOf(config.name()), peers.stream().map(StreamHost::peer).toList());
            try (RaftClient client = client(group)) {
                for (RaftPeer p : group.getPeers()) {
                    RaftClientReply r = client.getGroupManagementApi(p.getId()).add(group);
                    if (!r.isSuccess()) {
                        throw new StreamException("cannot create the replica on " + p.getId() + ": " + r.getException());
                    }
                }
                RaftClientReply r = client.io().send(Message.valueOf(ByteString.copyFrom(Codec.create(config))));
                check(r);
            } catch (IOException e) {
                throw new StreamException("cannot create stream " + config.name() + ": " + e.getMessage(), e);
            }
        }, admin);
    }

    /** Stream {@code name}'s replica on this node, if there is one. */
    public Optional<StreamStateMachine> replica(String name) {
        return Optional.ofNullable(machines.get(groupOf(name)));
    }

    /** The names of the streams with a replica on this node (created ones only). */
    public List<StreamConfig> replicas() {
        List<StreamConfig> out = new ArrayList<>();
        for (StreamStateMachine sm : machines.values()) {
            StreamConfig c = sm.config();
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    /** The stream's group (peers and addresses) as this replica knows it. */
    public Optional<RaftGroup> group(String name) {
        try {
            return Optional.of(server.getDivision(groupOf(name)).getGroup());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * This replica's Raft state, for {@code stream info} and for finding a replica that lags: role,
     * term, log range, commit and applied indexes (Ratis's and the store's), snapshot index, and the
     * commit index each peer last reported (on the leader: how far each follower got).
     */
    public Map<String, Object> raftStatus(String name) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        try {
            RaftServer.Division d = server.getDivision(groupOf(name));
            m.put("node", node);
            m.put("role", d.getInfo().getCurrentRole().toString());
            m.put("term", d.getInfo().getCurrentTerm());
            m.put("logStart", d.getRaftLog().getStartIndex());
            var last = d.getRaftLog().getLastEntryTermIndex();
            m.put("logLast", last == null ? -1 : last.getIndex());
            m.put("commitIndex", d.getRaftLog().getLastCommittedIndex());
            m.put("appliedIndex", d.getInfo().getLastAppliedIndex());
            var snap = d.getStateMachine().getLatestSnapshot();
            m.put("snapshotIndex", snap == null ? -1 : snap.getIndex());
            StreamStateMachine sm = machines.get(groupOf(name));
            if (sm != null) {
                m.put("storeAppliedIndex", sm.read(io.weft.storage.StreamLog::lastApplied).orElse(-1L));
            }
            Map<String, Long> peers = new java.util.TreeMap<>();
            d.getCommitInfos().forEach(ci -> peers.put(ci.getServer().getId().toStringUtf8(), ci.getCommitIndex()));
            m.put("peerCommitIndex", peers);
        } catch (IOException e) {
            m.put("error", e.getMessage());
        }
        return m;
    }

    /** The current leader's node name of stream {@code name}, as this replica knows it. */
    public Optional<String> leader(String name) {
        try {
            RaftPeerId l = server.getDivision(groupOf(name)).getInfo().getLeaderId();
            return l == null ? Optional.empty() : Optional.of(l.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Appends {@code p} to stream {@code name}, led by this node. The callback runs once, with the
     * ack after a majority committed it, or with an error message (not leader, busy, deleted).
     */
    public void publish(String name, io.weft.storage.Publish p, Batcher.Callback cb) {
        StreamStateMachine sm = machines.get(groupId(name));
        if (sm == null || !sm.isLeader()) {
            cb.failed("this node does not lead stream " + name + ": retry");
            return;
        }
        batchers.computeIfAbsent(name, n -> new Batcher(n, this::submitPublish, timer, settings,
                (count, wait, commit) -> events.entryAcked(n, count, wait, commit))).offer(p, cb);
    }

    private CompletableFuture<byte[]> submitPublish(String name, byte[] entry) {
        return submit(name, entry);
    }

    /** Commits a consumer op of stream {@code name} (led by this node) and returns what it did. */
    public CompletableFuture<ConsumerOpResult> consumerOp(String name, ConsumerOp op) {
        return submit(name, Codec.consumer(System.currentTimeMillis(), op)).thenApply(b -> {
            String err = Codec.error(b);
            if (err != null) {
                throw new StreamException(err);
            }
            return Codec.consumerResult(b);
        });
    }

    /** Commits the DELETE entry of stream {@code name}: every replica then removes its group. */
    public CompletableFuture<Void> delete(String name) {
        return submit(name, Codec.delete()).thenApply(b -> null);
    }

    /**
     * Purges stream {@code name} (led by this node): removes every event below {@code keepFromSeq}
     * ({@link Long#MAX_VALUE}: every event) with PURGE entries. One entry removes a bounded number
     * ({@link io.weft.storage.StreamLog#purge}); while events below the bound are left, another entry
     * follows, bound to where the first one's bound was (min of {@code keepFromSeq} and the stream's
     * end then), so events published meanwhile are not chased. Completes with the total removed and
     * the stream's range after the last entry.
     */
    public CompletableFuture<PurgeResult> purge(String name, long keepFromSeq) {
        if (keepFromSeq < 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("keepFromSeq " + keepFromSeq
                    + " is not a sequence number"));
        }
        return purgeInEntries(keepFromSeq, keepFrom -> submit(name, Codec.purge(System.currentTimeMillis(), keepFrom))
                .thenApply(Codec::purgeResult));
    }

    /**
     * Commits PURGE entries through {@code entry} (keepFromSeq in, the entry's reply out) until one
     * reports its bound reached: the first with {@code keepFromSeq}, the others with the first one's
     * bound. The result sums the events removed.
     */
    static CompletableFuture<PurgeResult> purgeInEntries(long keepFromSeq,
            java.util.function.LongFunction<CompletableFuture<PurgeResult>> entry) {
        return purgeInEntries(keepFromSeq, entry, 0);
    }

    private static CompletableFuture<PurgeResult> purgeInEntries(long keepFromSeq,
            java.util.function.LongFunction<CompletableFuture<PurgeResult>> entry, long purgedBefore) {
        return entry.apply(keepFromSeq).thenCompose(r -> {
            PurgeResult total = new PurgeResult(purgedBefore + r.purged(), r.firstSeq(), r.lastSeq(), r.upTo());
            if (total.done()) {
                return CompletableFuture.completedFuture(total);
            }
            if (r.purged() == 0) {
                throw new StreamException("the purge made no progress at seq " + r.firstSeq());
            }
            return purgeInEntries(r.upTo(), entry, total.purged());
        });
    }

    /** Submits an entry to the local leader of stream {@code name}; the reply bytes of its apply. */
    CompletableFuture<byte[]> submit(String name, byte[] entry) {
        RaftClientRequest req = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(self)
                .setGroupId(groupId(name))
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry))) // the entry is ours alone
                .setType(RaftClientRequest.writeRequestType())
                .build();
        try {
            return server.submitClientRequestAsync(req).thenApply(r -> {
                check(r);
                return r.getMessage().getContent().toByteArray();
            });
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new StreamException(e.getMessage(), e));
        }
    }

    private static void check(RaftClientReply r) {
        if (r.isSuccess()) {
            String err = r.getMessage() == null ? null : Codec.error(r.getMessage().getContent().toByteArray());
            if (err != null) {
                throw new StreamException(err);
            }
            return;
        }
        if (r.getException() instanceof NotLeaderException) {
            throw new StreamException("the stream's leader moved: retry");
        }
        throw new StreamException(String.valueOf(r.getException()), r.getException());
    }

    private void removeGroup(RaftGroupId group) {
        try {
            RaftClientReply r = server.groupManagement(GroupManagementRequest.newRemove(clientId, self,
                    callIds.incrementAndGet(), group, true, false));
            if (!r.isSuccess()) {
                LOG.warn("removing deleted group {} failed: {}", group, r.getException());
            }
        } catch (IOException e) {
            LOG.warn("removing deleted group {} failed: {}", group, e.toString());
        }
        machines.remove(group);
        names.remove(group);
    }

    private RaftClient client(RaftGroup group) {
        return RaftClient.newBuilder()
                .setProperties(properties)
                .setRaftGroup(group)
                .setClientId(ClientId.randomId())
                .setClientRpc(org.apache.ratis.client.ClientFactory.cast(RaftConfigKeys.Rpc.type(properties, m -> { })
                        .newFactory(parameters)).newRaftClientRpc(ClientId.randomId(), properties))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
                        TimeDuration.valueOf(250, TimeUnit.MILLISECONDS)))
                .build();
    }

    private static RaftPeer peer(Peer p) {
        return RaftPeer.newBuilder().setId(p.node()).setAddress(p.address()).build();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Unwraps completion wrappers to the message a user should see. */
    public static String messageOf(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException
                || t instanceof UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    @Override
    public void close() {
        for (Batcher b : batchers.values()) {
            b.failAll("the node is shutting down: retry");
        }
        timer.shutdownNow();
        admin.shutdownNow();
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the raft server: {}", e.toString());
        }
    }
}
