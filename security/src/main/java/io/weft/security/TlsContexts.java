package io.weft.security;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS contexts of every plane, built from one {@link TlsMaterial}:
 * <ul>
 *   <li>between nodes (mesh links, membership): TLS 1.3 only, a certificate required on both sides,
 *       no host-name check (links are dialled by address; the peer's node identity is checked after the
 *       handshake against what it announces);</li>
 *   <li>ports clients use (client port, HTTP): TLS 1.3 and 1.2, a client certificate optional;</li>
 *   <li>a client's context: the CA bundle, its own certificate if it has one, and the broker's host name
 *       checked against the certificate's DNS/IP names when asked.</li>
 * </ul>
 * The provider is BoringSSL (Netty's OPENSSL provider, netty-tcnative) where it loads, else the JDK's:
 * on the cross-site benchmark the JDK's SSLEngine took 70% of both nodes' CPU. {@code -Dweft.tls.provider=jdk}
 * (or {@code openssl}) forces one.
 */
public final class TlsContexts {
    private static final String[] NODE_PROTOCOLS = {"TLSv1.3"};
    private static final String[] CLIENT_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    private static final SslProvider PROVIDER = chooseProvider();

    private static SslProvider chooseProvider() {
        String asked = System.getProperty("weft.tls.provider", "auto");
        switch (asked) {
            case "jdk":
                return SslProvider.JDK;
            case "openssl":
                if (!io.netty.handler.ssl.OpenSsl.isAvailable()) {
                    throw new IllegalStateException("-Dweft.tls.provider=openssl, but BoringSSL does not load here: "
                            + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            default:
                return io.netty.handler.ssl.OpenSsl.isAvailable() && io.netty.handler.ssl.SslProvider.isTlsv13Supported(SslProvider.OPENSSL)
                        ? SslProvider.OPENSSL : SslProvider.JDK;
        }
    }

    /** The provider the Netty contexts use: OPENSSL (BoringSSL) or JDK. */
    public static SslProvider provider() {
        return PROVIDER;
    }

    /** The accepting side of a node-to-node connection. */
    public static SslContext nodeServer(TlsMaterial m) throws IOException {
        requireKey(m);
        return nodeServer(m.keyManagers()[0], m.trustManager());
    }

    /** As {@link #nodeServer(TlsMaterial)}, over managers that may change (a {@link ReloadableTls}). */
    public static SslContext nodeServer(KeyManager keys, X509TrustManager trust) throws IOException {
        try {
            return SslContextBuilder.forServer(keys).sslProvider(PROVIDER)
                    .trustManager(trust).clientAuth(ClientAuth.REQUIRE).protocols(NODE_PROTOCOLS).build();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot build the node TLS context: " + e.getMessage(), e);
        }
    }

    /** The dialling side of a node-to-node connection. */
    public static SslContext nodeClient(TlsMaterial m) throws IOException {
        requireKey(m);
        return nodeClient(m.keyManagers()[0], m.trustManager());
    }

    /** As {@link #nodeClient(TlsMaterial)}, over managers that may change. */
    public static SslContext nodeClient(KeyManager keys, X509TrustManager trust) throws IOException {
        try {
            return SslContextBuilder.forClient().sslProvider(PROVIDER).keyManager(keys)
                    .trustManager(trust).protocols(NODE_PROTOCOLS)
                    .endpointIdentificationAlgorithm(null).build();
        } catch (Exception e) {
            throw new IOException("cannot build the node TLS context: " + e.getMessage(), e);
        }
    }

    /** The client port and the HTTP port: clients may present a certificate, and need not. */
    public static SslContext clientFacing(TlsMaterial m) throws IOException {
        requireKey(m);
        return clientFacing(m.keyManagers()[0], m.trustManager());
    }

    /** As {@link #clientFacing(TlsMaterial)}, over managers that may change. */
    public static SslContext clientFacing(KeyManager keys, X509TrustManager trust) throws IOException {
        try {
            return SslContextBuilder.forServer(keys).sslProvider(PROVIDER)
                    .trustManager(trust).clientAuth(ClientAuth.OPTIONAL).protocols(CLIENT_PROTOCOLS).build();
        } catch (Exception e) {
            throw new IOException("cannot build the client-facing TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * A client's context.
     *
     * @param verifyHostName check the broker's address against its certificate's DNS/IP names (the
     *                       handler must then be made with the host: {@code newHandler(alloc, host, port)})
     */
    public static SslContext client(TlsMaterial m, boolean verifyHostName) throws IOException {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(PROVIDER)
                    .trustManager(m.trustManager()).protocols(CLIENT_PROTOCOLS)
                    .endpointIdentificationAlgorithm(verifyHostName ? "HTTPS" : null);
            if (m.hasKey()) {
                b.keyManager(m.keyManagers()[0]);
            }
            return b.build();
        } catch (Exception e) {
            throw new IOException("cannot build the client TLS context: " + e.getMessage(), e);
        }
    }

    /** A JDK context for libraries on blocking sockets (the membership transport): TLS 1.3, mutual. */
    public static SSLContext jdk(TlsMaterial m) throws IOException {
        requireKey(m);
        return jdk(m.keyManagers()[0], m.trustManager());
    }

    /** As {@link #jdk(TlsMaterial)}, over managers that may change. */
    public static SSLContext jdk(KeyManager keys, X509TrustManager trust) throws IOException {
        try {
            SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(new KeyManager[] {keys}, new javax.net.ssl.TrustManager[] {trust}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build the membership TLS context: " + e.getMessage(), e);
        }
    }

    /** The peer's leaf certificate on a connection whose handshake completed. */
    public static Optional<X509Certificate> peerCertificate(SslHandler handler) {
        return handler == null ? Optional.empty() : peerCertificate(handler.engine().getSession());
    }

    public static Optional<X509Certificate> peerCertificate(SSLSession session) {
        try {
            Certificate[] certs = session.getPeerCertificates();
            return certs.length > 0 && certs[0] instanceof X509Certificate x ? Optional.of(x) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static void requireKey(TlsMaterial m) throws IOException {
        if (!m.hasKey()) {
            throw new IOException("a node needs its own certificate and key (--tls-cert, --tls-key)");
        }
    }
}
