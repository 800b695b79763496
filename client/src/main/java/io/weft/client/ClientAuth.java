package io.weft.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.Frames;
import io.weft.protocol.Info;
import java.util.Arrays;

/** The client's side of authentication: the AUTH frame a broker that requires one gets. */
final class ClientAuth {
    private ClientAuth() {
    }

    /**
     * Sends AUTH with the options' credentials.
     *
     * @throws MeshException AUTH_REQUIRED when the options have none the broker takes
     */
    static void answer(ClientOptions o, Info info, Channel ch) {
        java.util.List<String> methods = Arrays.asList(info.authMethods().split(","));
        Frames.Auth auth;
        if (o.password != null && methods.contains("password")) {
            auth = new Frames.Auth(Frames.AUTH_PASSWORD, o.user, o.password);
        } else if (o.token != null && methods.contains("token")) {
            auth = new Frames.Auth(Frames.AUTH_TOKEN, "", o.token);
        } else if (o.tlsCert != null) {
            // the broker asks for AUTH after the TLS handshake carried our certificate: it names no user there
            throw new MeshException(ErrorCode.AUTH_FAILED, "broker " + info.node() + " does not take the client "
                    + "certificate " + o.tlsCert + " (it names no user of the broker's security config)"
                    + (info.authMethods().isEmpty() ? "" : "; it also takes " + info.authMethods()), null);
        } else {
            throw new MeshException(ErrorCode.AUTH_REQUIRED, "broker " + info.node() + " requires authentication ("
                    + (info.authMethods().isEmpty() ? "a client certificate" : info.authMethods() + ", or a client certificate")
                    + "): give a user and password, a token, or a certificate its config names", null);
        }
        ByteBuf frame = ch.alloc().buffer(64);
        Frames.writeAuth(frame, auth);
        ch.writeAndFlush(frame);
    }
}
