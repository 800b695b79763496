package io.weft.client;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import io.weft.protocol.HostPort;
import io.weft.security.TlsContexts;
import io.weft.security.TlsMaterial;
import java.io.IOException;

/** The client's TLS: one context from {@link ClientOptions}, one handler per connection. */
final class ClientTls {
    /** The broker a channel dials: the TLS handler needs its host for SNI and the host-name check. */
    static final AttributeKey<HostPort> PEER = AttributeKey.valueOf("weft.client.peer");

    private ClientTls() {
    }

    /** The context, or null when TLS is off. */
    static SslContext context(ClientOptions o) {
        if (o.tlsCa == null) {
            return null;
        }
        try {
            TlsMaterial m = o.tlsCert == null ? TlsMaterial.trustOnly(o.tlsCa) : TlsMaterial.load(o.tlsCert, o.tlsKey, o.tlsCa);
            return TlsContexts.client(m, o.tlsVerifyHostName);
        } catch (IOException e) {
            throw new MeshException("TLS: " + e.getMessage(), e);
        }
    }

    /** Puts the TLS handler first in a new channel's pipeline. */
    static void install(SslContext context, Channel ch) {
        HostPort peer = ch.attr(PEER).get();
        ch.pipeline().addLast("tls", peer == null ? context.newHandler(ch.alloc())
                : context.newHandler(ch.alloc(), peer.host(), peer.port()));
    }
}
