package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecurityPolicyTest {
    @TempDir
    Path dir;

    private static final String HASH = OpenBSDBCrypt.generate("2b", "s3cret".toCharArray(), new byte[16], 6);
    private static final String TOKEN_SHA = SecurityPolicy.sha256Hex("tok-123");

    private static String policy(String users) {
        return "{\"users\": [" + users + "], \"default_permissions\": {\"subscribe\": {\"allow\": [\"public.>\"]}}}";
    }

    @Test
    void usersAuthenticateByPasswordTokenOrCertificate() throws Exception {
        SecurityPolicy p = SecurityPolicy.parse(policy("{\"name\":\"alice\",\"password_bcrypt\":\"" + HASH + "\","
                + "\"permissions\":{\"publish\":{\"allow\":[\"orders.{user}.>\"]},\"admin\":true}},"
                + "{\"name\":\"ingest\",\"token_sha256\":\"" + TOKEN_SHA + "\"},"
                + "{\"name\":\"ops\",\"certificate\":true}"), "test.json");
        assertEquals("alice", p.authenticatePassword("alice", "s3cret".toCharArray()).orElseThrow().name());
        assertTrue(p.authenticatePassword("alice", "wrong".toCharArray()).isEmpty());
        assertTrue(p.authenticatePassword("ingest", "s3cret".toCharArray()).isEmpty(), "ingest has no password");
        assertEquals("ingest", p.authenticateToken("tok-123").orElseThrow().name());
        assertTrue(p.authenticateToken("tok-124").isEmpty());
        TestPki pki = TestPki.create(dir, "demo");
        assertEquals("ops", p.authenticateCertificate(pki.user("ops").certificate(), "demo").orElseThrow().name());
        assertTrue(p.authenticateCertificate(pki.user("alice").certificate(), "demo").isEmpty(), "alice may not use one");
        assertTrue(p.authenticateCertificate(pki.user("ops").certificate(), "other").isEmpty(), "another mesh's user");
        assertTrue(p.authenticateCertificate(pki.node("a", "ops").certificate(), "demo").isEmpty(), "a node is no user");
        assertEquals(List.of("orders.alice.>"), p.user("alice").orElseThrow().permissions().publish().allow());
        assertTrue(p.user("alice").orElseThrow().permissions().admin());
        assertEquals(List.of("public.>"), p.user("ingest").orElseThrow().permissions().subscribe().allow(),
                "default_permissions apply without permissions");
        assertEquals(List.of("password"), p.user("alice").orElseThrow().methods());
    }

    @Test
    void aUserWithoutPermissionsOrDefaultsMayDoNothing() throws Exception {
        SecurityPolicy p = SecurityPolicy.parse("{\"users\":[{\"name\":\"x\",\"token_sha256\":\"" + TOKEN_SHA + "\"}]}", "t");
        Permissions none = p.user("x").orElseThrow().permissions();
        assertEquals(PermissionCheck.Decision.DENY, PermissionCheck.publish(none, "a", PermissionCheckTest.TOPICS).decision());
        assertEquals(PermissionCheck.Decision.DENY, PermissionCheck.subscribe(none, "a", "", PermissionCheckTest.TOPICS).decision());
    }

    @Test
    void errorsNameTheField() {
        String[][] cases = {
                {"{\"users\": [{\"name\":\"a\",\"password_bcrypt\":\"plain\"}]}", "users[0].password_bcrypt"},
                {"{\"users\": [{\"name\":\"a\",\"token_sha256\":\"XYZ\"}]}", "users[0].token_sha256"},
                {"{\"users\": [{\"name\":\"a\",\"pasword_bcrypt\":\"x\"}]}", "users[0].pasword_bcrypt: unknown field"},
                {"{\"users\": [{\"name\":\"a\"}]}", "has no way to authenticate"},
                {"{\"users\": [{\"name\":\"a b\",\"certificate\":true}]}", "users[0].name"},
                {"{\"users\": [{\"name\":\"a\",\"certificate\":true},{\"name\":\"a\",\"certificate\":true}]}", "listed twice"},
                {"{\"users\": [{\"name\":\"a\",\"certificate\":true,\"permissions\":{\"publish\":{\"allow\":\"x\"}}}]}",
                        "users[0].permissions.publish.allow"},
                {"{\"users\": [{\"name\":\"a\",\"certificate\":true,\"permissions\":{\"admin\":\"yes\"}}]}",
                        "users[0].permissions.admin"},
                {"{\"users\": [}", "not JSON"},
                {"{\"users\": [{\"name\":\"a\",\"jwt\":true}]}", "users[0].jwt: user a may use a JWT, but the config has no jwt issuer"},
                {"{\"jwt\": {\"keys\": \"k.pem\"}, \"users\": []}", "jwt.issuer: required"},
                {"{\"jwt\": {\"issuer\": \"i\"}, \"users\": []}", "jwt.keys: required"},
                {"{\"jwt\": {\"issuer\": \"i\", \"keys\": \"no-such-file.pem\"}, \"users\": []}", "no such file"},
                {"{\"jwt\": {\"issuer\": \"i\", \"keys\": \"k\", \"aud\": \"x\"}, \"users\": []}", "jwt.aud: unknown field"},
                {"{}", "users: a list of users is required"},
        };
        for (String[] c : cases) {
            String msg = assertThrows(SecurityPolicy.PolicyException.class, () -> SecurityPolicy.parse(c[0], "f.json"),
                    c[0]).getMessage();
            assertTrue(msg.startsWith("f.json") && msg.contains(c[1]), c[0] + " -> " + msg);
        }
    }

    @Test
    void aJwtNamesAUserWhoMayUseOneAndItsKeyFileIsPartOfTheDigest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair idp = g.generateKeyPair();
        java.nio.file.Files.writeString(dir.resolve("idp.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(idp.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        java.nio.file.Path file = dir.resolve("security.json");
        java.nio.file.Files.writeString(file, "{\"jwt\": {\"issuer\": \"i\", \"keys\": \"idp.pem\"}, \"users\": ["
                + "{\"name\":\"jane\",\"jwt\":true},{\"name\":\"joe\",\"certificate\":true}]}");
        SecurityPolicy p = SecurityPolicy.load(file); // idp.pem is found next to the config
        java.time.Instant now = java.time.Instant.now();
        String claims = "{\"iss\":\"i\",\"exp\":" + now.plusSeconds(60).getEpochSecond() + ",\"sub\":\"";
        SecurityPolicy.Authenticated a = p.authenticateBearer(TestJwt.sign("ES256", null, idp.getPrivate(), claims + "jane\"}"), now)
                .orElseThrow();
        assertTrue(a.user().name().equals("jane") && a.expires().equals(java.time.Instant.ofEpochSecond(now.plusSeconds(60).getEpochSecond())));
        String joe = TestJwt.sign("ES256", null, idp.getPrivate(), claims + "joe\"}");
        assertTrue(p.authenticateBearer(joe, now).isEmpty(), "joe may not use a JWT");
        assertTrue(p.jwtProblem(joe, now).contains("may not use a JWT"), p.jwtProblem(joe, now));
        assertTrue(p.user("jane").orElseThrow().methods().contains("jwt"));
        assertEquals(java.util.List.of("jane", "joe"), p.users().stream().map(SecurityPolicy.User::name).toList(),
                "users in file order");

        String before = p.digest();
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.nio.file.Files.writeString(dir.resolve("idp.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        assertTrue(!before.equals(SecurityPolicy.load(file).digest()), "a rotated key file changes the digest");
    }

    @Test
    void patternsAreCheckedWithTheCallersTopicSyntax() throws Exception {
        SecurityPolicy p = SecurityPolicy.parse("{\"users\":[{\"name\":\"a\",\"certificate\":true,"
                + "\"permissions\":{\"subscribe\":{\"deny\":[\"orders.>.x\"]}}}]}", "t");
        String msg = assertThrows(SecurityPolicy.PolicyException.class,
                () -> p.validatePatterns(io.weft.protocol.Topics::validatePattern)).getMessage();
        assertTrue(msg.contains("user a") && msg.contains("subscribe.deny") && msg.contains("orders.>.x"), msg);
    }
}
