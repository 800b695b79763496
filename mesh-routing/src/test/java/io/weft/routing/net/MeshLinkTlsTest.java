package io.weft.routing.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.ssl.SslHandler;
import io.weft.protocol.Transports;
import io.weft.security.SpiffeId;
import io.weft.security.TestPki;
import io.weft.security.TlsContexts;
import io.weft.security.TlsMaterial;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mesh links over TLS between real {@link MeshNetwork}s on loopback: links come up between nodes whose
 * certificates name them, and a peer is refused, counted and never learned when its certificate comes
 * from another CA, names another node, or belongs to a site the link kind does not join, or when it
 * speaks plaintext.
 */
class MeshLinkTlsTest {
    @TempDir
    Path dir;
    private TestPki pki;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, Transports.ioHandlerFactory());
    private final List<MeshNetwork> nets = new CopyOnWriteArrayList<>();
    private final List<String> learned = new CopyOnWriteArrayList<>();

    @BeforeEach
    void pki() {
        pki = TestPki.create(dir.resolve("pki"), "test");
    }

    @AfterEach
    void close() throws InterruptedException {
        nets.forEach(MeshNetwork::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    /** A node named {@code name} of {@code site} using {@code files} (null: plaintext) under {@code ca}. */
    private MeshNetwork node(String name, String site, TestPki.Files files, Path ca) throws Exception {
        return node(name, site, files, ca, 256);
    }

    private MeshNetwork node(String name, String site, TestPki.Files files, Path ca, int maxHandshakes) throws Exception {
        MeshNetwork.Config config = new MeshNetwork.Config(3000, 1000, 3000, 100, 3000, 1 << 20, 1 << 20);
        MeshNetwork net = new MeshNetwork(new NodeInfo(name, site, 1, "", "", "", ""), config, group,
                new QuietListener() {
                    @Override
                    public void nodesLearned(List<NodeInfo> nodes) {
                        nodes.forEach(n -> learned.add(name + " learned " + n.name()));
                    }
                }, List::of, () -> true);
        if (files != null) {
            TlsMaterial m = TlsMaterial.load(files.cert(), files.key(), ca);
            // an impostor's own identity is what its certificate says, whatever name it announces
            net.useTls(TlsContexts.nodeServer(m), TlsContexts.nodeClient(m), m.identity(), maxHandshakes);
        }
        nets.add(net);
        int port = net.bind("127.0.0.1", 0);
        net.updateSelf(new NodeInfo(name, site, 1, "127.0.0.1:" + port, "", "", ""));
        return net;
    }

    private MeshNetwork node(String name, String site) throws Exception {
        return node(name, site, pki.node(site, name), pki.caFile());
    }

    @Test
    void nodesOfOneCaLinkOverTls13() throws Exception {
        MeshNetwork a = node("a-1", "a");
        MeshNetwork a2 = node("a-2", "a");
        MeshNetwork b = node("b-1", "b");
        a.ensureLink(a2.self(), LinkKind.ROUTE);
        a.ensureLink(b.self(), LinkKind.GATEWAY);
        await(() -> a.linkTo("a-2") != null && a.linkTo("b-1") != null, "both links are up");
        SslHandler tls = a.linkTo("b-1").channel().pipeline().get(SslHandler.class);
        assertEquals("TLSv1.3", tls.engine().getSession().getProtocol());
        assertEquals(SpiffeId.node("test", "b", "b-1"), SpiffeId.of(TlsContexts.peerCertificate(tls).orElseThrow()).orElseThrow());
        assertEquals(Map.of(), a.tlsRefusals());
        assertEquals(Map.of(), b.tlsRefusals());
    }

    @Test
    void aProbeOverTlsGetsItsWelcomeAndNobodyCountsARefusal() throws Exception {
        MeshNetwork a = node("a-1", "a");
        MeshNetwork b = node("b-1", "b");
        MeshFrames.Welcome w = b.probe(a.self().meshAddress()).get(20, TimeUnit.SECONDS);
        assertEquals("a-1", w.node().name());
        MeshFrames.Welcome again = a.probe(b.self().meshAddress()).get(20, TimeUnit.SECONDS);
        assertEquals("b-1", again.node().name());
        List<CompletableFuture<MeshFrames.Welcome>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(b.probe(a.self().meshAddress()));
        }
        for (CompletableFuture<MeshFrames.Welcome> f : many) {
            assertEquals("a-1", f.get(20, TimeUnit.SECONDS).node().name());
        }
        assertEquals(Map.of(), a.tlsRefusals());
        assertEquals(Map.of(), b.tlsRefusals());
    }

    @Test
    void aPeerAnnouncingAnotherNameThanItsCertificateIsRefused() throws Exception {
        MeshNetwork a = node("a-1", "a");
        // a valid certificate of this mesh, for node a-2; the process announces itself as a-9
        MeshNetwork impostor = node("a-9", "a", pki.node("a", "a-2"), pki.caFile());
        impostor.ensureLink(a.self(), LinkKind.ROUTE);
        await(() -> a.tlsRefusals().getOrDefault("name_mismatch", 0L) >= 1, "a-1 refuses a-9");
        assertNull(a.linkTo("a-9"));
        assertFalse(learned.contains("a-1 learned a-9"), "the impostor was learned: " + learned);
        assertFalse(learned.contains("a-9 learned a-1"), "the impostor was told who a-1 is: " + learned);
    }

    @Test
    void aNodeOfAnotherSiteCannotDialARouteLinkNorOneOfThisSiteAGatewayLink() throws Exception {
        MeshNetwork a = node("a-1", "a");
        MeshNetwork b = node("b-1", "b");
        MeshNetwork a2 = node("a-2", "a");
        b.ensureLink(a.self(), LinkKind.ROUTE);
        a2.ensureLink(a.self(), LinkKind.GATEWAY);
        await(() -> a.tlsRefusals().getOrDefault("wrong_link_site", 0L) >= 2, "a-1 refuses both links");
        assertNull(a.linkTo("b-1"));
        assertNull(a.linkTo("a-2"));
        assertTrue(learned.stream().noneMatch(l -> l.startsWith("a-1 learned")), "a-1 learned " + learned);
    }

    @Test
    void aNodeWithACertificateOfAnotherCaIsRefusedInTheHandshake() throws Exception {
        MeshNetwork a = node("a-1", "a");
        TestPki other = pki.foreign(dir.resolve("other"));
        MeshNetwork rogue = node("a-2", "a", other.node("a", "a-2"), other.caFile());
        rogue.ensureLink(a.self(), LinkKind.ROUTE);
        await(() -> a.tlsRefusals().getOrDefault("tls_handshake", 0L) >= 1, "a-1 refuses the handshake");
        assertNull(a.linkTo("a-2"));
        assertNull(rogue.linkTo("a-1"));
        assertTrue(learned.isEmpty(), "someone learned someone: " + learned);
    }

    @Test
    void handshakesUnderWayOnTheMeshPortAreBounded() throws Exception {
        MeshNetwork a = node("a-1", "a", pki.node("a", "a-1"), pki.caFile(), 1);
        int port = Integer.parseInt(a.self().meshAddress().substring(a.self().meshAddress().lastIndexOf(':') + 1));
        try (java.net.Socket stalled = new java.net.Socket("127.0.0.1", port)) { // never says ClientHello
            // on this thread, not an event loop's: the check blocks on a socket that the loops must serve
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            boolean refused = false;
            while (!refused) {
                assertTrue(System.nanoTime() < deadline, "no connection was closed while the first held the only "
                        + "handshake slot; refusals " + a.tlsRefusals());
                try (java.net.Socket next = new java.net.Socket("127.0.0.1", port)) {
                    next.setSoTimeout(1000);
                    refused = next.getInputStream().read() == -1;
                } catch (java.net.SocketTimeoutException e) {
                    refused = false; // it got a slot: the stalled one's handshake had timed out
                } catch (java.io.IOException e) {
                    refused = true;
                }
            }
            assertTrue(a.tlsRefusals().getOrDefault("too_many_handshakes", 0L) >= 1, a.tlsRefusals().toString());
        }
        // the stalled handshake ends with its socket: a node links again
        MeshNetwork a2 = node("a-2", "a");
        a2.ensureLink(a.self(), LinkKind.ROUTE);
        await(() -> a.linkTo("a-2") != null, "a node links once the slot is free");
    }

    @Test
    void aPlaintextPeerIsRefused() throws Exception {
        MeshNetwork a = node("a-1", "a");
        MeshNetwork plain = node("a-2", "a", null, null);
        plain.ensureLink(a.self(), LinkKind.ROUTE);
        await(() -> a.tlsRefusals().getOrDefault("not_tls", 0L) >= 1, "a-1 refuses plaintext");
        assertNull(a.linkTo("a-2"));
        assertTrue(learned.isEmpty(), "someone learned someone: " + learned);
    }

    @Test
    void aUserCertificateIsNoNodeCertificate() throws Exception {
        MeshNetwork a = node("a-1", "a");
        TestPki.Files user = pki.custom("users/bob-as-node", s -> s.id(SpiffeId.user("test", "bob")));
        MeshNetwork bob = node("bob", "a", user, pki.caFile());
        bob.ensureLink(a.self(), LinkKind.ROUTE);
        await(() -> a.tlsRefusals().getOrDefault("not_a_node", 0L) >= 1, "a-1 refuses a user certificate");
        assertNull(a.linkTo("bob"));
    }

    private void await(BooleanSupplier condition, String what) throws Exception {
        MeshLinkHeartbeatTest.await(group, condition, () -> what + "; refusals " + nets.get(0).tlsRefusals());
    }
}
