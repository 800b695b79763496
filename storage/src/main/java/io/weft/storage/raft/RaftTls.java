package io.weft.storage.raft;

import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

/**
 * TLS for the raft port: this node's key manager, and a trust manager that accepts only the nodes that
 * may replicate with it (see {@code io.weft.security.SiteTrustManager}). With it, {@link StreamHost} uses
 * Ratis's gRPC transport, the one of Ratis's transports that speaks TLS.
 */
public record RaftTls(KeyManager keyManager, TrustManager trustManager) {
}
