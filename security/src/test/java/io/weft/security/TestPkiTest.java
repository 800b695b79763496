package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test PKI makes what it says it makes. */
class TestPkiTest {
    @TempDir
    Path tmp;

    @Test
    void nodeAndUserCertificatesNameTheirIdsAndVerifyAgainstTheCa() throws Exception {
        TestPki pki = TestPki.create(tmp, "test");
        X509Certificate ca = TestPki.read(pki.caFile());
        TestPki.Files n1 = pki.node("eu", "n1");
        assertEquals(tmp.resolve("nodes/n1.pem"), n1.cert());
        X509Certificate cert = n1.certificate();
        validate(cert, ca);
        assertEquals(Optional.of(SpiffeId.node("test", "eu", "n1")), SpiffeId.of(cert));
        assertTrue(cert.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")));
        assertTrue(cert.getSubjectAlternativeNames().contains(List.of(7, "127.0.0.1")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(n1.key())));
        assertTrue(Files.readString(n1.key()).startsWith("-----BEGIN PRIVATE KEY-----\n"));

        X509Certificate alice = pki.user("alice").certificate();
        validate(alice, ca);
        assertEquals(Optional.of(SpiffeId.user("test", "alice")), SpiffeId.of(alice));
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), alice.getExtendedKeyUsage());
    }

    @Test
    void expiredAndNotYetValidCertificatesAreSo() {
        TestPki pki = TestPki.create(tmp, "test");
        X509Certificate old = pki.custom("old", s -> s.id(SpiffeId.node("test", "eu", "n1")).expired()).certificate();
        assertThrows(CertificateExpiredException.class, old::checkValidity);
        X509Certificate early = pki.custom("early", s -> s.notYetValid()).certificate();
        assertThrows(CertificateNotYetValidException.class, early::checkValidity);
    }

    @Test
    void aForeignCaOfTheSameMeshIsNotTrusted() throws Exception {
        TestPki pki = TestPki.create(tmp.resolve("a"), "test");
        TestPki foreign = pki.foreign(tmp.resolve("b"));
        assertEquals("test", foreign.mesh());
        X509Certificate alien = foreign.node("eu", "n1").certificate();
        assertEquals(Optional.of(SpiffeId.node("test", "eu", "n1")), SpiffeId.of(alien), "same id, other CA");
        assertThrows(CertPathValidatorException.class, () -> validate(alien, TestPki.read(pki.caFile())));
        validate(alien, TestPki.read(foreign.caFile()));

        X509Certificate signedByForeign = pki.custom("x", s -> s.issuer(foreign).id(SpiffeId.user("test", "u")))
                .certificate();
        assertThrows(CertPathValidatorException.class, () -> validate(signedByForeign, pki.caCertificate()));
        assertThrows(IllegalStateException.class, () -> TestPki.create(tmp.resolve("a"), "test"));
    }

    @Test
    void sanShapes() throws Exception {
        TestPki pki = TestPki.create(tmp, "test");
        X509Certificate two = pki.custom("two", s -> s.id(SpiffeId.user("test", "a")).id(SpiffeId.user("test", "b")))
                .certificate();
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.of(two));
        assertEquals(Optional.empty(), SpiffeId.of(pki.custom("none", s -> s.dns("localhost")).certificate()));
        X509Certificate other = pki.custom("other", s -> s.uri("https://example.com/x").eku()).certificate();
        assertEquals(Optional.empty(), SpiffeId.of(other));
        assertNull(other.getExtendedKeyUsage(), "eku() leaves the extension out");
    }

    private static void validate(X509Certificate leaf, X509Certificate ca) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    }
}
