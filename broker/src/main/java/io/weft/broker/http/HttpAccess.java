package io.weft.broker.http;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.weft.security.Permissions;
import io.weft.security.SecurityPolicy;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who sends an HTTP request, under the node's security config: HTTP Basic (a user's password),
 * {@code Authorization: Bearer} (a token), or a TLS client certificate naming a user. Without a config every
 * request may do everything ({@link #OPEN}).
 */
@FunctionalInterface
public interface HttpAccess {
    /** Everything, for everyone: a node without a security config. */
    HttpAccess OPEN = (request, cert) -> Permissions.ALL;

    /** The challenge of a 401. */
    String CHALLENGE = "Basic realm=\"weft\", Bearer realm=\"weft\"";

    /**
     * The permissions of the request's sender.
     *
     * @throws HttpProblem 401 when it names nobody
     */
    Permissions authenticate(FullHttpRequest request, Optional<X509Certificate> clientCertificate);

    /**
     * Access under {@code policy}.
     *
     * @param mesh    the mesh name a user certificate must carry
     * @param failure told the method of each failed authentication (password, token, jwt, none)
     */
    static HttpAccess of(SecurityPolicy policy, String mesh, Consumer<String> failure) {
        return (request, cert) -> {
            String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            Optional<SecurityPolicy.User> user = Optional.empty();
            String method = "none";
            if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
                method = "password";
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    decoded = "";
                }
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    user = policy.authenticatePassword(decoded.substring(0, colon), decoded.substring(colon + 1).toCharArray());
                }
            } else if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                String token = header.substring(7).trim();
                method = io.weft.security.JwtVerifier.looksLikeJwt(token) ? "jwt" : "token";
                user = policy.authenticateBearer(token, java.time.Instant.now()).map(SecurityPolicy.Authenticated::user);
            } else if (cert.isPresent() && mesh != null) {
                user = policy.authenticateCertificate(cert.get(), mesh);
            }
            if (user.isEmpty()) {
                failure.accept(method);
                throw HttpProblem.unauthorized(header == null
                        ? "this node requires authentication: HTTP Basic (user and password), Bearer (token) or a client certificate"
                        : "authentication failed");
            }
            return user.get().permissions();
        };
    }
}
