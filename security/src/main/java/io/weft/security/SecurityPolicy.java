package io.weft.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The users of a node and what each may do, from {@code --security-config FILE} (JSON). Immutable: a reload
 * builds a new one. Parsing fails on the first problem with the path of the field ({@code users[1].password_bcrypt:
 * ...}), unknown fields included: a misspelt key in a security file must not pass silently.
 *
 * <pre>{@code
 * {
 *   "users": [
 *     {"name": "alice",  "password_bcrypt": "$2b$10$...", "permissions": {"publish": {"allow": ["orders.{user}.>"]}}},
 *     {"name": "ingest", "token_sha256": "9f86d081884c7d65...", "permissions": {"subscribe": {"deny": [">"]}}},
 *     {"name": "ops",    "certificate": true, "permissions": {"admin": true}}
 *   ],
 *   "default_permissions": {"subscribe": {"allow": ["public.>"]}}
 * }
 * }</pre>
 *
 * A user authenticates with any method its entry names: a bcrypt password, a token (stored as the SHA-256
 * hex of the token, compared in constant time), a client certificate naming it
 * ({@code spiffe://MESH/weft/user/NAME}), or a JWT of the configured issuer ({@code "jwt": {"issuer": ...,
 * "keys": FILE, "audience": ..., "user_claim": "sub"}}, {@link JwtVerifier}) naming it. A user without {@code permissions} gets {@code default_permissions},
 * and without those, nothing but the ability to connect: an entry that forgets its permissions grants
 * nothing. {@code admin} defaults to false.
 */
