package io.weft.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Verifies JSON Web Tokens (compact JWS, RFC 7515/7519) from one configured issuer. The keys come from a
 * file: a JWKS document ({@code {"keys": [...]}}; EC P-256/384/521, RSA, Ed25519) or PEM public keys or
 * certificates. Only asymmetric signatures are taken (ES256/384/512, RS256/384/512, EdDSA), and the
 * algorithm must fit the key's type, so a token cannot pick a weaker check ({@code none}, or HS256 keyed
 * with a public key). A token must name the issuer, carry {@code exp} (checked exactly), may carry
 * {@code nbf} (30 s of clock skew allowed), must list the audience when one is configured, and names its
 * user in {@code user_claim} (default {@code sub}).
 */
public final class JwtVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final Base64.Decoder B64URL = Base64.getUrlDecoder();
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN (PUBLIC KEY|CERTIFICATE)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    /** A token that does not authenticate, and why (for the log; the client is told only that it failed). */
    public static final class JwtException extends Exception {
        private static final long serialVersionUID = 1L;

        public JwtException(String message) {
            super(message);
        }
    }

    /** A verified token: the user it names and when it stops being valid. */
    public record Verified(String user, Instant expires) {
    }

    private final String issuer;
    private final String audience;
    private final String userClaim;
    private final Map<String, PublicKey> byId;
    private final List<PublicKey> all;

    JwtVerifier(String issuer, String audience, String userClaim, Map<String, PublicKey> byId, List<PublicKey> all) {
        this.issuer = issuer;
        this.audience = audience;
        this.userClaim = userClaim;
        this.byId = Map.copyOf(byId);
        this.all = List.copyOf(all);
    }

    /**
     * A verifier whose keys are in {@code keyFile}.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static JwtVerifier load(String issuer, String audience, String userClaim, Path keyFile) throws IOException {
        String text = Files.readString(keyFile, StandardCharsets.UTF_8);
        Map<String, PublicKey> byId = new LinkedHashMap<>();
        List<PublicKey> all = new ArrayList<>();
        if (text.stripLeading().startsWith("{")) {
            JsonNode keys = JSON.readTree(text).path("keys");
            if (!keys.isArray() || keys.isEmpty()) {
                throw new IOException(keyFile + ": a JWKS document needs a non-empty \"keys\" list");
            }
            for (int i = 0; i < keys.size(); i++) {
                JsonNode k = keys.get(i);
                if (k.has("use") && !"sig".equals(k.path("use").asText())) {
                    continue; // an encryption key
                }
                PublicKey key;
                try {
                    key = jwk(k);
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    throw new IOException(keyFile + ": keys[" + i + "]: " + e.getMessage());
                }
                all.add(key);
                if (k.hasNonNull("kid")) {
                    byId.put(k.get("kid").asText(), key);
                }
            }
        } else {
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                try {
                    all.add(m.group(1).equals("CERTIFICATE")
                            ? java.security.cert.CertificateFactory.getInstance("X.509")
                                    .generateCertificate(new java.io.ByteArrayInputStream(der)).getPublicKey()
                            : spki(der));
                } catch (GeneralSecurityException e) {
                    throw new IOException(keyFile + ": cannot read a " + m.group(1).toLowerCase() + ": " + e.getMessage());
                }
            }
        }
        if (all.isEmpty()) {
            throw new IOException(keyFile + ": no signing key in it (a JWKS document, or PEM PUBLIC KEY or CERTIFICATE blocks)");
        }
        return new JwtVerifier(issuer, audience, userClaim == null ? "sub" : userClaim, byId, all);
    }

    private static PublicKey spki(byte[] der) throws GeneralSecurityException {
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // the next algorithm
            }
        }
        throw new GeneralSecurityException("not an EC, RSA or Ed25519 public key");
    }

    private static PublicKey jwk(JsonNode k) throws GeneralSecurityException {
        String kty = k.path("kty").asText();
        switch (kty) {
            case "EC": {
                String curve = switch (k.path("crv").asText()) {
                    case "P-256" -> "secp256r1";
                    case "P-384" -> "secp384r1";
                    case "P-521" -> "secp521r1";
                    default -> throw new GeneralSecurityException("EC curve '" + k.path("crv").asText() + "' is not P-256, P-384 or P-521");
                };
                AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                p.init(new ECGenParameterSpec(curve));
                ECPoint w = new ECPoint(unsigned(k, "x"), unsigned(k, "y"));
                return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, p.getParameterSpec(ECParameterSpec.class)));
            }
            case "RSA":
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(unsigned(k, "n"), unsigned(k, "e")));
            case "OKP": {
                if (!"Ed25519".equals(k.path("crv").asText())) {
                    throw new GeneralSecurityException("OKP curve '" + k.path("crv").asText() + "' is not Ed25519");
                }
                byte[] x = bytes(k, "x");
                // RFC 8032: y little-endian, the top bit of the last byte is x's parity
                boolean xOdd = (x[x.length - 1] & 0x80) != 0;
                x[x.length - 1] &= 0x7f;
                byte[] be = new byte[x.length];
                for (int i = 0; i < x.length; i++) {
                    be[i] = x[x.length - 1 - i];
                }
                return KeyFactory.getInstance("Ed25519").generatePublic(
                        new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, be))));
            }
            default:
                throw new GeneralSecurityException("key type '" + kty + "' is not EC, RSA or OKP (symmetric keys are not taken)");
        }
    }

    private static byte[] bytes(JsonNode k, String field) throws GeneralSecurityException {
        if (!k.path(field).isTextual()) {
            throw new GeneralSecurityException("no '" + field + "'");
        }
        return B64URL.decode(k.get(field).asText());
    }

    private static BigInteger unsigned(JsonNode k, String field) throws GeneralSecurityException {
        return new BigInteger(1, bytes(k, field));
    }

    /** Whether {@code token} has the shape of a compact JWS (three base64url parts, a JSON header). */
    public static boolean looksLikeJwt(String token) {
        int a = token.indexOf('.');
        int b = a < 0 ? -1 : token.indexOf('.', a + 1);
        if (a <= 0 || b < 0 || token.indexOf('.', b + 1) >= 0) {
            return false;
        }
        try {
            byte[] header = B64URL.decode(token.substring(0, a));
            return header.length > 1 && header[0] == '{';
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Checks a token's signature and claims at {@code now}.
     *
     * @throws JwtException saying what is wrong with it
     */
    public Verified verify(String token, Instant now) throws JwtException {
        if (!looksLikeJwt(token)) {
            throw new JwtException("not a compact JWS");
        }
        int a = token.indexOf('.');
        int b = token.indexOf('.', a + 1);
        JsonNode header = json(token.substring(0, a), "header");
        JsonNode claims = json(token.substring(a + 1, b), "claims");
        byte[] signature;
        try {
            signature = B64URL.decode(token.substring(b + 1));
        } catch (IllegalArgumentException e) {
            throw new JwtException("the signature is not base64url");
        }
        String alg = header.path("alg").asText("");
        String jca = switch (alg) {
            case "ES256" -> "SHA256withECDSAinP1363Format";
            case "ES384" -> "SHA384withECDSAinP1363Format";
            case "ES512" -> "SHA512withECDSAinP1363Format";
            case "RS256" -> "SHA256withRSA";
            case "RS384" -> "SHA384withRSA";
            case "RS512" -> "SHA512withRSA";
            case "EdDSA" -> "Ed25519";
            default -> throw new JwtException("algorithm '" + alg + "' is not taken (ES256/384/512, RS256/384/512, EdDSA)");
        };
        List<PublicKey> candidates;
        if (header.hasNonNull("kid")) {
            PublicKey k = byId.get(header.get("kid").asText());
            if (k == null) {
                throw new JwtException("no key with kid '" + header.get("kid").asText() + "'");
            }
            candidates = List.of(k);
        } else {
            candidates = all;
        }
        byte[] signed = token.substring(0, b).getBytes(StandardCharsets.US_ASCII);
        boolean ok = false;
        for (PublicKey k : candidates) {
            if (fits(alg, k) && verifies(jca, k, signed, signature)) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            throw new JwtException("the signature does not verify with any " + alg + " key of the issuer");
        }
        if (!issuer.equals(claims.path("iss").asText(null))) {
            throw new JwtException("issuer '" + claims.path("iss").asText("") + "' is not '" + issuer + "'");
        }
        if (!claims.path("exp").isNumber()) {
            throw new JwtException("no exp claim: a token that never expires is not taken");
        }
        Instant exp = Instant.ofEpochSecond(claims.get("exp").asLong());
        if (!now.isBefore(exp)) {
            throw new JwtException("expired at " + exp);
        }
        if (claims.path("nbf").isNumber() && now.plus(SKEW).isBefore(Instant.ofEpochSecond(claims.get("nbf").asLong()))) {
            throw new JwtException("not valid before " + Instant.ofEpochSecond(claims.get("nbf").asLong()));
        }
        if (audience != null) {
            JsonNode aud = claims.path("aud");
            boolean listed = aud.isTextual() ? aud.asText().equals(audience)
                    : aud.isArray() && java.util.stream.StreamSupport.stream(aud.spliterator(), false)
                            .anyMatch(x -> audience.equals(x.asText()));
            if (!listed) {
                throw new JwtException("audience '" + audience + "' is not in aud");
            }
        }
        String user = claims.path(userClaim).asText("");
        if (user.isEmpty()) {
            throw new JwtException("no '" + userClaim + "' claim naming the user");
        }
        return new Verified(user, exp);
    }

    private static boolean fits(String alg, PublicKey k) {
        return alg.startsWith("ES") ? k instanceof ECPublicKey
                : alg.startsWith("RS") ? k instanceof RSAPublicKey
                : k instanceof EdECPublicKey;
    }

    private static boolean verifies(String jca, PublicKey k, byte[] signed, byte[] signature) {
        try {
            Signature s = Signature.getInstance(jca);
            s.initVerify(k);
            s.update(signed);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key of another curve or size than the algorithm's
        }
    }

    private static JsonNode json(String part, String what) throws JwtException {
        try {
            JsonNode n = JSON.readTree(B64URL.decode(part));
            if (n == null || !n.isObject()) {
                throw new JwtException("the " + what + " is not a JSON object");
            }
            return n;
        } catch (IOException | IllegalArgumentException e) {
            throw new JwtException("the " + what + " is not base64url JSON");
        }
    }
}
