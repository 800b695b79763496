package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JWTs of one issuer: signatures by key type and kid, the claims that must hold, and the tokens refused. */
class JwtVerifierTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final String ISS = "https://idp.example";
    @TempDir
    static Path dir;
    static KeyPair ec;
    static KeyPair rsa;
    static KeyPair ed;
    static KeyPair other;
    static JwtVerifier jwks;
    static JwtVerifier pem;

    @BeforeAll
    static void keys() throws Exception {
        ec = generate("EC", new ECGenParameterSpec("secp256r1"));
        other = generate("EC", new ECGenParameterSpec("secp256r1"));
        KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
        r.initialize(2048);
        rsa = r.generateKeyPair();
        ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path jwksFile = dir.resolve("jwks.json");
        Files.writeString(jwksFile, "{\"keys\":[" + ecJwk("ec-1", (ECPublicKey) ec.getPublic()) + ","
                + "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"use\":\"sig\",\"n\":\"" + b64(((RSAPublicKey) rsa.getPublic()).getModulus())
                + "\",\"e\":\"" + b64(((RSAPublicKey) rsa.getPublic()).getPublicExponent()) + "\"},"
                + "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed-1\",\"x\":\"" + edX(ed) + "\"},"
                + "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}");
        jwks = JwtVerifier.load(ISS, "weft", null, jwksFile);
        Path pemFile = dir.resolve("keys.pem");
        Files.writeString(pemFile, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(ec.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        pem = JwtVerifier.load(ISS, null, "preferred_username", pemFile);
    }

    private static KeyPair generate(String alg, java.security.spec.AlgorithmParameterSpec spec) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
        g.initialize(spec);
        return g.generateKeyPair();
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String b64(BigInteger i) {
        byte[] b = i.toByteArray();
        return b64(b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b);
    }

    private static String ecJwk(String kid, ECPublicKey k) {
        return "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"" + kid + "\",\"x\":\"" + b64(fixed(k.getW().getAffineX()))
                + "\",\"y\":\"" + b64(fixed(k.getW().getAffineY())) + "\"}";
    }

    private static byte[] fixed(BigInteger i) {
        byte[] b = i.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    /** The raw Ed25519 public key: the last 32 bytes of its X.509 encoding. */
    private static String edX(KeyPair kp) {
        byte[] spki = kp.getPublic().getEncoded();
        return b64(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    }

    static String token(String alg, String kid, PrivateKey key, String claims) throws GeneralSecurityException {
        return TestJwt.sign(alg, kid, key, claims);
    }

    private static String claims(String sub, Instant exp) {
        return "{\"iss\":\"" + ISS + "\",\"sub\":\"" + sub + "\",\"aud\":[\"other\",\"weft\"],\"exp\":" + exp.getEpochSecond() + "}";
    }

    @Test
    void eachKeyTypeOfTheJwksVerifies() throws Exception {
        Instant exp = NOW.plusSeconds(600);
        assertEquals(new JwtVerifier.Verified("alice", exp), jwks.verify(token("ES256", "ec-1", ec.getPrivate(), claims("alice", exp)), NOW));
        assertEquals("bob", jwks.verify(token("RS256", "rsa-1", rsa.getPrivate(), claims("bob", exp)), NOW).user());
        assertEquals("carol", jwks.verify(token("EdDSA", "ed-1", ed.getPrivate(), claims("carol", exp)), NOW).user());
        assertEquals("dave", jwks.verify(token("ES256", null, ec.getPrivate(), claims("dave", exp)), NOW).user(),
                "without a kid every key of the algorithm's type is tried");
    }

    @Test
    void pemKeysAndAnotherUserClaim() throws Exception {
        String t = token("ES256", null, ec.getPrivate(), "{\"iss\":\"" + ISS + "\",\"preferred_username\":\"erin\",\"exp\":"
                + NOW.plusSeconds(60).getEpochSecond() + "}");
        assertEquals("erin", pem.verify(t, NOW).user());
    }

    private static String refusal(JwtVerifier v, String token) {
        return assertThrows(JwtVerifier.JwtException.class, () -> v.verify(token, NOW)).getMessage();
    }

    @Test
    void tokensThatMustNotAuthenticate() throws Exception {
        Instant exp = NOW.plusSeconds(600);
        assertTrue(refusal(jwks, token("ES256", "ec-1", ec.getPrivate(), claims("a", NOW))).contains("expired"));
        assertTrue(refusal(jwks, token("ES256", "ec-1", other.getPrivate(), claims("a", exp))).contains("does not verify"));
        assertTrue(refusal(jwks, token("ES256", "nope", ec.getPrivate(), claims("a", exp))).contains("no key with kid"));
        assertTrue(refusal(jwks, token("ES256", "ec-1", ec.getPrivate(),
                claims("a", exp).replace(ISS, "https://evil.example"))).contains("issuer"));
        assertTrue(refusal(jwks, token("ES256", "ec-1", ec.getPrivate(),
                "{\"iss\":\"" + ISS + "\",\"sub\":\"a\",\"aud\":\"other\",\"exp\":" + exp.getEpochSecond() + "}")).contains("audience"));
        assertTrue(refusal(jwks, token("ES256", "ec-1", ec.getPrivate(),
                "{\"iss\":\"" + ISS + "\",\"sub\":\"a\",\"aud\":\"weft\"}")).contains("no exp"));
        assertTrue(refusal(jwks, token("ES256", "ec-1", ec.getPrivate(), "{\"iss\":\"" + ISS + "\",\"sub\":\"a\",\"aud\":\"weft\","
                + "\"exp\":" + exp.getEpochSecond() + ",\"nbf\":" + NOW.plusSeconds(120).getEpochSecond() + "}")).contains("not valid before"));
        // the key type decides, not the token: an EC key does not check an RS256 signature, whatever the kid
        assertTrue(refusal(jwks, token("RS256", "ec-1", rsa.getPrivate(), claims("a", exp))).contains("does not verify"));
        // unsigned and symmetric tokens are refused by their algorithm
        String body = b64(claims("a", exp).getBytes(StandardCharsets.UTF_8));
        assertTrue(refusal(jwks, b64("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + body + ".").contains("'none'"));
        assertTrue(refusal(jwks, b64("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8)) + "." + body + ".c2ln").contains("'HS256'"));
        // a token whose payload was changed after signing
        String good = token("ES256", "ec-1", ec.getPrivate(), claims("a", exp));
        String[] parts = good.split("\\.");
        String forged = parts[0] + "." + b64(claims("admin", exp).getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertTrue(refusal(jwks, forged).contains("does not verify"));
    }

    @Test
    void onlyTheCompactShapeLooksLikeAJwt() throws Exception {
        assertTrue(JwtVerifier.looksLikeJwt(token("ES256", null, ec.getPrivate(), claims("a", NOW))));
        assertFalse(JwtVerifier.looksLikeJwt("ingest-token"));
        assertFalse(JwtVerifier.looksLikeJwt("a.b.c"));
        assertFalse(JwtVerifier.looksLikeJwt("a.b.c.d"));
    }

    @Test
    void aKeyFileWithoutKeysIsRefusedWithItsName() throws IOException {
        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "{\"keys\": []}");
        assertTrue(assertThrows(IOException.class, () -> JwtVerifier.load(ISS, null, null, empty)).getMessage().contains("empty.json"));
        Path sym = dir.resolve("sym.json");
        Files.writeString(sym, "{\"keys\": [{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
        assertTrue(assertThrows(IOException.class, () -> JwtVerifier.load(ISS, null, null, sym)).getMessage().contains("symmetric"));
    }
}
