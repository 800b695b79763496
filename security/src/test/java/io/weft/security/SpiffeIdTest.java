package io.weft.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpiffeIdTest {
    @TempDir
    Path dir;

    @Test
    void nodeAndUserIdsRoundTrip() {
        SpiffeId n = SpiffeId.node("demo", "cloud", "cloud-1");
        assertEquals("spiffe://demo/weft/site/cloud/node/cloud-1", n.toString());
        assertEquals(n, SpiffeId.parse(n.toString()));
        SpiffeId u = SpiffeId.user("demo", "alice");
        assertEquals("spiffe://demo/weft/user/alice", u.toString());
        assertEquals(u, SpiffeId.parse(u.uri().toString()));
        assertTrue(n.isNode());
    }

    @Test
    void malformedIdsAreRefusedWithTheReason() {
        for (String bad : new String[] {"https://demo/weft/user/a", "spiffe://demo/other/user/a", "spiffe://demo/weft/site/s/node",
                "spiffe://demo/weft/site/s/node/n/extra", "spiffe://demo:80/weft/user/a", "spiffe://demo/weft/user/a?x=1",
                "spiffe://demo/weft/user/-bad", "not a uri"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(bad), bad);
            assertTrue(!e.getMessage().isEmpty());
        }
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.node("demo", "bad site", "n"));
    }

    @Test
    void aCertificateNamesOneIdOrNone() {
        TestPki pki = TestPki.create(dir, "demo");
        assertEquals(SpiffeId.node("demo", "a", "a-1"), SpiffeId.of(pki.node("a", "a-1").certificate()).orElseThrow());
        assertTrue(SpiffeId.of(pki.custom("plain", s -> s.dns("localhost")).certificate()).isEmpty());
        assertTrue(SpiffeId.of(pki.caCertificate()).isEmpty(), "a CA's trust domain is no identity");
        TestPki.Files two = pki.custom("two", s -> s.uri("spiffe://demo/weft/user/a", "spiffe://demo/weft/user/b"));
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.of(two.certificate()));
    }
}
