package io.weft.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;

/** Signs compact JWS tokens for tests (ES256, RS256, EdDSA), as an identity provider would. */
public final class TestJwt {
    private TestJwt() {
    }

    public static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A token with header {@code {"alg": alg, "kid": kid}} (no kid when null) over the claims JSON. */
    public static String sign(String alg, String kid, PrivateKey key, String claims) throws GeneralSecurityException {
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"" + (kid == null ? "" : ",\"kid\":\"" + kid + "\"") + "}";
        String signed = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
        String jca = switch (alg) {
            case "ES256" -> "SHA256withECDSAinP1363Format";
            case "RS256" -> "SHA256withRSA";
            case "EdDSA" -> "Ed25519";
            default -> throw new IllegalArgumentException(alg);
        };
        Signature s = Signature.getInstance(jca);
        s.initSign(key);
        s.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + b64(s.sign());
    }
}
