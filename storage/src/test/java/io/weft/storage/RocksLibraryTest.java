package io.weft.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksLibraryTest {
    @TempDir
    Path tmp;

    private Path jar(String name, byte[] content) throws IOException {
        Path jar = tmp.resolve("lib-" + content.length + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry(name));
            j.write(content);
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void theLibraryIsWrittenOnceAndReusedByLaterStarts() throws IOException {
        byte[] lib = new byte[100_000];
        for (int i = 0; i < lib.length; i++) {
            lib[i] = (byte) (i * 31);
        }
        Path jar = jar("libx.so", lib);
        Path dir = RocksLibrary.cacheDir(jar, tmp.resolve("cache"));
        Path first = RocksLibrary.extractIfNeeded(jar, "libx.so", dir, "libxjni.so");
        assertArrayEquals(lib, Files.readAllBytes(first));
        FileTime written = Files.getLastModifiedTime(first);
        Files.setLastModifiedTime(first, FileTime.fromMillis(written.toMillis() - 60_000));
        Path second = RocksLibrary.extractIfNeeded(jar, "libx.so", dir, "libxjni.so");
        assertEquals(first, second);
        assertEquals(written.toMillis() - 60_000, Files.getLastModifiedTime(second).toMillis(), "a complete copy is not rewritten");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void aShortCopyLeftByAKilledNodeIsReplaced() throws IOException {
        byte[] lib = new byte[50_000];
        Path jar = jar("libx.so", lib);
        Path dir = RocksLibrary.cacheDir(jar, tmp.resolve("cache"));
        Files.createDirectories(dir);
        Files.write(dir.resolve("libxjni.so"), new byte[123]);
        Path p = RocksLibrary.extractIfNeeded(jar, "libx.so", dir, "libxjni.so");
        assertEquals(lib.length, Files.size(p));
    }

    @Test
    void anotherVersionOfTheJarGetsAnotherDirectory() throws IOException {
        Path a = jar("libx.so", new byte[10]);
        Path dir = RocksLibrary.cacheDir(a, tmp);
        assertEquals(dir, RocksLibrary.cacheDir(a, tmp));
        Files.setLastModifiedTime(a, FileTime.fromMillis(Files.getLastModifiedTime(a).toMillis() + 1000));
        assertNotEquals(dir, RocksLibrary.cacheDir(a, tmp), "same size, another time");
        Path b = jar("libx.so", new byte[5000]);
        Files.setLastModifiedTime(b, Files.getLastModifiedTime(a));
        assertNotEquals(RocksLibrary.cacheDir(a, tmp), RocksLibrary.cacheDir(b, tmp), "same time, another size");
    }

    @Test
    void aJarWithoutTheLibraryIsAnError() throws IOException {
        Path jar = jar("other.so", new byte[10]);
        assertThrows(IOException.class, () -> RocksLibrary.extractIfNeeded(jar, "libx.so", tmp.resolve("d"), "libxjni.so"));
    }
}
