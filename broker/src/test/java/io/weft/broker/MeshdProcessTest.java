package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.MeshClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshd} as a real process: flags, {@code MESHD_*} variables, validation errors, SIGTERM. */
class MeshdProcessTest {
    private static final Pattern PORTS = Pattern.compile("client=(\\d+) http=(\\d+)");
    @TempDir
    Path dir;

    private ProcessBuilder meshd(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("meshd.log").toFile());
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("meshd.log"), StandardCharsets.UTF_8);
    }

    @Test
    void flagsAndEnvironmentConfigureANodeThatServesClients() throws Exception {
        ProcessBuilder pb = meshd("--node", "proc-1", "--client-port", "0", "--http-port", "0",
                "--data-dir", dir.resolve("data").toString());
        pb.environment().put("MESHD_SITE", "onprem");
        Process p = pb.start();
        try {
            Await.until(Duration.ofSeconds(30), () -> {
                try {
                    return PORTS.matcher(log()).find() || !p.isAlive();
                } catch (IOException e) {
                    return false;
                }
            }, () -> "no start-up line in the log");
            Matcher m = PORTS.matcher(log());
            assertTrue(m.find(), log());
            try (MeshClient c = MeshClient.connect("127.0.0.1:" + m.group(1))) {
                assertEquals("proc-1", c.serverInfo().node());
                assertEquals("onprem", c.serverInfo().site());
            }
            assertTrue(Files.isDirectory(dir.resolve("data")));
            Matcher pool = Pattern.compile("common-pool=(\\d+)").matcher(log());
            assertTrue(pool.find(), log());
            assertTrue(Integer.parseInt(pool.group(1)) >= 2,
                    "the common pool must have more than one thread, or CompletableFuture starts a thread per"
                            + " async step (Ratis: one per entry): " + pool.group(0));
            Matcher chunk = Pattern.compile("buffer-chunk=(\\d+)KiB").matcher(log());
            assertTrue(chunk.find(), log());
            assertEquals(1024, Integer.parseInt(chunk.group(1)),
                    "an idle node holds a pooled chunk per busy event loop, resident in full: " + chunk.group(0));
            p.destroy(); // SIGTERM: a clean shutdown
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "meshd did not stop on SIGTERM");
            assertTrue(log().contains("shutting down"), log());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void anOutOfRangeFlagIsRejectedNamingTheFlag() throws Exception {
        Process p = meshd("--client-port", "70000").start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue());
            assertTrue(log().contains("--client-port: 70000 is outside the allowed range 0..65535"), log());
        } finally {
            p.destroyForcibly();
        }
    }
}
