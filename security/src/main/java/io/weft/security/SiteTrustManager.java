package io.weft.security;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts a peer only if its certificate chains to the CA and names a node of one site of this mesh: for
 * planes where only the nodes of a site may talk to each other (the stream replicas' Raft traffic), and
 * where the library does the handshake and never shows us the peer. No host-name check: peers are
 * dialled by address, and who they are is in the certificate's spiffe id.
 */
public final class SiteTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager pkix;
    private final String mesh;
    private final String site;

    public SiteTrustManager(X509TrustManager pkix, String mesh, String site) {
        this.pkix = pkix;
        this.mesh = mesh;
        this.site = site;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        requireNodeOfSite(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        requireNodeOfSite(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }

    private void requireNodeOfSite(X509Certificate[] chain) throws CertificateException {
        SpiffeId id;
        try {
            id = chain.length == 0 ? null : SpiffeId.of(chain[0]).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new CertificateException("peer certificate: " + e.getMessage());
        }
        if (id == null || !id.isNode() || !id.mesh().equals(mesh) || !id.site().equals(site)) {
            throw new CertificateException("only nodes of site " + site + " of mesh " + mesh + " may connect here; the peer is "
                    + (id == null ? "no node (" + (chain.length == 0 ? "no certificate" : chain[0].getSubjectX500Principal()) + ")"
                    : id));
        }
    }
}
