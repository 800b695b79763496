package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.Publish;
import io.weft.storage.PublishAck;
import io.weft.storage.PurgeResult;
import io.weft.storage.StartPosition;
import io.weft.storage.StoredEvent;
import io.weft.storage.StreamConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three Ratis hosts in one JVM on loopback: create, publish with acks, dedupe, consumers, leader loss. */
class StreamHostTest {
    @TempDir
    Path dir;

    private final List<StreamHost> hosts = new ArrayList<>(List.of());
    private final Map<String, String> leaders = new ConcurrentHashMap<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(StreamHost::close);
    }

    private StreamHost start(String node, int port) throws Exception {
        return start(node, port, StreamHost.Settings.defaults());
    }

    private StreamHost start(String node, int port, StreamHost.Settings settings) throws Exception {
        StreamHost h = new StreamHost(node, dir.resolve(node), "127.0.0.1", port, leaderTracker(leaders, node), settings);
        h.start();
        hosts.add(h);
        return h;
    }

    /** Events that keep {@code leaders} (stream -> node) up to date for {@code node}'s replicas. */
    static StreamHost.Events leaderTracker(Map<String, String> leaders, String node) {
        return new StreamHost.Events() {
            @Override
            public void leaderReady(StreamConfig config) {
                leaders.put(config.name(), node);
            }

            @Override
            public void notLeader(String name) {
                leaders.remove(name, node);
            }

            @Override
            public void deleted(String name) {
                leaders.remove(name);
            }
        };
    }

    static void await(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static Publish event(int i) {
        return new Publish("/test", "id-" + i, "orders.created", ("event " + i).getBytes(StandardCharsets.UTF_8));
    }

    private static CompletableFuture<PublishAck> publish(StreamHost h, Publish p) {
        CompletableFuture<PublishAck> f = new CompletableFuture<>();
        h.publish("orders", p, new Batcher.Callback() {
            @Override
            public void acked(PublishAck ack) {
                f.complete(ack);
            }

            @Override
            public void failed(String error) {
                f.completeExceptionally(new StreamException(error));
            }
        });
        return f;
    }

    @Test
    void replicatesPublishesDedupesAndSurvivesLeaderLoss() throws Exception {
        List<StreamHost.Peer> peers = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            StreamHost h = start(n, 0);
            peers.add(new StreamHost.Peer(n, "127.0.0.1:" + h.port()));
        }
        StreamConfig config = StreamConfig.of("orders", "cloud", "orders.>").withReplicas(3)
                .withDedupeWindow(Duration.ofMinutes(2));
        hosts.get(0).create(config, peers).get(30, TimeUnit.SECONDS);
        await("a leader", () -> leaders.containsKey("orders"));
        StreamHost leader = hosts.stream().filter(h -> h.replica("orders").map(StreamStateMachine::isLeader)
                .orElse(false)).findFirst().orElseThrow();

        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            acks.add(publish(leader, event(i)));
        }
        for (int i = 0; i < acks.size(); i++) {
            PublishAck a = acks.get(i).get(30, TimeUnit.SECONDS);
            assertEquals(i + 1, a.seq());
            assertTrue(!a.duplicate());
        }
        PublishAck again = publish(leader, event(17)).get(30, TimeUnit.SECONDS);
        assertEquals(18, again.seq());
        assertTrue(again.duplicate());

        ConsumerOpResult created = leader.consumerOp("orders", new ConsumerOp.Create(
                new ConsumerConfig("billing", StartPosition.first(), 30_000, 5, null))).get(30, TimeUnit.SECONDS);
        assertTrue(created.ok(), created.error());
        ConsumerOpResult next = leader.consumerOp("orders", new ConsumerOp.Next("billing", 10)).get(30, TimeUnit.SECONDS);
        assertEquals(10, next.deliveries().size());
        assertEquals(1, next.deliveries().get(0).seq());

        // lose the leader: another replica takes over and keeps the stream
        String old = leaders.get("orders");
        hosts.remove(leader);
        leader.close();
        await("a new leader", () -> leaders.containsKey("orders") && !leaders.get("orders").equals(old));
        StreamHost second = hosts.stream().filter(h -> h.replica("orders").map(StreamStateMachine::isLeader)
                .orElse(false)).findFirst().orElseThrow();
        PublishAck after = publish(second, event(9999)).get(30, TimeUnit.SECONDS);
        assertEquals(5001, after.seq());
        for (StreamHost h : hosts) {
            StreamStateMachine sm = h.replica("orders").orElseThrow();
            await("replica caught up", () -> sm.read(l -> l.lastSeq()).orElse(0L) == 5001);
            List<StoredEvent> events = sm.readFrom(1, 10_000, Long.MAX_VALUE);
            assertEquals(5001, events.size());
            for (int i = 0; i < 5000; i++) {
                assertEquals("event " + i, new String(events.get(i).event(), StandardCharsets.UTF_8));
            }
            Optional<Long> pos = sm.read(l -> l.consumer("billing").orElseThrow().nextSeq());
            assertEquals(11L, pos.orElseThrow());
        }
    }

    @Test
    void aPurgeRemovesTheOldestEventsOnEveryReplicaAndTheNumberingContinues() throws Exception {
        List<StreamHost.Peer> peers = new ArrayList<>();
        StreamHost leader = threeReplicasOfOrders(StreamHost.Settings.defaults(), peers);
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            acks.add(publish(leader, event(i)));
        }
        for (CompletableFuture<PublishAck> a : acks) {
            a.get(30, TimeUnit.SECONDS);
        }
        assertTrue(leader.consumerOp("orders", new ConsumerOp.Create(new ConsumerConfig("billing", StartPosition.first(),
                30_000, 5, null))).get(30, TimeUnit.SECONDS).ok());
        assertEquals(5, leader.consumerOp("orders", new ConsumerOp.Next("billing", 5)).get(30, TimeUnit.SECONDS)
                .deliveries().size());

        assertEquals(new PurgeResult(40, 41, 100, 41), leader.purge("orders", 41).get(30, TimeUnit.SECONDS));
        for (StreamHost h : hosts) {
            StreamStateMachine sm = h.replica("orders").orElseThrow();
            await("the purge on every replica", () -> sm.read(l -> l.firstSeq()).orElse(0L) == 41);
            assertEquals(60L, sm.read(l -> l.count()).orElseThrow());
            List<StoredEvent> events = sm.readFrom(1, 1000, Long.MAX_VALUE);
            assertEquals(60, events.size());
            assertEquals(41, events.get(0).seq());
            assertEquals("event 40", new String(events.get(0).event(), StandardCharsets.UTF_8));
            assertEquals(41L, sm.read(l -> l.consumer("billing").orElseThrow().nextSeq()).orElseThrow());
            assertEquals(0, sm.read(l -> l.consumer("billing").orElseThrow().ackPending()).orElseThrow());
        }

        assertEquals(new PurgeResult(60, 101, 100, 101), leader.purge("orders", Long.MAX_VALUE).get(30, TimeUnit.SECONDS));
        assertEquals(new PurgeResult(0, 101, 100, 5), leader.purge("orders", 5).get(30, TimeUnit.SECONDS),
                "nothing below 5 is left");
        assertEquals(101, publish(leader, event(1000)).get(30, TimeUnit.SECONDS).seq());
        for (StreamHost h : hosts) {
            StreamStateMachine sm = h.replica("orders").orElseThrow();
            await("the new event on every replica", () -> sm.read(l -> l.lastSeq()).orElse(0L) == 101);
            assertEquals(101L, sm.read(l -> l.firstSeq()).orElseThrow());
            assertEquals(1L, sm.read(l -> l.count()).orElseThrow());
        }
    }

    @Test
    void aPurgeLargerThanOneEntryTakesSeveralBoundWhereTheFirstWas() throws Exception {
        // a stream 1..20 whose entries remove at most 3 events each, with 5 published between entries
        long[] first = {1};
        long[] last = {20};
        List<Long> asked = new ArrayList<>();
        PurgeResult r = StreamHost.purgeInEntries(Long.MAX_VALUE, keepFrom -> {
            asked.add(keepFrom);
            long upTo = Math.min(keepFrom, last[0] + 1);
            long removed = Math.max(0, Math.min(upTo, first[0] + 3) - first[0]);
            first[0] += removed;
            PurgeResult entry = new PurgeResult(removed, first[0], last[0], upTo);
            last[0] += 5;
            return CompletableFuture.completedFuture(entry);
        }).get(10, TimeUnit.SECONDS);
        assertEquals(new PurgeResult(20, 21, 50, 21), r, "the events published meanwhile are not chased");
        assertEquals(List.of(Long.MAX_VALUE, 21L, 21L, 21L, 21L, 21L, 21L), asked);

        CompletableFuture<PurgeResult> stuck = StreamHost.purgeInEntries(10,
                keepFrom -> CompletableFuture.completedFuture(new PurgeResult(0, 1, 20, 10)));
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> stuck.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("no progress"), e.getCause().toString());
    }

    @Test
    void snapshotsAreTakenWhileEntriesApplyAndARestartedReplicaCatchesUp() throws Exception {
        StreamHost.Settings snapEvery50 = StreamHost.Settings.defaults().withSnapshotEveryEntries(50);
        List<StreamHost.Peer> peers = new ArrayList<>();
        StreamHost leader = threeReplicasOfOrders(snapEvery50, peers);
        for (int i = 0; i < 600; i++) { // one entry each
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        for (StreamHost h : hosts) {
            StreamStateMachine sm = h.replica("orders").orElseThrow();
            await("a snapshot past entry 300 on every replica", () -> sm.getLatestSnapshot() != null
                    && sm.getLatestSnapshot().getIndex() > 300);
        }

        // a follower stops, misses entries, and starts again on its data: snapshot + log replay
        StreamHost follower = hosts.stream().filter(h -> h != leader).findFirst().orElseThrow();
        String name = nodeOf(peers, follower);
        int port = follower.port();
        hosts.remove(follower);
        follower.close();
        for (int i = 600; i < 900; i++) {
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        StreamHost again = start(name, port, snapEvery50);
        await("the restarted replica", () -> again.replica("orders").isPresent());
        StreamStateMachine sm = again.replica("orders").orElseThrow();
        await("the restarted replica caught up", () -> sm.read(l -> l.lastSeq()).orElse(0L) == 900);
        List<StoredEvent> events = sm.readFrom(1, 10_000, Long.MAX_VALUE);
        assertEquals(900, events.size());
        for (int i = 0; i < 900; i++) {
            assertEquals(i + 1, events.get(i).seq());
            assertEquals("event " + i, new String(events.get(i).event(), StandardCharsets.UTF_8));
        }
    }

    /**
     * A replica killed after Ratis put the leader's snapshot in {@code sm/} but before the live store
     * was replaced by it restarts with a store older than the snapshot Ratis resumes from. The store
     * must be restored from the snapshot, or the entries between them would never be applied there.
     */
    @Test
    void aLiveStoreOlderThanTheLatestSnapshotIsRestoredFromItOnStart() throws Exception {
        StreamHost.Settings snapEvery50 = StreamHost.Settings.defaults().withSnapshotEveryEntries(50);
        List<StreamHost.Peer> peers = new ArrayList<>();
        StreamHost leader = threeReplicasOfOrders(snapEvery50, peers);
        StreamHost follower = hosts.stream().filter(h -> h != leader).findFirst().orElseThrow();
        String name = nodeOf(peers, follower);
        StreamStateMachine fsm = follower.replica("orders").orElseThrow();
        for (int i = 0; i < 300; i++) {
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        await("two snapshots on the follower", () -> snapshotDirs(name).size() >= 2
                && fsm.read(l -> l.lastSeq()).orElse(0L) == 300);
        int port = follower.port();
        hosts.remove(follower);
        follower.close();

        // the live store goes back to the older snapshot: older than the newest one in sm/
        List<Path> snaps = snapshotDirs(name);
        Path older = snaps.get(0);
        Path db = older.getParent().getParent().resolve("db");
        CheckpointSnapshots.deleteTree(db);
        java.nio.file.Files.createDirectories(db);
        try (var files = java.nio.file.Files.list(older)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                java.nio.file.Files.copy(f, db.resolve(f.getFileName()));
            }
        }
        for (int i = 300; i < 400; i++) {
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        restartHoldingAll(name, port, snapEvery50, 400);
    }

    @Test
    void aReplicaWhoseLastLogEntryIsTornStartsAndCatchesUp() throws Exception {
        List<StreamHost.Peer> peers = new ArrayList<>();
        StreamHost leader = threeReplicasOfOrders(StreamHost.Settings.defaults(), peers);
        StreamHost follower = hosts.stream().filter(h -> h != leader).findFirst().orElseThrow();
        String name = nodeOf(peers, follower);
        for (int i = 0; i < 50; i++) {
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        StreamStateMachine fsm = follower.replica("orders").orElseThrow();
        await("the follower applied 50", () -> fsm.read(l -> l.lastSeq()).orElse(0L) == 50);
        int port = follower.port();
        hosts.remove(follower);
        follower.close();

        // what a kill in the middle of writing an entry leaves: its length and body, but no checksum yet
        Path open;
        try (var walk = java.nio.file.Files.walk(dir.resolve(name))) {
            open = walk.filter(p -> p.getFileName().toString().startsWith("log_inprogress_")).findFirst().orElseThrow();
        }
        long valid = java.nio.file.Files.size(open); // a clean close truncated the preallocated padding
        try (var ch = java.nio.channels.FileChannel.open(open, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] torn = new byte[1 + 100 + 4]; // varint 100, 100 bytes of body, a checksum of zeros
            torn[0] = 100;
            java.util.Arrays.fill(torn, 1, 101, (byte) 7);
            ch.write(java.nio.ByteBuffer.wrap(torn), valid);
        }

        for (int i = 50; i < 80; i++) {
            assertEquals(i + 1, publish(leader, event(i)).get(30, TimeUnit.SECONDS).seq());
        }
        restartHoldingAll(name, port, StreamHost.Settings.defaults(), 80);
    }

    /** Starts replica {@code name} again on {@code port}; it catches up and holds events 0..count-1 in order. */
    private void restartHoldingAll(String name, int port, StreamHost.Settings settings, int count) throws Exception {
        StreamHost again = start(name, port, settings);
        await("the restarted replica", () -> again.replica("orders").isPresent());
        StreamStateMachine sm = again.replica("orders").orElseThrow();
        await("the restarted replica caught up", () -> sm.read(l -> l.lastSeq()).orElse(0L) >= count);
        List<StoredEvent> events = sm.readFrom(1, 10_000, Long.MAX_VALUE);
        assertEquals(count, events.size());
        for (int i = 0; i < count; i++) {
            assertEquals(i + 1, events.get(i).seq());
            assertEquals("event " + i, new String(events.get(i).event(), StandardCharsets.UTF_8));
        }
    }

    /** The node name {@code host} was given in {@code peers}. */
    private static String nodeOf(List<StreamHost.Peer> peers, StreamHost host) {
        return peers.stream().filter(p -> p.address().endsWith(":" + host.port())).findFirst().orElseThrow().node();
    }

    /** Starts hosts a, b and c (adding them to {@code peers}), creates R3 stream orders; returns its leader. */
    private StreamHost threeReplicasOfOrders(StreamHost.Settings settings, List<StreamHost.Peer> peers) throws Exception {
        for (String n : List.of("a", "b", "c")) {
            StreamHost h = start(n, 0, settings);
            peers.add(new StreamHost.Peer(n, "127.0.0.1:" + h.port()));
        }
        hosts.get(0).create(StreamConfig.of("orders", "cloud", "orders.>").withReplicas(3), peers)
                .get(30, TimeUnit.SECONDS);
        await("a leader", () -> leaders.containsKey("orders"));
        return hosts.stream().filter(h -> h.replica("orders").map(StreamStateMachine::isLeader)
                .orElse(false)).findFirst().orElseThrow();
    }

    /** The snapshot directories of {@code node}'s replica, oldest first. */
    private List<Path> snapshotDirs(String node) {
        try (var walk = java.nio.file.Files.walk(dir.resolve(node), 4)) {
            return walk.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")
                            && p.getParent().getFileName().toString().equals("sm"))
                    .sorted(java.util.Comparator.comparingLong(
                            p -> Long.parseLong(p.getFileName().toString().replaceAll(".*_", ""))))
                    .toList();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return List.of(); // a snapshot directory moved while walking: ask again
        }
    }
}
