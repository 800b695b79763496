package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshctl security check} and {@code hash-password}, offline. */
class SecurityCommandTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;
    private InputStream oldIn;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        oldIn = System.in;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
        System.setIn(oldIn);
    }

    @Test
    void aHashedPasswordMakesAFileThatChecks() throws Exception {
        System.setIn(new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, Meshctl.run("security", "hash-password", "--cost", "4"));
        String hash = out.toString(StandardCharsets.UTF_8).trim();
        assertTrue(OpenBSDBCrypt.checkPassword(hash, "s3cret".toCharArray()), hash);
        out.reset();
        Path f = dir.resolve("security.json");
        Files.writeString(f, "{\"users\":[{\"name\":\"alice\",\"password_bcrypt\":\"" + hash + "\","
                + "\"permissions\":{\"publish\":{\"allow\":[\"orders.{user}.>\"]},\"subscribe\":{\"deny\":[\"secret.>\"]}}},"
                + "{\"name\":\"ops\",\"certificate\":true,\"permissions\":{\"admin\":true}}]}");
        assertEquals(0, Meshctl.run("security", "check", f.toString()), err.toString(StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("ok, 2 user(s)") && text.contains("orders.alice.>") && text.contains("except secret.>"), text);
    }

    @Test
    void aBadFileFailsNamingTheFieldAndPatterns() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"users\":[{\"name\":\"a\",\"certificate\":true,\"permissions\":{\"publish\":{\"allow\":[\"a.>.b\"]}}}]}");
        assertEquals(1, Meshctl.run("security", "check", f.toString()));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("user a") && e.contains("publish.allow") && e.contains("a.>.b"), e);
        err.reset();
        Files.writeString(f, "{\"users\":[{\"name\":\"a\",\"certficate\":true}]}");
        assertEquals(1, Meshctl.run("security", "check", f.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("users[0].certficate: unknown field"), err.toString());
        err.reset();
        assertEquals(1, Meshctl.run("security", "check", dir.resolve("missing.json").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot read"), err.toString());
    }
}
