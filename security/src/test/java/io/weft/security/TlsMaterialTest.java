package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and checking TLS material, the node identity check and the site trust manager. */
class TlsMaterialTest {
    @TempDir
    Path dir;
    TestPki pki;

    @BeforeEach
    void pki() {
        pki = TestPki.create(dir.resolve("pki"), "demo");
    }

    private String loadError(TestPki.Files f, Path ca) {
        return assertThrows(IOException.class, () -> TlsMaterial.load(f.cert(), f.key(), ca)).getMessage();
    }

    @Test
    void aValidNodeCertificateLoadsAndNamesItsNode() throws Exception {
        TestPki.Files f = pki.node("cloud", "cloud-1");
        TlsMaterial m = TlsMaterial.load(f.cert(), f.key(), pki.caFile());
        assertEquals(SpiffeId.node("demo", "cloud", "cloud-1"), m.identity());
        m.requireNode("cloud", "cloud-1");
        assertFalse(m.keyReadableByOthers());
        String wrongName = assertThrows(IOException.class, () -> m.requireNode("cloud", "cloud-2")).getMessage();
        assertTrue(wrongName.contains("cloud-1") && wrongName.contains("cloud-2"), wrongName);
        String wrongSite = assertThrows(IOException.class, () -> m.requireNode("onprem", "cloud-1")).getMessage();
        assertTrue(wrongSite.contains("onprem"), wrongSite);
    }

    @Test
    void badMaterialIsRefusedWithTheFileAndTheCheck() throws Exception {
        TestPki.Files a = pki.node("cloud", "cloud-1");
        TestPki.Files b = pki.node("cloud", "cloud-2");
        String mismatch = loadError(new TestPki.Files(a.cert(), b.key()), pki.caFile());
        assertTrue(mismatch.contains("is not the key of"), mismatch);
        String expired = loadError(pki.custom("old", s -> s.id(SpiffeId.node("demo", "cloud", "old")).expired()), pki.caFile());
        assertTrue(expired.contains("expired"), expired);
        TestPki other = pki.foreign(dir.resolve("other"));
        String foreign = loadError(other.node("cloud", "cloud-1"), pki.caFile());
        assertTrue(foreign.contains("not issued by a CA in"), foreign);
        Path sec1 = dir.resolve("sec1.pem");
        Files.writeString(sec1, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        String old = assertThrows(IOException.class, () -> PemFiles.privateKey(sec1)).getMessage();
        assertTrue(old.contains("openssl pkcs8 -topk8"), old);
        String none = assertThrows(IOException.class, () -> PemFiles.certificates(sec1)).getMessage();
        assertTrue(none.contains("no PEM certificate"), none);
    }

    @Test
    void theNodeIdentityCheckNamesEveryMismatch() {
        SpiffeId self = SpiffeId.node("demo", "cloud", "cloud-1");
        X509Certificate c2 = pki.node("cloud", "cloud-2").certificate();
        assertEquals(Optional.empty(), NodeIdentityCheck.check(self, Optional.of(c2), "cloud", "cloud-2"));
        assertEquals(NodeIdentityCheck.Reason.NAME_MISMATCH, reason(self, c2, "cloud", "cloud-9"));
        assertEquals(NodeIdentityCheck.Reason.SITE_MISMATCH, reason(self, c2, "onprem", "cloud-2"));
        assertEquals(NodeIdentityCheck.Reason.NO_CERTIFICATE,
                NodeIdentityCheck.check(self, Optional.empty(), "cloud", "cloud-2").orElseThrow().reason());
        assertEquals(NodeIdentityCheck.Reason.NOT_A_NODE, reason(self, pki.user("alice").certificate(), "cloud", "alice"));
        X509Certificate otherMesh = pki.custom("m", s -> s.id(SpiffeId.node("elsewhere", "cloud", "cloud-2"))).certificate();
        assertEquals(NodeIdentityCheck.Reason.FOREIGN_MESH, reason(self, otherMesh, "cloud", "cloud-2"));
        X509Certificate noId = pki.custom("n", s -> s.dns("localhost")).certificate();
        assertEquals(NodeIdentityCheck.Reason.BAD_IDENTITY, reason(self, noId, "cloud", "cloud-2"));
        String msg = NodeIdentityCheck.check(self, Optional.of(c2), "cloud", "cloud-9").orElseThrow().message();
        assertTrue(msg.contains("cloud-9") && msg.contains("cloud-2"), msg);
    }

    private static NodeIdentityCheck.Reason reason(SpiffeId self, X509Certificate c, String site, String name) {
        return NodeIdentityCheck.check(self, Optional.of(c), site, name).orElseThrow().reason();
    }

    @Test
    void theSiteTrustManagerTakesOnlyNodesOfItsSiteUnderItsCa() throws Exception {
        TlsMaterial m = TlsMaterial.trustOnly(pki.caFile());
        SiteTrustManager tm = new SiteTrustManager(m.trustManager(), "demo", "cloud");
        tm.checkClientTrusted(new X509Certificate[] {pki.node("cloud", "cloud-2").certificate()}, "UNKNOWN");
        tm.checkServerTrusted(new X509Certificate[] {pki.node("cloud", "cloud-3").certificate()}, "ECDHE_ECDSA");
        for (X509Certificate bad : List.of(pki.node("onprem", "onprem-1").certificate(), pki.user("alice").certificate(),
                pki.foreign(dir.resolve("f")).node("cloud", "cloud-2").certificate())) {
            assertThrows(CertificateException.class, () -> tm.checkClientTrusted(new X509Certificate[] {bad}, "UNKNOWN"),
                    String.valueOf(SpiffeId.of(bad)));
        }
        assertTrue(m.trusts(List.of(pki.node("onprem", "onprem-1").certificate())));
    }
}
