package io.weft.broker;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
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
 * A node's TLS, from {@code --tls-cert --tls-key --tls-ca}: the material is loaded and checked at start
 * (its certificate must name this node of this site), and every plane gets its context from here: the
 * client and HTTP ports, mesh links, membership (JGroups) and the raft port (Ratis over gRPC).
 */
final class NodeTls {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTls.class);

    private final TlsMaterial material;
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

    private NodeTls(TlsMaterial material, long handshakeTimeoutMillis, int maxHandshakes) throws IOException {
        this.material = material;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.maxHandshakes = maxHandshakes;
        this.clientFacing = TlsContexts.clientFacing(material);
        this.nodeServer = TlsContexts.nodeServer(material);
        this.nodeClient = TlsContexts.nodeClient(material);
        this.membership = TlsContexts.jdk(material);
    }

    /** The node's TLS, or null when the configuration has none. */
    static NodeTls of(MeshdConfig config) throws IOException {
        if (!config.tlsEnabled()) {
            return null;
        }
        TlsMaterial m = TlsMaterial.load(Path.of(config.tlsCert), Path.of(config.tlsKey), Path.of(config.tlsCa));
        m.requireNode(config.site, config.node);
        if (m.keyReadableByOthers()) {
            LOG.warn("the TLS key {} is readable by group or others: chmod 600 it", config.tlsKey);
        }
        LOG.info("TLS on every port: this node is {} (certificate serial {}, valid until {})",
                m.identity(), m.certificate().getSerialNumber().toString(16), m.notAfter());
        return new NodeTls(m, config.handshakeTimeoutMillis, config.maxHandshakesInFlight);
    }

    SpiffeId identity() {
        return material.identity();
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
        SpiffeId id = material.identity();
        return new io.weft.storage.raft.RaftTls(material.keyManagers()[0],
                new io.weft.security.SiteTrustManager(material.trustManager(), id.mesh(), id.site()));
    }

    Instant notAfter() {
        return material.notAfter();
    }

    /** What {@code /v1/node} shows under "tls". */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", material.identity().toString());
        m.put("serial", material.certificate().getSerialNumber().toString(16));
        m.put("notAfter", material.notAfter().toString());
        return m;
    }
}
