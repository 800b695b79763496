package io.weft.security;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * Certificates the CAs have revoked, from a PEM file of CRLs ({@code --tls-crl}). Every CRL must be signed
 * by a CA of the trust bundle, or loading fails: a CRL nobody can verify would let anyone revoke anything.
 * The check is local and exact: a certificate is revoked when a CRL of its issuer lists its serial. No
 * network is asked (no OCSP, no distribution points), and a CRL past its next update still revokes what it
 * lists: an old list of revoked certificates is no reason to trust them again.
 */
public final class RevocationList {
    /** No CRLs: nothing is revoked. */
    public static final RevocationList NONE = new RevocationList(List.of());

    private final List<X509CRL> crls;

    private RevocationList(List<X509CRL> crls) {
        this.crls = List.copyOf(crls);
    }

    /** Loads {@code file} and checks each CRL's signature against {@code cas}. */
    public static RevocationList load(Path file, List<X509Certificate> cas) throws IOException {
        List<X509CRL> crls = PemFiles.crls(file);
        for (X509CRL crl : crls) {
            X509Certificate issuer = cas.stream()
                    .filter(ca -> ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal()))
                    .findFirst().orElseThrow(() -> new IOException(file + ": a CRL issued by "
                            + crl.getIssuerX500Principal() + ", which is no CA of the trust bundle"));
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new IOException(file + ": the CRL of " + crl.getIssuerX500Principal()
                        + " is not signed by that CA's key (" + e.getMessage() + ")");
            }
        }
        return new RevocationList(crls);
    }

    /** Whether a CRL of {@code cert}'s issuer lists it. */
    public boolean revoked(X509Certificate cert) {
        for (X509CRL crl : crls) {
            if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) && crl.isRevoked(cert)) {
                return true;
            }
        }
        return false;
    }

    /** Certificates listed, over all CRLs. */
    public int size() {
        int n = 0;
        for (X509CRL crl : crls) {
            n += crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        }
        return n;
    }

    /** The earliest next update of the CRLs, or null (for a warning when it has passed). */
    public Instant nextUpdate() {
        Instant min = null;
        for (X509CRL crl : crls) {
            if (crl.getNextUpdate() != null) {
                Instant t = crl.getNextUpdate().toInstant();
                min = min == null || t.isBefore(min) ? t : min;
            }
        }
        return min;
    }
}
