package io.weft.security;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who a certificate names, in SPIFFE form: {@code spiffe://MESH/weft/site/SITE/node/NODE} for a node,
 * {@code spiffe://MESH/weft/user/USER} for a user. The mesh name is the trust domain: one CA, one mesh.
 * A certificate carries exactly one such URI SAN; host names and addresses are not identities (links are
 * dialled by address, and a node's address may change).
 */
public record SpiffeId(String mesh, Kind kind, String site, String name) {

    /** A node of a site, or a user. */
    public enum Kind { NODE, USER }

    /** Names of meshes, sites, nodes and users: what {@code --node} and {@code --site} accept. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    /** The URI SAN type in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int SAN_URI = 6;

    public SpiffeId {
        requireName("mesh", mesh);
        requireName(kind == Kind.NODE ? "node" : "user", name);
        if (kind == Kind.NODE) {
            requireName("site", site);
        } else if (site != null) {
            throw new IllegalArgumentException("a user belongs to no site");
        }
    }

    public static SpiffeId node(String mesh, String site, String node) {
        return new SpiffeId(mesh, Kind.NODE, site, node);
    }

    public static SpiffeId user(String mesh, String user) {
        return new SpiffeId(mesh, Kind.USER, null, user);
    }

    /** Whether {@code value} is a valid mesh, site, node or user name. */
    public static boolean validName(String value) {
        return value != null && NAME.matcher(value).matches();
    }

    public boolean isNode() {
        return kind == Kind.NODE;
    }

    /** The URI, as written into a certificate's SAN. */
    public URI uri() {
        return URI.create(toString());
    }

    @Override
    public String toString() {
        return kind == Kind.NODE
                ? "spiffe://" + mesh + "/weft/site/" + site + "/node/" + name
                : "spiffe://" + mesh + "/weft/user/" + name;
    }

    /**
     * Parses a Weft SPIFFE id.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    public static SpiffeId parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URI: " + text);
        }
        if (!"spiffe".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getPort() != -1 || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("not a spiffe://MESH/... id: " + text);
        }
        String[] p = uri.getRawPath().split("/", -1);
        // "", "weft", "site", S, "node", N   or   "", "weft", "user", U
        if (p.length == 6 && p[0].isEmpty() && p[1].equals("weft") && p[2].equals("site") && p[4].equals("node")) {
            return node(uri.getHost(), p[3], p[5]);
        }
        if (p.length == 4 && p[0].isEmpty() && p[1].equals("weft") && p[2].equals("user")) {
            return user(uri.getHost(), p[3]);
        }
        throw new IllegalArgumentException("not a Weft id (spiffe://MESH/weft/site/SITE/node/NODE or "
                + "spiffe://MESH/weft/user/USER): " + text);
    }

    /**
     * The Weft id a certificate names: its one {@code spiffe://} URI SAN.
     *
     * @return empty when it has no spiffe URI SAN
     * @throws IllegalArgumentException when it has more than one, or one that is not a Weft id
     */
    public static Optional<SpiffeId> of(X509Certificate cert) {
        List<String> uris = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    // a CA's bare trust domain (spiffe://MESH, no path) names no node or user
                    if (san.size() >= 2 && Integer.valueOf(SAN_URI).equals(san.get(0))
                            && san.get(1) instanceof String s && s.startsWith("spiffe:") && !bareTrustDomain(s)) {
                        uris.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable subject alternative names: " + e.getMessage(), e);
        }
        if (uris.size() > 1) {
            throw new IllegalArgumentException("the certificate names more than one spiffe id: " + uris);
        }
        return uris.isEmpty() ? Optional.empty() : Optional.of(parse(uris.get(0)));
    }

    private static boolean bareTrustDomain(String uri) {
        int authority = uri.indexOf("//");
        return authority >= 0 && uri.indexOf('/', authority + 2) < 0;
    }

    private static void requireName(String what, String value) {
        if (!validName(value)) {
            throw new IllegalArgumentException("invalid " + what + " name '" + value
                    + "' (letters, digits, '_', '.', '-'; at most 63; starting with a letter or digit)");
        }
    }
}
