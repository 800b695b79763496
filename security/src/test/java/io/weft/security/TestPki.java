package io.weft.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test PKI: a root CA of a mesh and certificates of every shape it (or another CA) signs, written as PEM
 * files in a temp directory so that tests go through the same file-loading path as meshd. {@link #node} and
 * {@link #user} make what {@code meshctl pki} makes; {@link #custom} makes what it must never make (expired or
 * not yet valid, several or no URI SANs, another EKU, a foreign issuer). ECDSA P-256 keys from the JDK's
 * providers; BouncyCastle only builds the certificates and is not installed as a provider.
 *
 * <pre>
 * TestPki pki = TestPki.create(tmp, "test");
 * TestPki.Files n1 = pki.node("eu", "n1");
 * TestPki.Files old = pki.custom("old", s -&gt; s.id(SpiffeId.node("test", "eu", "n1")).expired());
 * TestPki.Files alien = pki.foreign(tmp.resolve("other")).node("eu", "n1");
 * </pre>
 *
 * <p>Methods throw unchecked exceptions ({@link UncheckedIOException}, {@link IllegalStateException}).
 */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String KEY_PERMS = "rw-------";
    private static final String CERT_PERMS = "rw-r--r--";

    /** A certificate file and its private key file (unencrypted PKCS#8 PEM, rw-------). */
    public record Files(Path cert, Path key) {
        /** The certificate, parsed. */
        public X509Certificate certificate() {
            return read(cert);
        }
    }

    /** Extended key usages a certificate may carry. */
    public enum Eku { SERVER_AUTH, CLIENT_AUTH }

    /**
     * The shape of a {@link #custom} certificate. Defaults: no SANs, CN = the file stem, valid from 5 minutes ago
     * for a day, EKU serverAuth and clientAuth, keyUsage digitalSignature, signed by this PKI's CA.
     */
    public static final class Spec {
        private final List<String> uris = new ArrayList<>();
        private final List<String> dns = new ArrayList<>();
        private final List<String> ips = new ArrayList<>();
        private Instant notBefore = Instant.now().minus(Duration.ofMinutes(5));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(1));
        private EnumSet<Eku> eku = EnumSet.allOf(Eku.class);
        private TestPki issuer;
        private String cn;

        private Spec() {
        }

        /** Adds URI SANs: any strings, Weft ids or not (call more than once, or never, for several or none). */
        public Spec uri(String... values) {
            uris.addAll(List.of(values));
            return this;
        }

        /** Adds a Weft id as a URI SAN. */
        public Spec id(SpiffeId id) {
            return uri(id.toString());
        }

        public Spec dns(String... names) {
            dns.addAll(List.of(names));
            return this;
        }

        public Spec ip(String... addresses) {
            ips.addAll(List.of(addresses));
            return this;
        }

        public Spec notBefore(Instant t) {
            notBefore = t;
            return this;
        }

        public Spec notAfter(Instant t) {
            notAfter = t;
            return this;
        }

        /** Valid from two days ago until an hour ago. */
        public Spec expired() {
            return notBefore(Instant.now().minus(Duration.ofDays(2))).notAfter(Instant.now().minus(Duration.ofHours(1)));
        }

        /** Valid from an hour from now, for a day. */
        public Spec notYetValid() {
            return notBefore(Instant.now().plus(Duration.ofHours(1))).notAfter(Instant.now().plus(Duration.ofDays(1)));
        }

        /** The extended key usages; none leaves the extension out (any use). */
        public Spec eku(Eku... usages) {
            eku = usages.length == 0 ? EnumSet.noneOf(Eku.class) : EnumSet.copyOf(List.of(usages));
            return this;
        }

        /** Signed by {@code ca}'s CA instead of this PKI's (e.g. a {@link #foreign} one). */
        public Spec issuer(TestPki ca) {
            issuer = ca;
            return this;
        }

        public Spec cn(String commonName) {
            cn = commonName;
            return this;
        }
    }

    private final Path dir;
    private final String mesh;
    private final X509Certificate caCert;
    private final PrivateKey caKey;

    private TestPki(Path dir, String mesh, X509Certificate caCert, PrivateKey caKey) {
        this.dir = dir;
        this.mesh = mesh;
        this.caCert = caCert;
        this.caKey = caKey;
    }

    /**
     * A new root CA for {@code mesh} (like meshctl's: CN "Weft mesh MESH CA", URI SAN spiffe://MESH), written to
     * {@code dir}/ca.pem and {@code dir}/ca-key.pem.
     */
    public static TestPki create(Path dir, String mesh) {
        if (java.nio.file.Files.exists(dir.resolve("ca.pem"))) {
            throw new IllegalStateException(dir.resolve("ca.pem") + " exists: one TestPki per directory");
        }
        KeyPair kp = keyPair();
        X500Name name = new X500Name("CN=Weft mesh " + mesh + " CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), name, kp.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(kp.getPublic()));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + mesh)));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        TestPki pki = new TestPki(dir, mesh, sign(b, kp.getPrivate()), kp.getPrivate());
        write(pki.caKeyFile(), pem("PRIVATE KEY", kp.getPrivate().getEncoded()), KEY_PERMS);
        write(pki.caFile(), pem("CERTIFICATE", encoded(pki.caCert)), CERT_PERMS);
        return pki;
    }

    /** A second, unrelated CA of the same mesh name, in {@code otherDir}: what an impostor mesh would have. */
    public TestPki foreign(Path otherDir) {
        return create(otherDir, mesh);
    }

    /** A node certificate as meshctl pki issues it: dir/nodes/NODE.pem and NODE-key.pem. */
    public Files node(String site, String node) {
        return custom("nodes/" + node, s -> s.id(SpiffeId.node(mesh, site, node)).dns("localhost").ip("127.0.0.1")
                .cn(node).notAfter(Instant.now().plus(Duration.ofDays(365))));
    }

    /** A user certificate as meshctl pki issues it (clientAuth only): dir/users/USER.pem and USER-key.pem. */
    public Files user(String user) {
        return custom("users/" + user, s -> s.id(SpiffeId.user(mesh, user)).eku(Eku.CLIENT_AUTH).cn(user)
                .notAfter(Instant.now().plus(Duration.ofDays(365))));
    }

    /** A certificate shaped by {@code spec}, written to dir/STEM.pem and dir/STEM-key.pem (replacing them). */
    public Files custom(String fileStem, Consumer<Spec> spec) {
        Spec s = new Spec();
        spec.accept(s);
        TestPki ca = s.issuer == null ? this : s.issuer;
        KeyPair kp = keyPair();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.caCert, serial(), Date.from(s.notBefore),
                Date.from(s.notAfter), new X500Name("CN=" + (s.cn == null ? fileStem.replace('/', '-') : s.cn)),
                kp.getPublic());
        List<GeneralName> sans = new ArrayList<>();
        s.uris.forEach(u -> sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, u)));
        s.dns.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
        s.ips.forEach(i -> sans.add(new GeneralName(GeneralName.iPAddress, i)));
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            if (!s.eku.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(s.eku.stream()
                        .map(e -> e == Eku.SERVER_AUTH ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth)
                        .toArray(KeyPurposeId[]::new)));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
            }
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca.caCert.getPublicKey()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Files f = new Files(dir.resolve(fileStem + ".pem"), dir.resolve(fileStem + "-key.pem"));
        write(f.key(), pem("PRIVATE KEY", kp.getPrivate().getEncoded()), KEY_PERMS);
        write(f.cert(), pem("CERTIFICATE", encoded(sign(b, ca.caKey))), CERT_PERMS);
        return f;
    }

    /** A CRL of this CA listing {@code revoked}, written to {@code file} (replacing it); next update in a week. */
    public Path crl(Path file, X509Certificate... revoked) {
        Instant now = Instant.now();
        org.bouncycastle.cert.X509v2CRLBuilder b = new org.bouncycastle.cert.X509v2CRLBuilder(
                X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), Date.from(now.minusSeconds(60)));
        b.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
        for (X509Certificate c : revoked) {
            b.addCRLEntry(c.getSerialNumber(), Date.from(now.minusSeconds(60)), org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
        }
        try {
            byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)).getEncoded();
            write(file, pem("X509 CRL", der), CERT_PERMS);
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
        return file;
    }

    /** dir/ca.pem: the trust anchor to configure (e.g. meshd --tls-ca). */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    public Path caKeyFile() {
        return dir.resolve("ca-key.pem");
    }

    public X509Certificate caCertificate() {
        return caCert;
    }

    public String mesh() {
        return mesh;
    }

    public Path dir() {
        return dir;
    }

    /** Parses a PEM (or DER) certificate file. */
    public static X509Certificate read(Path certFile) {
        try (InputStream in = java.nio.file.Files.newInputStream(certFile)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- BouncyCastle and PEM boilerplate (as in meshctl's PkiIssuer, which tests must not depend on) ----

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Writes a new file created with {@code perms} (an existing one is replaced, not reused with its permissions). */
    private static void write(Path file, String text, String perms) {
        try {
            java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
            java.nio.file.Files.deleteIfExists(file);
            try (SeekableByteChannel ch = java.nio.file.Files.newByteChannel(file,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms)))) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
