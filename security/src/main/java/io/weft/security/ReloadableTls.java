package io.weft.security;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS material that can be replaced while the node runs. Every TLS context of a node (Netty's, the
 * membership's JDK context, Ratis's gRPC one) is built once over {@link #keyManager()} and
 * {@link #trustManager()}, which ask the material current at each handshake: after {@link #set}, new
 * handshakes present the new certificate and trust the new CA bundle and CRLs; connections already up keep
 * the session they made.
 */
public final class ReloadableTls {
    private volatile TlsMaterial current;
    private final X509ExtendedKeyManager keys = new Keys();
    private final X509ExtendedTrustManager trust = new Trust();

    public ReloadableTls(TlsMaterial initial) {
        if (!initial.hasKey()) {
            throw new IllegalArgumentException("a node's TLS material needs a certificate and key");
        }
        this.current = initial;
    }

    public TlsMaterial current() {
        return current;
    }

    /** Replaces the material: the next handshake uses it. */
    public void set(TlsMaterial material) {
        if (!material.hasKey()) {
            throw new IllegalArgumentException("a node's TLS material needs a certificate and key");
        }
        this.current = material;
    }

    public X509ExtendedKeyManager keyManager() {
        return keys;
    }

    public X509ExtendedTrustManager trustManager() {
        return trust;
    }

    private X509ExtendedKeyManager currentKeys() {
        return (X509ExtendedKeyManager) current.keyManagers()[0];
    }

    private final class Keys extends X509ExtendedKeyManager {
        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return currentKeys().getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return currentKeys().chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return currentKeys().getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return currentKeys().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return currentKeys().chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return currentKeys().chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return currentKeys().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return currentKeys().getPrivateKey(alias);
        }
    }

    private final class Trust extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.trustManager().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.trustManager().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current.trustManager().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current.trustManager().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current.trustManager().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current.trustManager().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return current.trustManager().getAcceptedIssuers();
        }
    }
}