public final class SecurityPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TOP = Set.of("users", "default_permissions", "jwt");
    private static final Set<String> USER = Set.of("name", "password_bcrypt", "token_sha256", "certificate", "jwt",
            "permissions");
    private static final Set<String> JWT = Set.of("issuer", "keys", "audience", "user_claim");
    private static final Set<String> PERMS = Set.of("publish", "subscribe", "queue", "admin");
    private static final Set<String> RULE = Set.of("allow", "deny");
    private static final Permissions NOTHING = new Permissions(
            new Permissions.Rule(List.of(), List.of(">")), new Permissions.Rule(List.of(), List.of(">")),
            new Permissions.Rule(List.of(), List.of()), false);

    /** One user: name, the ways it may authenticate, and its permissions ({@code {user}} already substituted). */
    public record User(String name, String passwordBcrypt, String tokenSha256, boolean certificate, boolean jwt,
                       Permissions permissions) {
        /** The methods this user may authenticate with: password, token, certificate, jwt. */
        public List<String> methods() {
            List<String> m = new ArrayList<>();
            if (passwordBcrypt != null) {
                m.add("password");
            }
            if (tokenSha256 != null) {
                m.add("token");
            }
            if (certificate) {
                m.add("certificate");
            }
            if (jwt) {
                m.add("jwt");
            }
            return m;
        }
    }

    /** A file that cannot be used, with the path of the field at fault. */
    public static final class PolicyException extends Exception {
        private static final long serialVersionUID = 1L;

        public PolicyException(String message) {
            super(message);
        }
    }

    /** A verified identity: the user, and until when (a JWT's exp; null for credentials that do not expire). */
    public record Authenticated(User user, java.time.Instant expires) {
    }

    private final Map<String, User> users;
    private final Map<String, User> byToken;
    private final JwtVerifier jwt;
    private final String digest;

    private SecurityPolicy(Map<String, User> users, JwtVerifier jwt, String digest) {
        this.users = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(users)); // in file order
        this.jwt = jwt;
        Map<String, User> tokens = new LinkedHashMap<>();
        users.values().stream().filter(u -> u.tokenSha256() != null).forEach(u -> tokens.put(u.tokenSha256(), u));
        this.byToken = Map.copyOf(tokens);
        this.digest = digest;
    }

    public static SecurityPolicy load(Path file) throws IOException, PolicyException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString(), file.toAbsolutePath().getParent());
    }

    /** Parses a policy; {@code source} names it in errors; files it names are relative to the working directory. */
    public static SecurityPolicy parse(String json, String source) throws PolicyException {
        return parse(json, source, Path.of("").toAbsolutePath());
    }

    /** Parses a policy; {@code source} names it in errors; files it names are relative to {@code dir}. */
    public static SecurityPolicy parse(String json, String source, Path dir) throws PolicyException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new PolicyException(source + ": not JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new PolicyException(source + ": the file must hold one JSON object");
        }
        only(root, TOP, source);
        Permissions defaults = root.has("default_permissions")
                ? permissions(root.get("default_permissions"), source + ": default_permissions") : NOTHING;
        JwtVerifier jwt = null;
        String jwtKeys = "";
        if (root.has("jwt")) {
            JsonNode j = root.get("jwt");
            String at = source + ": jwt";
            if (!j.isObject()) {
                throw new PolicyException(at + ": an object with issuer, keys, audience, user_claim");
            }
            only(j, JWT, at);
            String issuer = text(j, "issuer", at);
            String keys = text(j, "keys", at);
            if (issuer == null || issuer.isBlank()) {
                throw new PolicyException(at + ".issuer: required (the iss every token must carry)");
            }
            if (keys == null || keys.isBlank()) {
                throw new PolicyException(at + ".keys: required (a JWKS file or PEM public keys of the issuer)");
            }
            Path keyFile = dir.resolve(keys);
            try {
                jwt = JwtVerifier.load(issuer, text(j, "audience", at), text(j, "user_claim", at), keyFile);
                jwtKeys = Files.readString(keyFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new PolicyException(at + ".keys: " + (e instanceof java.nio.file.NoSuchFileException
                        ? keyFile + ": no such file" : e.getMessage()));
            }
        }
        JsonNode list = root.path("users");
        if (!list.isArray()) {
            throw new PolicyException(source + ": users: a list of users is required");
        }
        Map<String, User> users = new LinkedHashMap<>();
        Set<String> tokens = new java.util.HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = source + ": users[" + i + "]";
            User u = user(list.get(i), at, defaults);
            if (u.jwt() && jwt == null) {
                throw new PolicyException(at + ".jwt: user " + u.name() + " may use a JWT, but the config has no jwt "
                        + "issuer (\"jwt\": {\"issuer\": ..., \"keys\": ...})");
            }
            if (users.put(u.name(), u) != null) {
                throw new PolicyException(at + ".name: user " + u.name() + " is listed twice");
            }
            if (u.tokenSha256() != null && !tokens.add(u.tokenSha256())) {
                throw new PolicyException(at + ".token_sha256: the same token is given to another user");
            }
        }
        // the digest covers the issuer's keys too: a reload notices a rotated key file
        return new SecurityPolicy(users, jwt, sha256Hex(json + "\n" + jwtKeys));
    }

    private static User user(JsonNode n, String at, Permissions defaults) throws PolicyException {
        if (!n.isObject()) {
            throw new PolicyException(at + ": a user is an object");
        }
        only(n, USER, at);
        String name = text(n, "name", at);
        if (name == null || !SpiffeId.validName(name)) {
            throw new PolicyException(at + ".name: '" + name + "' is not a valid user name (letters, digits, '_', '.', '-')");
        }
        String bcrypt = text(n, "password_bcrypt", at);
        if (bcrypt != null && !bcrypt.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}")) {
            throw new PolicyException(at + ".password_bcrypt: not a bcrypt hash ($2a$, $2b$ or $2y$; "
                    + "meshctl security hash-password makes one)");
        }
        String token = text(n, "token_sha256", at);
        if (token != null && !token.matches("[0-9a-f]{64}")) {
            throw new PolicyException(at + ".token_sha256: not 64 lower-case hex digits (the SHA-256 of the token, "
                    + "e.g. printf %s TOKEN | sha256sum)");
        }
        boolean cert = flag(n, "certificate", at);
        boolean jwt = flag(n, "jwt", at);
        if (bcrypt == null && token == null && !cert && !jwt) {
            throw new PolicyException(at + ": user " + name + " has no way to authenticate "
                    + "(password_bcrypt, token_sha256, certificate or jwt)");
        }
        Permissions p = n.has("permissions") ? permissions(n.get("permissions"), at + ".permissions") : defaults;
        return new User(name, bcrypt, token, cert, jwt, p.forUser(name));
    }

    private static boolean flag(JsonNode n, String field, String at) throws PolicyException {
        if (!n.has(field)) {
            return false;
        }
        if (!n.get(field).isBoolean()) {
            throw new PolicyException(at + "." + field + ": true or false");
        }
        return n.get(field).asBoolean();
    }

    private static Permissions permissions(JsonNode n, String at) throws PolicyException {
        if (!n.isObject()) {
            throw new PolicyException(at + ": an object with publish, subscribe, queue, admin");
        }
        only(n, PERMS, at);
        boolean admin = false;
        if (n.has("admin")) {
            if (!n.get("admin").isBoolean()) {
                throw new PolicyException(at + ".admin: true or false");
            }
            admin = n.get("admin").asBoolean();
        }
        return new Permissions(rule(n.get("publish"), at + ".publish", true), rule(n.get("subscribe"), at + ".subscribe", true),
                rule(n.get("queue"), at + ".queue", false), admin);
    }

    private static Permissions.Rule rule(JsonNode n, String at, boolean patterns) throws PolicyException {
        if (n == null) {
            return Permissions.Rule.ANY;
        }
        if (!n.isObject()) {
            throw new PolicyException(at + ": an object with allow and deny lists");
        }
        only(n, RULE, at);
        return new Permissions.Rule(list(n.get("allow"), at + ".allow", patterns), list(n.get("deny"), at + ".deny", patterns));
    }

    private static List<String> list(JsonNode n, String at, boolean patterns) throws PolicyException {
        if (n == null) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new PolicyException(at + ": a list of " + (patterns ? "patterns" : "names"));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            String v = e.isTextual() ? e.asText() : null;
            // the topic syntax is checked by the caller (validatePatterns): this module does not own it
            if (v == null || v.isBlank() || v.chars().anyMatch(Character::isWhitespace)) {
                throw new PolicyException(at + "[" + i + "]: '" + (v == null ? e.toString() : v) + "' is not a "
                        + (patterns ? "pattern" : "name"));
            }
            out.add(v);
        }
        return out;
    }

    private static String text(JsonNode n, String field, String at) throws PolicyException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new PolicyException(at + "." + field + ": a string");
        }
        return v.asText();
    }

    private static void only(JsonNode n, Set<String> allowed, String at) throws PolicyException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new PolicyException(at + "." + f + ": unknown field (expected one of " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    /**
     * Checks every permission pattern with the caller's topic syntax ({@code {user}} replaced by the user's
     * name); the message names the user and the list.
     */
    public void validatePatterns(java.util.function.Consumer<String> validatePattern) throws PolicyException {
        for (User u : users.values()) {
            Permissions p = u.permissions();
            String[] names = {"publish.allow", "publish.deny", "subscribe.allow", "subscribe.deny"};
            List<List<String>> lists = List.of(p.publish().allow(), p.publish().deny(), p.subscribe().allow(), p.subscribe().deny());
            for (int i = 0; i < names.length; i++) {
                for (String pattern : lists.get(i)) {
                    try {
                        validatePattern.accept(pattern.replace("{user}", u.name()));
                    } catch (RuntimeException e) {
                        throw new PolicyException("user " + u.name() + ": permissions." + names[i] + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    public Optional<User> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    public List<User> users() {
        return List.copyOf(users.values());
    }

    /** The user {@code name} if {@code password} is its password. */
    public Optional<User> authenticatePassword(String name, char[] password) {
        User u = users.get(name);
        if (u == null || u.passwordBcrypt() == null) {
            return Optional.empty();
        }
        return OpenBSDBCrypt.checkPassword(u.passwordBcrypt(), password) ? Optional.of(u) : Optional.empty();
    }

    /** The user whose token this is. The lookup is by the token's SHA-256, so no secret is compared early-out. */
    public Optional<User> authenticateToken(String token) {
        String hash = sha256Hex(token);
        User u = byToken.get(hash);
        // a second, constant-time comparison: the map lookup compared hashes, never the token itself
        return u != null && MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
                u.tokenSha256().getBytes(StandardCharsets.US_ASCII)) ? Optional.of(u) : Optional.empty();
    }

    /**
     * The user a bearer token authenticates at {@code now}: a JWT of the configured issuer naming a user who
     * may use one (until its exp), or else a static token.
     */
    public Optional<Authenticated> authenticateBearer(String token, java.time.Instant now) {
        if (jwt != null && JwtVerifier.looksLikeJwt(token)) {
            try {
                JwtVerifier.Verified v = jwt.verify(token, now);
                User u = users.get(v.user());
                return u != null && u.jwt() ? Optional.of(new Authenticated(u, v.expires())) : Optional.empty();
            } catch (JwtVerifier.JwtException e) {
                return Optional.empty();
            }
        }
        return authenticateToken(token).map(u -> new Authenticated(u, null));
    }

    /** Why a JWT does not authenticate at {@code now}, or null when it does (for logs and {@code meshctl}). */
    public String jwtProblem(String token, java.time.Instant now) {
        if (jwt == null) {
            return "the config has no jwt issuer";
        }
        try {
            JwtVerifier.Verified v = jwt.verify(token, now);
            User u = users.get(v.user());
            return u == null ? "it names user " + v.user() + ", who is not in the config"
                    : !u.jwt() ? "user " + v.user() + " may not use a JWT (\"jwt\": true)" : null;
        } catch (JwtVerifier.JwtException e) {
            return e.getMessage();
        }
    }

    /** The user a client certificate names (its {@code spiffe://MESH/weft/user/NAME}), if that user may use one. */
    public Optional<User> authenticateCertificate(X509Certificate cert, String mesh) {
        Optional<SpiffeId> id;
        try {
            id = SpiffeId.of(cert);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return id.filter(i -> !i.isNode() && i.mesh().equals(mesh)).map(i -> users.get(i.name())).filter(User::certificate);
    }

    /** SHA-256 of the file's text, to tell which policy a node runs. */
    public String digest() {
        return digest;
    }

    public static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
