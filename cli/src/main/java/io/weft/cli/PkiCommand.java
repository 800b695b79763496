package io.weft.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.cli.PkiIssuer.Ca;
import io.weft.cli.PkiFiles.PkiException;
import io.weft.security.SpiffeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meshctl pki ...}: the mesh's certificates. {@code init} makes a CA and the first node and user
 * certificates; {@code issue-node} and {@code issue-user} add more with that CA. Identities are SPIFFE URI SANs
 * ({@link SpiffeId}); the layout is DIR/ca.pem, DIR/ca-key.pem, DIR/nodes/NODE[-key].pem, DIR/users/USER[-key].pem.
 */
@Command(name = "pki", mixinStandardHelpOptions = true,
        description = {"Make the mesh's TLS certificates: a CA (init), node certificates for meshd --tls-cert/--tls-key "
                + "(init, issue-node) and user certificates for clients (init, issue-user).",
                "Keys are written unencrypted, readable by their owner only; keep DIR/ca-key.pem offline."},
        subcommands = {PkiCommand.Init.class, PkiCommand.IssueNode.class, PkiCommand.IssueUser.class,
                PkiCommand.Revoke.class})
final class PkiCommand implements Runnable {
    private static final String KEY_PERMS = "rw-------";
    private static final String CERT_PERMS = "rw-r--r--";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** Options every pki command has. */
    static final class Common {
        @Option(names = "--days", defaultValue = "365", paramLabel = "N",
                description = "Days the node and user certificates are valid (default ${DEFAULT-VALUE}). A CA is valid for 10 years.")
        int days;

        @Option(names = "--json", description = "Print what was written as JSON.")
        boolean json;
    }

