package io.weft.storage.raft;

import io.weft.storage.RocksStreamStore;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Snapshots of a stream replica as RocksDB checkpoints: {@code sm/snapshot.<term>_<index>/} holds the
 * checkpoint's files (SST files hard-linked, so taking one is cheap). The live store is
 * {@code <group>/db}, outside {@code sm/}, because installing a snapshot from the leader replaces the
 * whole {@code sm/} directory; {@link #installLatest} then copies the installed checkpoint over the
 * live store.
 */
final class CheckpointSnapshots implements StateMachineStorage {
    private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    /** Snapshots kept: the newest may be streaming to a follower while a newer one is taken. */
    private static final int KEEP = 2;

    private volatile File smDir;
    private volatile Path dbDir;
    private volatile FileListSnapshotInfo latest;

    @Override
    public void init(RaftStorage storage) throws IOException {
        smDir = storage.getStorageDir().getStateMachineDir();
        dbDir = storage.getStorageDir().getRoot().toPath().resolve("db");
        Files.createDirectories(smDir.toPath());
        reload();
    }

    /** The live store's directory. */
    Path dbDir() {
        return dbDir;
    }

    /**
     * Prepares the live store: when there is none (first start after a snapshot install, or a lost
     * directory) it is rebuilt from the newest snapshot. An existing live store is kept: it is at
     * least as new as any snapshot taken from it, and holds its own last-applied index.
     */
    void prepareLiveStore() throws IOException {
        if (Files.isDirectory(dbDir) && !isEmpty(dbDir)) {
            return;
        }
        restoreFromLatest();
    }

    /** Replaces the live store with the newest snapshot (after the leader installed one). */
    void installLatest() throws IOException {
        reload();
        restoreFromLatest();
    }

    private void restoreFromLatest() throws IOException {
        deleteTree(dbDir);
        FileListSnapshotInfo s = latest;
        if (s == null) {
            return;
        }
        Path src = snapshotDir(s.getTermIndex());
        Files.createDirectories(dbDir);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().endsWith(".md5")) {
                    Files.copy(f, dbDir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Takes a checkpoint of {@code store} as the snapshot at {@code at}. */
    void take(RocksStreamStore store, TermIndex at) throws IOException {
        Path dir = snapshotDir(at);
        if (!Files.isDirectory(dir)) {
            Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
            deleteTree(tmp);
            store.checkpoint(tmp);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        }
        latest = new FileListSnapshotInfo(files(dir), at);
    }

    private Path snapshotDir(TermIndex at) {
        return smDir.toPath().resolve("snapshot." + at.getTerm() + "_" + at.getIndex());
    }

    private void reload() throws IOException {
        File[] dirs = smDir.listFiles(File::isDirectory);
        TermIndex best = null;
        if (dirs != null) {
            for (File d : dirs) {
                Matcher m = NAME.matcher(d.getName());
                if (m.matches()) {
                    TermIndex ti = TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
                    if (best == null || ti.getIndex() > best.getIndex()) {
                        best = ti;
                    }
                }
            }
        }
        latest = best == null ? null : new FileListSnapshotInfo(files(snapshotDir(best)), best);
    }

    private static List<FileInfo> files(Path dir) throws IOException {
        List<FileInfo> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".md5")) {
                    out.add(new FileInfo(p.toAbsolutePath(), null)); // the leader computes the MD5 as it sends
                }
            }
        }
        return out;
    }

    @Override
    public FileListSnapshotInfo getLatestSnapshot() {
        return latest;
    }

    @Override
    public void format() {
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        File[] dirs = smDir.listFiles(File::isDirectory);
        if (dirs == null) {
            return;
        }
        List<File> snaps = new ArrayList<>();
        for (File d : dirs) {
            if (NAME.matcher(d.getName()).matches()) {
                snaps.add(d);
            }
        }
        snaps.sort(Comparator.comparingLong((File d) -> {
            Matcher m = NAME.matcher(d.getName());
            m.matches();
            return Long.parseLong(m.group(2));
        }).reversed());
        for (int i = Math.max(KEEP, policy.getNumSnapshotsRetained()); i < snaps.size(); i++) {
            deleteTree(snaps.get(i).toPath());
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
