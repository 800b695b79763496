package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.security.SpiffeId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshctl pki}: what it writes verifies (with the JDK and with openssl), and what it refuses. */
class PkiCommandTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    @TempDir
    Path tmp;
    private Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        dir = tmp.resolve("pki");
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void init() {
        assertEquals(0, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod",
                "--nodes", "eu/n1,eu/n2", "--nodes", "us/n3", "--users", "alice"), err());
    }

    @Test
    void initWritesCertificatesThatVerifyAndNameTheirIdentity() throws Exception {
        init();
        X509Certificate ca = cert(dir.resolve("ca.pem"));
        assertTrue(ca.getBasicConstraints() >= 0);
        assertTrue(ca.getKeyUsage()[5] && ca.getKeyUsage()[6], "keyCertSign and cRLSign");
        assertEquals("CN=Weft mesh prod CA", ca.getSubjectX500Principal().getName());
        assertEquals("SHA256withECDSA", ca.getSigAlgName());
        assertKey(dir.resolve("ca-key.pem"), ca);
        for (String[] n : new String[][] {{"eu", "n1"}, {"eu", "n2"}, {"us", "n3"}}) {
            X509Certificate c = cert(dir.resolve("nodes/" + n[1] + ".pem"));
            validate(c, ca);
            assertEquals(SpiffeId.node("prod", n[0], n[1]), SpiffeId.of(c).orElseThrow());
            assertEquals("CN=" + n[1], c.getSubjectX500Principal().getName());
            assertTrue(c.getSubjectAlternativeNames().contains(List.of(SAN_DNS, "localhost")));
            assertTrue(c.getSubjectAlternativeNames().contains(List.of(SAN_IP, "127.0.0.1")));
            assertTrue(c.getExtendedKeyUsage().containsAll(List.of(SERVER_AUTH, CLIENT_AUTH)));
            assertEquals(-1, c.getBasicConstraints());
            assertTrue(c.getKeyUsage()[0], "digitalSignature");
            assertTrue(c.getSerialNumber().signum() > 0 && c.getSerialNumber().bitLength() <= 128);
            long days = TimeUnit.MILLISECONDS.toDays(c.getNotAfter().getTime() - System.currentTimeMillis());
            assertTrue(days >= 364 && days <= 365, "valid for " + days + " days");
            assertTrue(c.getNotBefore().getTime() < System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(4));
            assertKey(dir.resolve("nodes/" + n[1] + "-key.pem"), c);
            String certPerms = perms(dir.resolve("nodes/" + n[1] + ".pem"));
            assertTrue(certPerms.matches("rw-[r-]--[r-]--"),
                    "a certificate is rw-r--r-- (less with a strict umask): " + certPerms);
        }
        X509Certificate u = cert(dir.resolve("users/alice.pem"));
        validate(u, ca);
        assertEquals(SpiffeId.user("prod", "alice"), SpiffeId.of(u).orElseThrow());
        assertEquals(List.of(CLIENT_AUTH), u.getExtendedKeyUsage());
        assertKey(dir.resolve("users/alice-key.pem"), u);

        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(10, printed.lines().filter(l -> l.startsWith("wrote ")).count(), printed);
        assertTrue(printed.contains("--tls-cert " + dir.resolve("nodes/n1.pem") + " --tls-key "
                + dir.resolve("nodes/n1-key.pem") + " --tls-ca " + dir.resolve("ca.pem")), printed);
    }

    @Test
    void opensslAcceptsWhatInitWrites() throws Exception {
        init();
        String ca = dir.resolve("ca.pem").toString();
        String n1 = dir.resolve("nodes/n1.pem").toString();
        assertEquals("", openssl("verify", "-purpose", "sslserver", "-CAfile", ca, n1).replace(n1 + ": OK", "").trim());
        openssl("verify", "-purpose", "sslclient", "-CAfile", ca, n1);
        openssl("verify", "-purpose", "sslclient", "-CAfile", ca, dir.resolve("users/alice.pem").toString());
        String sans = openssl("x509", "-in", n1, "-noout", "-ext", "subjectAltName");
        assertTrue(sans.contains("URI:spiffe://prod/weft/site/eu/node/n1"), sans);
        assertTrue(sans.contains("DNS:localhost") && sans.contains("IP Address:127.0.0.1"), sans);
        assertEquals(openssl("x509", "-in", n1, "-noout", "-pubkey"),
                openssl("pkey", "-in", dir.resolve("nodes/n1-key.pem").toString(), "-pubout"));
    }

    @Test
    void revokeKeepsACrlThatOpensslAndTheNodesCheck() throws Exception {
        init();
        String ca = dir.resolve("ca.pem").toString();
        Path crl = dir.resolve("crl.pem");
        assertEquals(0, Meshctl.run("pki", "revoke", "--dir", dir.toString(), "--cert", dir.resolve("users/alice.pem").toString()), err());
        assertEquals(0, Meshctl.run("pki", "revoke", "--dir", dir.toString(), "--cert", dir.resolve("nodes/n2.pem").toString()), err());
        assertEquals(0, Meshctl.run("pki", "revoke", "--dir", dir.toString(), "--cert", dir.resolve("nodes/n2.pem").toString()), err());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("already revoked"));
        String text = openssl("crl", "-in", crl.toString(), "-noout", "-text");
        assertTrue(text.contains(cert(dir.resolve("users/alice.pem")).getSerialNumber().toString(16).toUpperCase()), text);
        assertTrue(text.contains("X509v3 CRL Number") && text.contains("2"), text);
        openssl("crl", "-in", crl.toString(), "-noout", "-CAfile", ca); // the signature verifies
        openssl("verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl.toString(), dir.resolve("nodes/n1.pem").toString());
        io.weft.security.RevocationList list = io.weft.security.RevocationList.load(crl, List.of(cert(dir.resolve("ca.pem"))));
        assertEquals(2, list.size());
        assertTrue(list.revoked(cert(dir.resolve("nodes/n2.pem"))));
        assertFalse(list.revoked(cert(dir.resolve("nodes/n1.pem"))));

        Path other = dir.resolve("other");
        assertEquals(0, Meshctl.run("pki", "init", "--out", other.toString(), "--mesh", "prod", "--nodes", "eu/x1"), err());
        assertEquals(1, Meshctl.run("pki", "revoke", "--dir", dir.toString(), "--cert", other.resolve("nodes/x1.pem").toString()));
        assertTrue(err().contains("was not issued by the CA"), err());
    }

    @Test
    void initPrintsJson() throws Exception {
        assertEquals(0, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "m", "--nodes", "eu/a,us/b",
                "--days", "30", "--json"), err());
        JsonNode j = Cli.JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals("m", j.path("mesh").asText());
        assertEquals(dir.resolve("ca.pem").toString(), j.path("ca").asText());
        assertEquals(2, j.path("nodes").size());
        JsonNode b = j.path("nodes").get(1);
        assertEquals("us", b.path("site").asText());
        assertEquals("b", b.path("node").asText());
        assertEquals("spiffe://m/weft/site/us/node/b", b.path("id").asText());
        assertEquals(dir.resolve("nodes/b.pem").toString(), b.path("cert").asText());
        assertEquals(dir.resolve("nodes/b-key.pem").toString(), b.path("key").asText());
        assertEquals(cert(dir.resolve("nodes/b.pem")).getNotAfter().toInstant().toString(), b.path("notAfter").asText());
        assertEquals(0, j.path("users").size());
    }

    @Test
    void initNeverOverwritesACa() throws Exception {
        init();
        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
        byte[] key = Files.readAllBytes(dir.resolve("ca-key.pem"));
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod", "--nodes", "eu/n9"));
        assertTrue(err().contains(dir.resolve("ca.pem") + " already exists"), err());
        assertArrayEquals(ca, Files.readAllBytes(dir.resolve("ca.pem")));
        assertArrayEquals(key, Files.readAllBytes(dir.resolve("ca-key.pem")));
        assertFalse(Files.exists(dir.resolve("nodes/n9.pem")));

        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("ca-key.pem"), "");
        assertEquals(1, Meshctl.run("pki", "init", "--out", other.toString(), "--mesh", "prod", "--nodes", "eu/n1"));
        assertTrue(err().contains(other.resolve("ca-key.pem") + " already exists"), err());
        assertFalse(Files.exists(other.resolve("ca.pem")));
    }

    @Test
    void initRejectsMalformedAndDuplicateNames() {
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod", "--nodes", "eu/n1,n2"));
        assertTrue(err().contains("'n2'") && err().contains("SITE/NODE"), err());
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod", "--nodes", "eu/n 1"));
        assertTrue(err().contains("'eu/n 1'"), err());
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod", "--nodes", "eu/n1,us/n1"));
        assertTrue(err().contains("'n1' appears twice"), err());
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "a/b", "--nodes", "eu/n1"));
        assertTrue(err().contains("invalid --mesh 'a/b'"), err());
        assertEquals(1, Meshctl.run("pki", "init", "--out", dir.toString(), "--mesh", "prod", "--nodes", "eu/n1",
                "--days", "0"));
        assertFalse(Files.exists(dir.resolve("ca.pem")), "nothing is written when an argument is wrong");
        assertFalse(err().contains("Exception"), err());
    }

    @Test
    void issueNodeAndUserUseTheSameCaAndDoNotOverwriteWithoutForce() throws Exception {
        init();
        X509Certificate ca = cert(dir.resolve("ca.pem"));
        assertEquals(0, Meshctl.run("pki", "issue-node", "--dir", dir.toString(), "--site", "ap", "--node", "n4",
                "--dns", "n4.example.com", "--ip", "10.0.0.4,::1", "--days", "10"), err());
        X509Certificate n4 = cert(dir.resolve("nodes/n4.pem"));
        validate(n4, ca);
        assertEquals(SpiffeId.node("prod", "ap", "n4"), SpiffeId.of(n4).orElseThrow());
        assertTrue(n4.getSubjectAlternativeNames().containsAll(List.of(List.of(SAN_DNS, "localhost"),
                List.of(SAN_DNS, "n4.example.com"), List.of(SAN_IP, "127.0.0.1"), List.of(SAN_IP, "10.0.0.4"))));
        assertTrue(n4.getExtendedKeyUsage().containsAll(List.of(SERVER_AUTH, CLIENT_AUTH)));
        assertKey(dir.resolve("nodes/n4-key.pem"), n4);

        assertEquals(0, Meshctl.run("pki", "issue-user", "--dir", dir.toString(), "--user", "bob", "--json"), err());
        X509Certificate bob = cert(dir.resolve("users/bob.pem"));
        validate(bob, ca);
        assertEquals(SpiffeId.user("prod", "bob"), SpiffeId.of(bob).orElseThrow());
        assertKey(dir.resolve("users/bob-key.pem"), bob);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"id\":\"spiffe://prod/weft/user/bob\""));

        byte[] before = Files.readAllBytes(dir.resolve("nodes/n1.pem"));
        assertEquals(1, Meshctl.run("pki", "issue-node", "--dir", dir.toString(), "--site", "eu", "--node", "n1"));
        assertTrue(err().contains(dir.resolve("nodes/n1.pem") + " already exists; --force replaces it"), err());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("nodes/n1.pem")));
        assertEquals(1, Meshctl.run("pki", "issue-user", "--dir", dir.toString(), "--user", "alice"));

        assertEquals(0, Meshctl.run("pki", "issue-node", "--dir", dir.toString(), "--site", "eu", "--node", "n1",
                "--force"), err());
        X509Certificate n1 = cert(dir.resolve("nodes/n1.pem"));
        assertFalse(Arrays.equals(before, Files.readAllBytes(dir.resolve("nodes/n1.pem"))), "--force replaced it");
        validate(n1, ca);
        assertKey(dir.resolve("nodes/n1-key.pem"), n1);
        try (var files = Files.list(dir.resolve("nodes"))) {
            assertEquals(8, files.count(), "no temporary files are left behind");
        }
    }

    @Test
    void issueWithoutAReadableCaSaysWhichFileInOneLine() throws Exception {
        Files.createDirectories(dir);
        assertEquals(1, Meshctl.run("pki", "issue-node", "--dir", dir.toString(), "--site", "eu", "--node", "n1"));
        assertEquals("meshctl: cannot read CA certificate " + dir.resolve("ca.pem") + ": no such file", err().strip());

        init();
        err.reset();
        Files.delete(dir.resolve("ca-key.pem"));
        assertEquals(1, Meshctl.run("pki", "issue-user", "--dir", dir.toString(), "--user", "carol"));
        assertEquals("meshctl: cannot read CA key " + dir.resolve("ca-key.pem") + ": no such file", err().strip());

        err.reset();
        Files.writeString(dir.resolve("ca-key.pem"), Files.readString(dir.resolve("nodes/n1-key.pem")));
        assertEquals(1, Meshctl.run("pki", "issue-user", "--dir", dir.toString(), "--user", "carol"));
        assertTrue(err().contains("does not belong to"), err());
        assertFalse(Files.exists(dir.resolve("users/carol.pem")));

        err.reset();
        Files.writeString(dir.resolve("ca-key.pem"), "garbage");
        assertEquals(1, Meshctl.run("pki", "issue-user", "--dir", dir.toString(), "--user", "carol"));
        assertTrue(err().startsWith("meshctl: cannot read CA key " + dir.resolve("ca-key.pem") + ": "), err());
        assertEquals(1, err().strip().lines().count(), err());
    }

    // ---- helpers ----

    private static X509Certificate cert(Path file) throws Exception {
        assertTrue(Files.readString(file).startsWith("-----BEGIN CERTIFICATE-----\n"));
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Validates {@code leaf} against the trust anchor {@code ca} with the JDK's PKIX validator. */
    private static void validate(X509Certificate leaf, X509Certificate ca) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    }

    /** The key file is 0600 unencrypted PKCS#8, and its key is the private half of {@code cert}'s. */
    private static void assertKey(Path file, X509Certificate cert) throws Exception {
        assertEquals("rw-------", perms(file), file.toString());
        String pem = Files.readString(file);
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
        byte[] der = java.util.Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        ECPoint q = ECNamedCurveTable.getByName("secp256r1").getG().multiply(key.getS()).normalize();
        ECPublicKey pub = (ECPublicKey) cert.getPublicKey();
        assertEquals(pub.getW().getAffineX(), q.getAffineXCoord().toBigInteger());
        assertEquals(pub.getW().getAffineY(), q.getAffineYCoord().toBigInteger());
    }

    private static String perms(Path file) throws IOException {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
        return PosixFilePermissions.toString(p).substring(0, 9);
    }

    /** Runs openssl (which CI installs), failing on a non-zero exit; returns its output. */
    private static String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Path output = Files.createTempFile("openssl", ".out");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        } catch (IOException e) {
            Files.delete(output);
            fail("openssl is needed by this test and was not found (" + e.getMessage()
                    + "): install it, e.g. apt-get install openssl");
            throw e;
        }
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                fail("openssl did not finish in 30 s: " + cmd);
            }
            String text = Files.readString(output);
            assertEquals(0, p.exitValue(), cmd + " said: " + text);
            return text;
        } finally {
            p.destroyForcibly();
            Files.delete(output);
        }
    }
}
