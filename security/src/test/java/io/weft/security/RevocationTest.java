package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRLs: what they revoke, who may sign them, and material that changes under a running TLS context. */
class RevocationTest {
    @TempDir
    Path dir;
    TestPki pki;
    TlsMaterial node;

    @BeforeEach
    void pki() throws IOException {
        pki = TestPki.create(dir.resolve("pki"), "demo");
        TestPki.Files n = pki.node("cloud", "cloud-1");
        node = TlsMaterial.load(n.cert(), n.key(), pki.caFile());
    }

    private static X509Certificate[] chain(TestPki.Files f) throws IOException {
        return PemFiles.certificates(f.cert()).toArray(new X509Certificate[0]);
    }

    @Test
    void aRevokedPeerIsRefusedAndOthersAreNot() throws Exception {
        TestPki.Files alice = pki.user("alice");
        TestPki.Files bob = pki.user("bob");
        Path crlFile = pki.crl(dir.resolve("crl.pem"), chain(alice)[0]);
        RevocationList crl = RevocationList.load(crlFile, node.trusted());
        assertEquals(1, crl.size());
        TlsMaterial checked = node.withRevocations(crl);
        CertificateException e = assertThrows(CertificateException.class,
                () -> checked.trustManager().checkClientTrusted(chain(alice), "EC"));
        assertTrue(e.getMessage().contains("revoked"), e.getMessage());
        assertDoesNotThrow(() -> checked.trustManager().checkClientTrusted(chain(bob), "EC"));
        assertFalse(checked.trusts(List.of(chain(alice))));
        assertTrue(checked.trusts(List.of(chain(bob))));
        // the material without the CRL still trusts alice: revocation belongs to the material it was given to
        assertDoesNotThrow(() -> node.trustManager().checkClientTrusted(chain(alice), "EC"));
    }

    @Test
    void aCrlNoCaOfTheBundleSignedIsRefusedAtLoad() throws Exception {
        TestPki other = pki.foreign(dir.resolve("other"));
        Path crlFile = other.crl(dir.resolve("foreign-crl.pem"), chain(pki.user("alice"))[0]);
        String m = assertThrows(IOException.class, () -> RevocationList.load(crlFile, node.trusted())).getMessage();
        assertTrue(m.contains("not signed by that CA's key") || m.contains("no CA of the trust bundle"), m);
    }

    @Test
    void aFileWithoutACrlSaysWhatItExpected() {
        String m = assertThrows(IOException.class, () -> RevocationList.load(pki.caFile(), node.trusted())).getMessage();
        assertTrue(m.contains("BEGIN X509 CRL"), m);
    }

    @Test
    void aNodeWhoseOwnCertificateIsRevokedCannotUseTheCrl() throws Exception {
        X509Certificate own = node.certificate();
        RevocationList crl = RevocationList.load(pki.crl(dir.resolve("crl.pem"), own), node.trusted());
        String m = assertThrows(IOException.class, () -> node.withRevocations(crl)).getMessage();
        assertTrue(m.contains("own certificate") && m.contains("revoked"), m);
    }

    @Test
    void reloadableManagersFollowTheMaterialSetLast() throws Exception {
        TestPki.Files alice = pki.user("alice");
        ReloadableTls live = new ReloadableTls(node);
        assertDoesNotThrow(() -> live.trustManager().checkClientTrusted(chain(alice), "EC"));
        live.set(node.withRevocations(RevocationList.load(pki.crl(dir.resolve("crl.pem"), chain(alice)[0]),
                node.trusted())));
        assertThrows(CertificateException.class, () -> live.trustManager().checkClientTrusted(chain(alice), "EC"));

        TestPki.Files renewed = pki.node("cloud", "cloud-1"); // a new certificate and key for the same node
        TlsMaterial next = TlsMaterial.load(renewed.cert(), renewed.key(), pki.caFile());
        live.set(next);
        String alias = live.keyManager().chooseEngineServerAlias("EC", null, null);
        assertEquals(next.certificate(), live.keyManager().getCertificateChain(alias)[0]);
        assertEquals(next.certificate().getSerialNumber(), live.current().certificate().getSerialNumber());
    }
}
