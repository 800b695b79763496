package io.weft.broker;

import io.weft.protocol.ErrorCode;
import io.weft.protocol.Frames;
import io.weft.protocol.ProtocolException;
import io.weft.security.PermissionCheck;
import io.weft.security.Permissions;
import io.weft.security.SecurityPolicy;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Who one client connection is, under the node's security config, and what it may do. Without a config
 * every connection may do everything (and no check runs on the hot path). With one, a connection is
 * nobody until it authenticates: by its TLS client certificate at HELLO, or by an AUTH frame.
 * Event loop only.
 */
final class SessionAccess {
    private SecurityPolicy policy;
    private SecurityPolicy.User user;
    /** How the user authenticated: password, token or certificate. */
    private String method;

    SessionAccess(SecurityPolicy policy) {
        this.policy = policy;
    }

    /** Whether the connection must still authenticate before anything else. */
    boolean required() {
        return policy != null && user == null;
    }

    /** Whether permission checks apply (a config is in force and the user is known). */
    boolean restricted() {
        return user != null;
    }

    String userName() {
        return user == null ? "" : user.name();
    }

    Permissions permissions() {
        return user == null ? Permissions.ALL : user.permissions();
    }

    /**
     * At HELLO over TLS: a client certificate naming a user who may use one authenticates the connection. A
     * certificate that names nobody of the config is counted as a failure; the client may still send AUTH.
     */
    void fromCertificate(Optional<X509Certificate> cert, String mesh, BrokerMetrics metrics) {
        if (policy != null && cert.isPresent() && mesh != null) {
            policy.authenticateCertificate(cert.get(), mesh).ifPresentOrElse(u -> {
                user = u;
                method = "certificate";
            }, () -> metrics.authFailures.labelValues("certificate").inc());
        }
    }

    /** The AUTH methods some user of the config can use, for INFO. */
    String methods() {
        Set<String> m = new LinkedHashSet<>();
        for (SecurityPolicy.User u : policy.users()) {
            // a JWT travels as a token
            u.methods().stream().filter(x -> !x.equals("certificate")).map(x -> x.equals("jwt") ? "token" : x)
                    .forEach(m::add);
        }
        return String.join(",", m);
    }

    /**
     * Checks an AUTH frame.
     *
     * @throws ProtocolException AUTH_FAILED (fatal) when the credentials name nobody; the message says
     *                           nothing about which part was wrong
     */
    java.time.Instant authenticate(Frames.Auth auth, BrokerMetrics metrics, java.time.Instant now) {
        if (!required()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "AUTH when none was asked for");
        }
        boolean jwt = auth.method() == Frames.AUTH_TOKEN && io.weft.security.JwtVerifier.looksLikeJwt(auth.secret());
        String how = auth.method() == Frames.AUTH_PASSWORD ? "password" : jwt ? "jwt" : "token";
        Optional<SecurityPolicy.Authenticated> a = switch (auth.method()) {
            case Frames.AUTH_PASSWORD -> policy.authenticatePassword(auth.user(), auth.secret().toCharArray())
                    .map(u -> new SecurityPolicy.Authenticated(u, null));
            case Frames.AUTH_TOKEN -> policy.authenticateBearer(auth.secret(), now);
            default -> throw new ProtocolException(ErrorCode.AUTH_FAILED, "unknown AUTH method " + auth.method());
        };
        if (a.isEmpty()) {
            metrics.authFailures.labelValues(how).inc();
            throw new ProtocolException(ErrorCode.AUTH_FAILED, "authentication failed"
                    + (jwt ? ": " + policy.jwtProblem(auth.secret(), now) : ""));
        }
        user = a.get().user();
        method = how;
        return a.get().expires();
    }

    /**
     * A reloaded security config. A connection not yet authenticated authenticates under it; an
     * authenticated one keeps its user when the user is still there with the same credential it used
     * (password hash, token hash, or certificate allowed), and takes the user's new permissions.
     *
     * @return null when the connection may stay, else why it may not
     */
    String policyChanged(SecurityPolicy next) {
        this.policy = next;
        if (user == null) {
            return null;
        }
        String name = user.name();
        SecurityPolicy.User now = next.users().stream().filter(u -> u.name().equals(name)).findFirst().orElse(null);
        if (now == null) {
            return "user " + name + " was removed from the security config";
        }
        boolean same = switch (method) {
            case "password" -> java.util.Objects.equals(now.passwordBcrypt(), user.passwordBcrypt());
            case "token" -> java.util.Objects.equals(now.tokenSha256(), user.tokenSha256());
            case "jwt" -> now.jwt(); // its signature and expiry were checked at AUTH; its deadline still runs
            default -> now.certificate();
        };
        if (!same) {
            return "the " + method + " user " + name + " authenticated with is no longer valid in the security config";
        }
        user = now;
        return null;
    }

    /** The verdict on a publish to {@code topic} (allowed without a config in force); counted when denied. */
    PermissionCheck.Verdict publish(String topic, BrokerMetrics metrics) {
        if (!restricted()) {
            return PermissionCheck.Verdict.ALLOWED;
        }
        PermissionCheck.Verdict v = PermissionCheck.publish(user.permissions(), topic, TopicRules.INSTANCE);
        if (!v.allowed()) {
            metrics.permissionDenials.labelValues("publish").inc();
        }
        return v;
    }

    /** The verdict on a subscription (allowed without a config in force); counted when denied. */
    PermissionCheck.Verdict subscribe(String pattern, String queueGroup, BrokerMetrics metrics) {
        if (!restricted()) {
            return PermissionCheck.Verdict.ALLOWED;
        }
        PermissionCheck.Verdict v = PermissionCheck.subscribe(user.permissions(), pattern, queueGroup, TopicRules.INSTANCE);
        if (!v.allowed()) {
            metrics.permissionDenials.labelValues("subscribe").inc();
        }
        return v;
    }

    /**
     * What a subscription allowed by {@code v} must withhold: the user's permissions when a deny only
     * overlaps its pattern (each event is then checked), else null.
     */
    Permissions withheld(PermissionCheck.Verdict v) {
        return v.decision() == PermissionCheck.Decision.FILTERED ? user.permissions() : null;
    }

    /** Whether the user may administer (streams, consumers, node documents); counted when not. */
    boolean admin(BrokerMetrics metrics) {
        if (!restricted() || user.permissions().admin()) {
            return true;
        }
        metrics.permissionDenials.labelValues("admin").inc();
        return false;
    }
}
