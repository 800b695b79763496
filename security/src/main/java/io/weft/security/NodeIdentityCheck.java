package io.weft.security;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Whether the peer of a node-to-node connection is the node it says it is: its certificate (already
 * verified against the CA by the handshake) must name a node of the same mesh, with exactly the name and
 * site the peer announced. A pure function: the mesh code calls it once per handshake.
 */
public final class NodeIdentityCheck {

    /** Why a peer was refused; the label of {@code weft_tls_refusals_total}. */
    public enum Reason {
        NO_CERTIFICATE("no_certificate"),
        BAD_IDENTITY("bad_identity"),
        NOT_A_NODE("not_a_node"),
        FOREIGN_MESH("foreign_mesh"),
        NAME_MISMATCH("name_mismatch"),
        SITE_MISMATCH("site_mismatch"),
        WRONG_LINK_SITE("wrong_link_site");

        public final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    /** A refusal: the reason, and a sentence naming both identities. */
    public record Refusal(Reason reason, String message) {
    }

    private NodeIdentityCheck() {
    }

    /**
     * @param self          this node's identity (its mesh is the one the peer must belong to)
     * @param peerCert      the peer's leaf certificate, if it presented one
     * @param announcedSite the site the peer announced in the mesh handshake
     * @param announcedName the node name it announced
     * @return empty when the peer is who it says
     */
    public static Optional<Refusal> check(SpiffeId self, Optional<X509Certificate> peerCert,
                                          String announcedSite, String announcedName) {
        String who = announcedName + " of site " + announcedSite;
        if (peerCert.isEmpty()) {
            return refuse(Reason.NO_CERTIFICATE, who + " presented no certificate");
        }
        SpiffeId id;
        try {
            id = SpiffeId.of(peerCert.get()).orElse(null);
        } catch (IllegalArgumentException e) {
            return refuse(Reason.BAD_IDENTITY, who + ": " + e.getMessage());
        }
        if (id == null) {
            return refuse(Reason.BAD_IDENTITY, who + " presented a certificate without a spiffe id ("
                    + peerCert.get().getSubjectX500Principal() + ")");
        }
        if (!id.isNode()) {
            return refuse(Reason.NOT_A_NODE, who + " presented a user certificate (" + id + ")");
        }
        if (!id.mesh().equals(self.mesh())) {
            return refuse(Reason.FOREIGN_MESH, who + " presented a certificate of mesh " + id.mesh()
                    + ", this is mesh " + self.mesh() + " (" + id + ")");
        }
        if (!id.name().equals(announcedName)) {
            return refuse(Reason.NAME_MISMATCH, "a peer announced itself as " + who + " but its certificate names node "
                    + id.name() + " (" + id + ")");
        }
        if (!id.site().equals(announcedSite)) {
            return refuse(Reason.SITE_MISMATCH, "a peer announced itself as " + who + " but its certificate names site "
                    + id.site() + " (" + id + ")");
        }
        return Optional.empty();
    }

    private static Optional<Refusal> refuse(Reason r, String message) {
        return Optional.of(new Refusal(r, message));
    }
}