    /** {@code meshctl pki init}: a new CA and certificates for the named nodes and users. */
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create a new mesh CA (DIR/ca.pem, DIR/ca-key.pem) and certificates for nodes and users. "
                    + "Refuses to touch a directory that already has a CA.")
    static final class Init implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into (created if missing).")
        Path out;

        @Option(names = "--mesh", required = true, paramLabel = "NAME",
                description = "Mesh name, the trust domain of its identities (spiffe://NAME/...).")
        String mesh;

        @Option(names = "--nodes", required = true, split = ",", paramLabel = "SITE/NODE",
                description = "Nodes to issue certificates for, e.g. eu/n1,eu/n2,us/n1 (repeatable or comma-separated).")
        List<String> nodes = new ArrayList<>();

        @Option(names = "--users", split = ",", paramLabel = "USER",
                description = "Users to issue client certificates for (repeatable or comma-separated).")
        List<String> users = new ArrayList<>();

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            return guarded(this::init);
        }

        private int init() throws PkiException, GeneralSecurityException, IOException {
            if (!SpiffeId.validName(mesh)) {
                throw new PkiException("invalid --mesh '" + mesh + "': " + NAME_RULE);
            }
            List<SpiffeId> ids = new ArrayList<>();
            Map<String, String> seen = new HashMap<>();
            for (String entry : nodes) {
                String[] p = entry.split("/", -1);
                if (p.length != 2 || !SpiffeId.validName(p[0]) || !SpiffeId.validName(p[1])) {
                    throw new PkiException("--nodes entry '" + entry + "' is not SITE/NODE (e.g. eu/n1; names: "
                            + NAME_RULE + ")");
                }
                String before = seen.putIfAbsent(p[1], entry);
                if (before != null) {
                    throw new PkiException("node name '" + p[1] + "' appears twice in --nodes (" + before + ", " + entry
                            + "): node names are unique in a mesh");
                }
                ids.add(SpiffeId.node(mesh, p[0], p[1]));
            }
            Set<String> seenUsers = new HashSet<>();
            for (String user : users) {
                if (!SpiffeId.validName(user)) {
                    throw new PkiException("invalid --users name '" + user + "': " + NAME_RULE);
                }
                if (!seenUsers.add(user)) {
                    throw new PkiException("user '" + user + "' appears twice in --users");
                }
                ids.add(SpiffeId.user(mesh, user));
            }
            for (Path f : List.of(out.resolve("ca.pem"), out.resolve("ca-key.pem"))) {
                if (Files.exists(f)) {
                    throw new PkiException(f + " already exists: refusing to overwrite a CA (every certificate of its "
                            + "mesh depends on it). Add certificates with meshctl pki issue-node/issue-user --dir " + out
                            + ", or choose another --out");
                }
            }
            for (SpiffeId id : ids) {
                for (Path f : List.of(certFile(out, id), keyFile(out, id))) {
                    if (Files.exists(f)) {
                        throw new PkiException(f + " already exists; remove it or choose another --out");
                    }
                }
            }
            Instant now = Instant.now();
            Ca ca = PkiIssuer.newCa(mesh, now);
            checkDays(common.days, ca, now);
            List<String[]> lines = new ArrayList<>();
            Path caKey = out.resolve("ca-key.pem");
            Path caCert = out.resolve("ca.pem");
            write(caKey, PkiFiles.keyPem(ca.key()), KEY_PERMS, false);
            lines.add(new String[] {caKey.toString(), "CA private key: keep it secret, it can sign any identity of mesh " + mesh});
            write(caCert, PkiFiles.certPem(ca.cert()), CERT_PERMS, false);
            lines.add(new String[] {caCert.toString(), "CA certificate of mesh " + mesh + ", valid until " + until(ca.cert())});
            ObjectNode json = Cli.JSON.createObjectNode();
            json.put("mesh", mesh);
            json.put("ca", caCert.toString());
            json.put("caKey", caKey.toString());
            json.put("caNotAfter", until(ca.cert()));
            ArrayNode jn = json.putArray("nodes");
            ArrayNode ju = json.putArray("users");
            for (SpiffeId id : ids) {
                ObjectNode o = issueTo(ca, out, id, List.of(), List.of(), now, common.days, false, lines);
                (id.isNode() ? jn : ju).add(o);
            }
            if (common.json) {
                System.out.println(Cli.JSON.writeValueAsString(json));
                return 0;
            }
            print(lines);
            SpiffeId first = ids.get(0);
            System.out.printf("%nStart node %s with its certificate, e.g.:%n  bin/meshd --site %s --node %s"
                    + " --tls-cert %s --tls-key %s --tls-ca %s%n", first.name(), first.site(), first.name(),
                    certFile(out, first), keyFile(out, first), caCert);
            return 0;
        }
    }

    /** {@code meshctl pki issue-node}: a node certificate from an existing CA. */
    @Command(name = "issue-node", mixinStandardHelpOptions = true,
            description = "Issue a node certificate (DIR/nodes/NODE.pem, DIR/nodes/NODE-key.pem) with the CA in DIR.")
    static final class IssueNode implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the CA (ca.pem, ca-key.pem), as made by pki init.")
        Path dir;

        @Option(names = "--site", required = true, paramLabel = "SITE", description = "Site of the node.")
        String site;

        @Option(names = "--node", required = true, paramLabel = "NODE", description = "Node name (unique in the mesh).")
        String node;

        @Option(names = "--dns", split = ",", paramLabel = "NAME",
                description = "DNS names to add to the certificate besides localhost (comma-separated).")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", split = ",", paramLabel = "ADDR",
                description = "IP addresses to add to the certificate besides 127.0.0.1 (comma-separated).")
        List<String> ips = new ArrayList<>();

        @Option(names = "--force", description = "Replace the node's certificate and key if they exist.")
        boolean force;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                for (String[] n : new String[][] {{"--site", site}, {"--node", node}}) {
                    if (!SpiffeId.validName(n[1])) {
                        throw new PkiException("invalid " + n[0] + " '" + n[1] + "': " + NAME_RULE);
                    }
                }
                for (String d : dns) {
                    if (!PkiIssuer.validDns(d)) {
                        throw new PkiException("--dns '" + d + "' is not a DNS name");
                    }
                }
                for (String ip : ips) {
                    if (!PkiIssuer.validIp(ip)) {
                        throw new PkiException("--ip '" + ip + "' is not an IPv4 or IPv6 address");
                    }
                }
                Ca ca = PkiFiles.loadCa(dir);
                return issueOne(ca, dir, SpiffeId.node(ca.mesh(), site, node), dns, ips, force, common);
            });
        }
    }

    /** {@code meshctl pki issue-user}: a user (client) certificate from an existing CA. */
    @Command(name = "issue-user", mixinStandardHelpOptions = true,
            description = "Issue a user's client certificate (DIR/users/USER.pem, DIR/users/USER-key.pem) with the CA in DIR.")
    static final class IssueUser implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the CA (ca.pem, ca-key.pem), as made by pki init.")
        Path dir;

        @Option(names = "--user", required = true, paramLabel = "USER", description = "User name.")
        String user;

        @Option(names = "--force", description = "Replace the user's certificate and key if they exist.")
        boolean force;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                if (!SpiffeId.validName(user)) {
                    throw new PkiException("invalid --user '" + user + "': " + NAME_RULE);
                }
                Ca ca = PkiFiles.loadCa(dir);
                return issueOne(ca, dir, SpiffeId.user(ca.mesh(), user), List.of(), List.of(), force, common);
            });
        }
    }

    /** {@code meshctl pki revoke}: adds a certificate to the CA's CRL (DIR/crl.pem). */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revoke a node or user certificate issued by the CA in DIR: it is added to DIR/crl.pem "
                    + "(made if missing), a CRL signed by the CA.",
                    "Nodes started with --tls-crl DIR/crl.pem (or a copy) reload it on their own and refuse the "
                    + "certificate at its next handshake."})
    static final class Revoke implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of the CA (ca.pem, ca-key.pem), as made by pki init.")
        Path dir;

        @Option(names = "--cert", required = true, paramLabel = "FILE", description = "The certificate to revoke (PEM).")
        Path cert;

        @Option(names = "--next-update-days", defaultValue = "30", paramLabel = "N",
                description = "When the CRL says a new one is due (default ${DEFAULT-VALUE} days); nodes warn after it.")
        int nextUpdateDays;

        @Override
        public Integer call() {
            return guarded(() -> {
                if (nextUpdateDays < 1 || nextUpdateDays > 3650) {
                    throw new PkiException("--next-update-days must be 1..3650, not " + nextUpdateDays);
                }
                Ca ca = PkiFiles.loadCa(dir);
                X509Certificate c;
                try {
                    c = io.weft.security.PemFiles.certificates(cert).get(0);
                } catch (IOException e) {
                    throw new PkiException(e.getMessage());
                }
                try {
                    c.verify(ca.cert().getPublicKey());
                } catch (GeneralSecurityException e) {
                    throw new PkiException(cert + " was not issued by the CA in " + dir + " (" + PkiFiles.why(e) + ")");
                }
                Path crlFile = dir.resolve("crl.pem");
                java.security.cert.X509CRL previous = null;
                if (Files.exists(crlFile)) {
                    try {
                        previous = io.weft.security.PemFiles.crls(crlFile).get(0);
                        previous.verify(ca.cert().getPublicKey());
                    } catch (IOException | GeneralSecurityException e) {
                        throw new PkiException("cannot extend " + crlFile + ": " + PkiFiles.why(e));
                    }
                    if (previous.isRevoked(c)) {
                        System.out.println(cert + " (serial " + c.getSerialNumber().toString(16) + ") is already revoked in "
                                + crlFile);
                        return 0;
                    }
                }
                Instant now = Instant.now();
                java.security.cert.X509CRL crl = PkiIssuer.crl(ca, previous, c.getSerialNumber(), now,
                        now.plus(java.time.Duration.ofDays(nextUpdateDays)));
                PkiFiles.write(crlFile, PkiFiles.crlPem(crl), CERT_PERMS, true);
                System.out.println("revoked " + c.getSubjectX500Principal() + " (serial " + c.getSerialNumber().toString(16)
                        + "); " + crlFile + " lists " + crl.getRevokedCertificates().size() + " certificate(s), next update "
                        + crl.getNextUpdate().toInstant());
                return 0;
            });
        }
    }

    static final String NAME_RULE = "letters, digits, '_', '.', '-'; at most 63; starting with a letter or digit";

    private interface Body {
        int run() throws PkiException, GeneralSecurityException, IOException;
    }

    /** Runs a command, saying what went wrong in one line (exit code 1) rather than with a stack trace. */
    private static int guarded(Body body) {
        try {
            return body.run();
        } catch (PkiException e) {
            System.err.println("meshctl: " + e.getMessage());
        } catch (GeneralSecurityException | IOException e) {
            System.err.println("meshctl: " + PkiFiles.why(e));
        }
        return 1;
    }

    private static int issueOne(Ca ca, Path dir, SpiffeId id, List<String> dns, List<String> ips, boolean force,
            Common common) throws PkiException, GeneralSecurityException, IOException {
        if (!force) {
            for (Path f : List.of(certFile(dir, id), keyFile(dir, id))) {
                if (Files.exists(f)) {
                    throw new PkiException(f + " already exists; --force replaces it");
                }
            }
        }
        Instant now = Instant.now();
        checkDays(common.days, ca, now);
        List<String[]> lines = new ArrayList<>();
        ObjectNode o = issueTo(ca, dir, id, dns, ips, now, common.days, force, lines);
        if (common.json) {
            ObjectNode j = Cli.JSON.createObjectNode().put("mesh", ca.mesh());
            j.setAll(o);
            System.out.println(Cli.JSON.writeValueAsString(j));
        } else {
            print(lines);
        }
        return 0;
    }

    /** Issues a node or user certificate, writes key then certificate, and describes them in {@code lines} and JSON. */
    private static ObjectNode issueTo(Ca ca, Path dir, SpiffeId id, List<String> dns, List<String> ips, Instant now,
            int days, boolean replace, List<String[]> lines) throws PkiException, GeneralSecurityException {
        List<String> allDns = new ArrayList<>();
        List<String> allIps = new ArrayList<>();
        if (id.isNode()) {
            allDns.add("localhost");
            allIps.add("127.0.0.1");
        }
        dns.stream().filter(d -> !allDns.contains(d)).forEach(allDns::add);
        ips.stream().filter(i -> !allIps.contains(i)).forEach(allIps::add);
        KeyPair kp = PkiIssuer.newKeyPair();
        X509Certificate cert = PkiIssuer.issue(ca, kp.getPublic(), id, allDns, allIps, now, days);
        Path keyFile = keyFile(dir, id);
        Path certFile = certFile(dir, id);
        write(keyFile, PkiFiles.keyPem(kp.getPrivate()), KEY_PERMS, replace);
        lines.add(new String[] {keyFile.toString(), "private key of " + (id.isNode() ? "node " : "user ") + id.name()});
        write(certFile, PkiFiles.certPem(cert), CERT_PERMS, replace);
        List<String> also = new ArrayList<>(allDns);
        also.addAll(allIps);
        lines.add(new String[] {certFile.toString(), id + (also.isEmpty() ? "" : " (" + String.join(", ", also) + ")")
                + ", valid until " + until(cert)});
        ObjectNode o = Cli.JSON.createObjectNode();
        if (id.isNode()) {
            o.put("site", id.site());
            o.put("node", id.name());
        } else {
            o.put("user", id.name());
        }
        o.put("cert", certFile.toString());
        o.put("key", keyFile.toString());
        o.put("id", id.toString());
        o.put("notAfter", until(cert));
        return o;
    }

    /** Leaf certificates must be valid for at least a day and must not outlive their CA. */
    private static void checkDays(int days, Ca ca, Instant now) throws PkiException {
        if (days < 1) {
            throw new PkiException("--days must be at least 1");
        }
        if (now.plus(days, ChronoUnit.DAYS).isAfter(ca.cert().getNotAfter().toInstant())) {
            throw new PkiException("--days " + days + " would outlive the CA, valid until " + until(ca.cert()));
        }
    }

    private static void write(Path file, String text, String perms, boolean replace) throws PkiException {
        try {
            PkiFiles.write(file, text, perms, replace);
        } catch (IOException e) {
            throw new PkiException("cannot write " + file + ": " + PkiFiles.why(e));
        }
    }

    static Path certFile(Path dir, SpiffeId id) {
        return dir.resolve(id.isNode() ? "nodes" : "users").resolve(id.name() + ".pem");
    }

    static Path keyFile(Path dir, SpiffeId id) {
        return dir.resolve(id.isNode() ? "nodes" : "users").resolve(id.name() + "-key.pem");
    }

    private static String until(X509Certificate cert) {
        return cert.getNotAfter().toInstant().toString();
    }

    private static void print(List<String[]> lines) {
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
        for (String[] l : lines) {
            System.out.printf("wrote %-" + width + "s  %s%n", l[0], l[1]);
        }
    }
}
