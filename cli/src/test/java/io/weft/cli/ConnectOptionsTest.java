package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.BrokerCandidate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The note that tells a user which node served a command when it was not the node they named, and the
 * credentials the connection options take.
 */
class ConnectOptionsTest {
    @TempDir
    Path dir;

    @CommandLine.Command(name = "t")
    static final class Cmd {
        @CommandLine.Mixin
        ConnectOptions connect = new ConnectOptions();
    }

    private static String options(String... args) {
        Cmd c = new Cmd();
        new CommandLine(c).parseArgs(args);
        return c.connect.builder("test").build().toString();
    }

    @Test
    void credentialsComeFromFlagsOrACredsFileAndSecretsNeverShow() throws Exception {
        assertTrue(options("--user", "alice", "--password", "pw").contains("user alice"));
        assertTrue(!options("--user", "alice", "--password", "s3cret").contains("s3cret"));
        Path creds = dir.resolve("creds.json");
        Files.writeString(creds, "{\"token\": \"tok-123\"}");
        String t = options("--creds", creds.toString());
        assertTrue(t.contains("token ***") && !t.contains("tok-123"), t);
        Files.writeString(creds, "{\"user\": \"bob\", \"password\": \"pw\"}");
        assertTrue(options("--creds", creds.toString()).contains("user bob"));
        assertTrue(options("--creds", creds.toString(), "--user", "carol", "--password", "x").contains("user carol"),
                "a flag wins over the file");
    }

    @Test
    void incompleteOrConflictingCredentialsAreRefusedWithTheFlagNamed() {
        assertEquals("--user needs --password (or MESHCTL_PASSWORD)",
                assertThrows(IllegalArgumentException.class, () -> options("--user", "alice")).getMessage());
        assertEquals("--password needs --user",
                assertThrows(IllegalArgumentException.class, () -> options("--password", "pw")).getMessage());
        assertEquals("give --user/--password or --token, not both", assertThrows(IllegalArgumentException.class,
                () -> options("--user", "a", "--password", "b", "--token", "t")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> options("--creds", dir.resolve("missing.json").toString())).getMessage().startsWith("--creds "));
    }

    private static final List<BrokerCandidate> CANDIDATES = List.of(
            new BrokerCandidate("127.0.0.1:12420", "cloud-2", "cloud", true, 1000, null),
            new BrokerCandidate("127.0.0.1:11420", "cloud-1", "cloud", false, 900, null));

    @Test
    void namingOneNodeThatDidNotServeSaysWhichDid() {
        assertEquals("meshctl: served by cloud-2 (127.0.0.1:12420), the nearest broker 127.0.0.1:11420 (cloud-1) told"
                        + " of; --no-discover talks to 127.0.0.1:11420 only",
                ConnectOptions.servedElsewhere("127.0.0.1:11420", false, "127.0.0.1:12420", "cloud-2", CANDIDATES));
    }

    @Test
    void nothingToSayWhenTheNamedNodeServedOrNoneWasNamedAlone() {
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420 ", false, "127.0.0.1:11420", "cloud-1", CANDIDATES));
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420,127.0.0.1:12420", false, "127.0.0.1:12420",
                "cloud-2", CANDIDATES));
        assertNull(ConnectOptions.servedElsewhere("127.0.0.1:11420", true, "127.0.0.1:12420", "cloud-2", CANDIDATES));
    }
}
