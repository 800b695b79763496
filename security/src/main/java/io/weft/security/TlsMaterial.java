package io.weft.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A node's or a client's TLS material, loaded and checked once: its certificate chain and key (which
 * must belong together), the CAs it trusts, and the identity its certificate names. Loading fails with a
 * message naming the file and the check that failed, so a misconfigured node refuses to start instead of
 * failing every handshake later.
 */
public final class TlsMaterial {
    private static final char[] NO_PASSWORD = new char[0];

    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final List<X509Certificate> trusted;
    private final SpiffeId identity;
    private final KeyManager[] keyManagers;
    private final X509ExtendedTrustManager trustManager;
    private final boolean keyReadableByOthers;
    private final RevocationList revocations;

    private TlsMaterial(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> trusted, SpiffeId identity,
                        boolean keyReadableByOthers) throws GeneralSecurityException, IOException {
        this(chain, key, trusted, identity, keyReadableByOthers, RevocationList.NONE);
    }

    private TlsMaterial(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> trusted, SpiffeId identity,
                        boolean keyReadableByOthers, RevocationList revocations)
            throws GeneralSecurityException, IOException {
        this.chain = List.copyOf(chain);
        this.key = key;
        this.trusted = List.copyOf(trusted);
        this.identity = identity;
        this.keyReadableByOthers = keyReadableByOthers;
        this.revocations = revocations;
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < trusted.size(); i++) {
            trust.setCertificateEntry("ca-" + i, trusted.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        this.trustManager = new Checking(x509(tmf.getTrustManagers()), revocations);
        if (key != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("weft", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            this.keyManagers = kmf.getKeyManagers();
        } else {
            this.keyManagers = null;
        }
    }

    /**
     * Loads a certificate chain, its key and a CA bundle, and checks that the key belongs to the
     * certificate and that the certificate is valid now under those CAs.
     */
    public static TlsMaterial load(Path certFile, Path keyFile, Path caFile) throws IOException {
        List<X509Certificate> chain = PemFiles.certificates(certFile);
        PrivateKey key = PemFiles.privateKey(keyFile);
        List<X509Certificate> trusted = PemFiles.certificates(caFile);
        X509Certificate leaf = chain.get(0);
        if (!keyMatches(key, leaf)) {
            throw new IOException(keyFile + " is not the key of the certificate in " + certFile);
        }
        verify(chain, trusted, certFile, caFile);
        SpiffeId id;
        try {
            id = SpiffeId.of(leaf).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new IOException(certFile + ": " + e.getMessage());
        }
        try {
            return new TlsMaterial(chain, key, trusted, id, readableByOthers(keyFile));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use " + certFile + " and " + keyFile + ": " + e.getMessage(), e);
        }
    }

    /** Trust only, no certificate of one's own: a client that does not authenticate by certificate. */
    public static TlsMaterial trustOnly(Path caFile) throws IOException {
        try {
            return new TlsMaterial(List.of(), null, PemFiles.certificates(caFile), null, false);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use " + caFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The same material, with certificates revoked by {@code crls} refused by its trust manager.
     *
     * @throws IOException when this material's own certificate is revoked
     */
    public TlsMaterial withRevocations(RevocationList crls) throws IOException {
        for (X509Certificate c : chain) {
            if (crls.revoked(c)) {
                throw new IOException("this node's own certificate (serial " + c.getSerialNumber().toString(16)
                        + ", " + c.getSubjectX500Principal() + ") is revoked by the CRL");
            }
        }
        try {
            return new TlsMaterial(chain, key, trusted, identity, keyReadableByOthers, crls);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the CRL: " + e.getMessage(), e);
        }
    }

    /** The CAs this material trusts (a CRL file is checked against them). */
    public List<X509Certificate> trusted() {
        return trusted;
    }

    public RevocationList revocations() {
        return revocations;
    }

    /**
     * Fails unless the certificate names node {@code node} of site {@code site}: a node runs only
     * under its own name.
     */
    public void requireNode(String site, String node) throws IOException {
        if (identity == null || !identity.isNode()) {
            throw new IOException("the TLS certificate names " + (identity == null ? "no spiffe id" : identity)
                    + "; a node needs spiffe://MESH/weft/site/" + site + "/node/" + node
                    + " (meshctl pki issue-node makes one)");
        }
        if (!identity.site().equals(site) || !identity.name().equals(node)) {
            throw new IOException("the TLS certificate is for node " + identity.name() + " of site " + identity.site()
                    + " (" + identity + "), but this node runs as " + node + " of site " + site);
        }
    }

    /** Whether a chain is valid now under these CAs, and none of it revoked. */
    public boolean trusts(List<X509Certificate> peerChain) {
        try {
            verify(peerChain, trusted, null, null);
            return peerChain.stream().noneMatch(revocations::revoked);
        } catch (IOException e) {
            return false;
        }
    }

    public SpiffeId identity() {
        return identity;
    }

    public X509Certificate certificate() {
        return chain.isEmpty() ? null : chain.get(0);
    }

    public Instant notAfter() {
        return chain.isEmpty() ? null : chain.get(0).getNotAfter().toInstant();
    }

    public boolean hasKey() {
        return key != null;
    }

    /** Whether group or others may read the key file (worth a warning at start). */
    public boolean keyReadableByOthers() {
        return keyReadableByOthers;
    }

    /** Key managers over this certificate and key; null without a key. */
    public KeyManager[] keyManagers() {
        return keyManagers == null ? null : keyManagers.clone();
    }

    /**
     * PKIX trust in the CA bundle, and no revoked certificate; without host-name checks: callers check
     * identities themselves.
     */
    public X509ExtendedTrustManager trustManager() {
        return trustManager;
    }

    public TrustManager[] trustManagers() {
        return new TrustManager[] {trustManager};
    }

    private static boolean keyMatches(PrivateKey key, X509Certificate cert) throws IOException {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] probe = "weft key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false; // a key of another algorithm than the certificate's
        }
    }

    private static void verify(List<X509Certificate> chain, List<X509Certificate> trusted, Path certFile, Path caFile)
            throws IOException {
        String what = certFile == null ? "the peer's certificate" : certFile.toString();
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : trusted) {
                anchors.add(new TrustAnchor(ca, null));
            }
            // the anchors themselves may appear at the end of a chain: drop them from the path
            List<X509Certificate> path = chain.stream().filter(c -> !trusted.contains(c)).toList();
            if (path.isEmpty()) {
                return;
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            X509Certificate leaf = chain.get(0);
            String reason = e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                    ? "it expired on " + leaf.getNotAfter().toInstant()
                    : e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID
                    ? "it is valid only from " + leaf.getNotBefore().toInstant()
                    : "it is not issued by a CA in " + (caFile == null ? "the trust bundle" : caFile)
                            + " (" + e.getMessage() + ")";
            throw new IOException(what + " is not valid: " + reason);
        } catch (GeneralSecurityException e) {
            throw new IOException(what + " cannot be checked: " + e.getMessage(), e);
        }
    }

    private static X509ExtendedTrustManager x509(TrustManager[] managers) {
        for (TrustManager m : managers) {
            if (m instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X.509 trust manager in the JDK");
    }

    /** The JDK's PKIX checks, then the CRLs: a peer whose chain holds a revoked certificate is refused. */
    private static final class Checking extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager pkix;
        private final RevocationList crls;

        Checking(X509ExtendedTrustManager pkix, RevocationList crls) {
            this.pkix = pkix;
            this.crls = crls;
        }

        private void notRevoked(X509Certificate[] chain) throws java.security.cert.CertificateException {
            for (X509Certificate c : chain) {
                if (crls.revoked(c)) {
                    throw new java.security.cert.CertificateException("the certificate " + c.getSubjectX500Principal()
                            + " (serial " + c.getSerialNumber().toString(16) + ") is revoked");
                }
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            pkix.checkClientTrusted(chain, authType);
            notRevoked(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            pkix.checkServerTrusted(chain, authType);
            notRevoked(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            pkix.checkClientTrusted(chain, authType, socket);
            notRevoked(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            pkix.checkServerTrusted(chain, authType, socket);
            notRevoked(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            pkix.checkClientTrusted(chain, authType, engine);
            notRevoked(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            pkix.checkServerTrusted(chain, authType, engine);
            notRevoked(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }

    private static boolean readableByOthers(Path keyFile) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(keyFile);
            return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
