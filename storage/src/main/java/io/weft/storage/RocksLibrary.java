package io.weft.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library from one copy per RocksDB jar and user, kept in the temporary
 * directory, instead of letting RocksDB extract a new copy for every process.
 *
 * <p><b>Why.</b> {@code RocksDB.loadLibrary()} copies the 15 MB library out of its jar into a new
 * temporary file on every start and deletes it only on a clean exit. Nodes killed by a chaos test,
 * a crash or {@code kill -9} leave theirs behind: a development machine had 139 of them, 2 GB, in
 * {@code /tmp}. Each node also mapped its own file, so six nodes on a machine held six copies of
 * the library's code in memory where one shared copy does.
 *
 * <p><b>How.</b> The directory's name carries the jar's size and modification time, so a new
 * RocksDB version gets its own copy. A missing or short copy is written to a temporary file in that
 * directory and renamed into place, so nodes starting at once never load a half-written file (one
 * of them wins the rename; the file it replaces, identical, stays valid for whoever loaded it). If
 * any of this fails the library is loaded RocksDB's own way.
 */
final class RocksLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(RocksLibrary.class);

    private RocksLibrary() {
    }

    /** Loads the library; safe to call more than once. */
    static void load() {
        try {
            Path jar = jar();
            if (jar != null) {
                Path dir = cacheDir(jar, Path.of(System.getProperty("java.io.tmpdir")));
                // the jar's entry, and the file name RocksDB.loadLibrary(paths) looks for (9.8 asks for
                // "librocksdbjnijni-...": it passes "rocksdbjni" where the jar's name is built from "rocksdb")
                extractIfNeeded(jar, Environment.getJniLibraryFileName("rocksdb"), dir,
                        Environment.getJniLibraryFileName("rocksdbjni"));
                RocksDB.loadLibrary(List.of(dir.toString()));
                return;
            }
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("cannot load RocksDB's library from a shared copy ({}); extracting a private one", e.toString());
        }
        RocksDB.loadLibrary();
    }

    /** The jar RocksDB was loaded from, or null (e.g. classes from a directory). */
    private static Path jar() {
        try {
            Path jar = Path.of(RocksDB.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(jar) ? jar : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** The directory under {@code tmp} for the library of {@code jar}: one per jar version and user. */
    static Path cacheDir(Path jar, Path tmp) throws IOException {
        String key = Long.toHexString(Files.size(jar)) + "-" + Long.toHexString(Files.getLastModifiedTime(jar).toMillis());
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        return tmp.resolve("weft-rocksdb-" + user).resolve(key);
    }

    /**
     * Writes entry {@code name} of {@code jar} to {@code dir/file} unless a complete copy is there;
     * returns that path.
     */
    static Path extractIfNeeded(Path jar, String name, Path dir, String file) throws IOException {
        Path target = dir.resolve(file);
        try (JarFile j = new JarFile(jar.toFile())) {
            JarEntry e = j.getJarEntry(name);
            if (e == null) {
                throw new IOException("no " + name + " in " + jar);
            }
            if (Files.isRegularFile(target) && Files.size(target) == e.getSize()) {
                return target;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file, ".part");
            try (InputStream in = j.getInputStream(e)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return target;
    }
}
