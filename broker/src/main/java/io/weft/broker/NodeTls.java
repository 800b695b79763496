package io.weft.broker;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.weft.security.ReloadableTls;
import io.weft.security.SpiffeId;
import io.weft.security.TlsContexts;
import io.weft.security.TlsMaterial;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's TLS, from {@code --tls-cert --tls-key --tls-ca [--tls-crl]}: the material is loaded and checked at
 * start (its certificate must name this node of this site), and every plane gets its context from here: the
 * client and HTTP ports, mesh links, membership (JGroups) and the raft port (Ratis over gRPC). The contexts
 * are built over a {@link ReloadableTls}, so {@link #reload} swaps certificate, key, CA bundle and CRLs for
 * the next handshake on every plane without a restart.
 */
final class NodeTls {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTls.class);

    private final MeshdConfig config;
    private final ReloadableTls live;
    /** SHA-256 over the files the current material came from: a reload of unchanged files does nothing. */
    private String filesDigest;
    private final SslContext clientFacing;
    private final SslContext nodeServer;
    private final SslContext nodeClient;
    private final SSLContext membership;
    private final long handshakeTimeoutMillis;
    private final int maxHandshakes;
    /** TLS handshakes under way, one bound per port: a flood of the client port leaves /metrics reachable. */
    private final java.util.concurrent.atomic.AtomicInteger clientPortHandshakes = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger httpPortHandshakes = new java.util.concurrent.atomic.AtomicInteger();
    /** Connections refused for too many handshakes under way, both ports. */
    private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();
    private volatile long lastRefusalLog;

    private NodeTls(MeshdConfig config, TlsMaterial material, String filesDigest) throws IOException {
        this.config = config;
        this.live = new ReloadableTls(material);
        this.filesDigest = filesDigest;
        this.handshakeTimeoutMillis = config.handshakeTimeoutMillis;
        this.maxHandshakes = config.maxHandshakesInFlight;
        this.clientFacing = TlsContexts.clientFacing(live.keyManager(), live.trustManager());
        this.nodeServer = TlsContexts.nodeServer(live.keyManager(), live.trustManager());
        this.nodeClient = TlsContexts.nodeClient(live.keyManager(), live.trustManager());
        this.membership = TlsContexts.jdk(live.keyManager(), live.trustManager());
    }

    /** The node's TLS, or null when the configuration has none. */
    static NodeTls of(MeshdConfig config) throws IOException {
        if (!config.tlsEnabled()) {
            return null;
        }
        TlsMaterial m = load(config);
        LOG.info("TLS on every port ({} provider): this node is {} (certificate serial {}, valid until {}{})",
                TlsContexts.provider(), m.identity(), m.certificate().getSerialNumber().toString(16), m.notAfter(),
                m.revocations().size() > 0 ? "; " + m.revocations().size() + " certificate(s) revoked by --tls-crl" : "");
        return new NodeTls(config, m, digest(config));
    }

    /** Reads and checks the files: the certificate names this node, the key is its key, the CRLs are the CA's. */
    private static TlsMaterial load(MeshdConfig config) throws IOException {
        TlsMaterial m = TlsMaterial.load(Path.of(config.tlsCert), Path.of(config.tlsKey), Path.of(config.tlsCa));
        m.requireNode(config.site, config.node);
        if (m.keyReadableByOthers()) {
            LOG.warn("the TLS key {} is readable by group or others: chmod 600 it", config.tlsKey);
        }
        if (config.tlsCrl != null && !config.tlsCrl.isBlank()) {
            io.weft.security.RevocationList crl = io.weft.security.RevocationList.load(Path.of(config.tlsCrl), m.trusted());
            if (crl.nextUpdate() != null && crl.nextUpdate().isBefore(Instant.now())) {
                LOG.warn("the CRL {} was due for an update at {}: it still revokes what it lists; publish a new one",
                        config.tlsCrl, crl.nextUpdate());
            }
            m = m.withRevocations(crl);
        }
        return m;
    }

    /** The TLS files of the config, each by its content. */
    static String digest(MeshdConfig config) throws IOException {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (Path f : files(config)) {
                d.update(java.nio.file.Files.readAllBytes(f));
                d.update((byte) 0);
            }
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads the TLS files again and, when they changed and are valid, uses them from the next handshake on.
     * Invalid files change nothing: the node keeps the material it has.
     *
     * @return whether the material changed
     * @throws IOException naming the file and the check that failed
     */
    synchronized boolean reload() throws IOException {
        String d = digest(config);
        if (d.equals(filesDigest)) {
            return false;
        }
        TlsMaterial m = load(config);
        live.set(m);
        filesDigest = d;
        LOG.info("TLS material reloaded: {} (certificate serial {}, valid until {}; {} certificate(s) revoked)",
                m.identity(), m.certificate().getSerialNumber().toString(16), m.notAfter(), m.revocations().size());
        return true;
    }

    /** The files a reload reads, for the file watch. */
    java.util.List<Path> files() {
        return files(config);
    }

    private static java.util.List<Path> files(MeshdConfig config) {
        java.util.List<Path> out = new java.util.ArrayList<>();
        for (String f : new String[] {config.tlsCert, config.tlsKey, config.tlsCa, config.tlsCrl}) {
            if (f != null && !f.isBlank()) {
                out.add(Path.of(f));
            }
        }
        return out;
    }

    SpiffeId identity() {
        return live.current().identity();
    }

    /**
     * A server-side handler for the client port, or null when {@code --max-handshakes-in-flight} handshakes
     * are under way on it already: the caller closes the connection (a flood of handshakes costs this node a
     * few cheap closes, not a key exchange each).
     */
    SslHandler clientPortHandler(Channel ch) {
        return clientFacingHandler(ch, clientPortHandshakes, "client");
    }

    /** As {@link #clientPortHandler}, for the HTTP port, with a bound of its own. */
    SslHandler httpPortHandler(Channel ch) {
        return clientFacingHandler(ch, httpPortHandshakes, "HTTP");
    }

    private SslHandler clientFacingHandler(Channel ch, java.util.concurrent.atomic.AtomicInteger handshakes,
            String port) {
        if (handshakes.incrementAndGet() > maxHandshakes) {
            handshakes.decrementAndGet();
            refused.increment();
            long now = System.nanoTime();
            if (now - lastRefusalLog > 10_000_000_000L) {
                lastRefusalLog = now;
                LOG.warn("more than {} TLS handshakes under way on the {} port: refusing new connections until some "
                        + "finish ({} refused so far on both ports; --max-handshakes-in-flight)", maxHandshakes, port,
                        refused.sum());
            }
            return null;
        }
        SslHandler h = clientFacing.newHandler(ch.alloc());
        h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        h.handshakeFuture().addListener(f -> handshakes.decrementAndGet());
        return h;
    }

    /** Connections refused because too many handshakes were under way. */
    long handshakesRefused() {
        return refused.sum();
    }

    SslContext nodeServer() {
        return nodeServer;
    }

    SslContext nodeClient() {
        return nodeClient;
    }

    SSLContext membership() {
        return membership;
    }

    /** The raft port's TLS: only nodes of this node's site may replicate with it. */
    io.weft.storage.raft.RaftTls raft() {
        SpiffeId id = identity();
        return new io.weft.storage.raft.RaftTls(live.keyManager(),
                new io.weft.security.SiteTrustManager(live.trustManager(), id.mesh(), id.site()));
    }

    Instant notAfter() {
        return live.current().notAfter();
    }

    /** What {@code /v1/node} shows under "tls". */
    Map<String, Object> describe() {
        TlsMaterial material = live.current();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", material.identity().toString());
        m.put("serial", material.certificate().getSerialNumber().toString(16));
        m.put("notAfter", material.notAfter().toString());
        m.put("revoked", material.revocations().size());
        return m;
    }
}
