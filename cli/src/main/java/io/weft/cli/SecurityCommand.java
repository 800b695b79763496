package io.weft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.protocol.Topics;
import io.weft.security.Permissions;
import io.weft.security.SecurityPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl security ...}: the security config file, offline. */
@Command(name = "security", mixinStandardHelpOptions = true,
        description = "Work with a meshd --security-config file: check it, hash a password for it.",
        subcommands = {SecurityCommand.Check.class, SecurityCommand.HashPassword.class})
final class SecurityCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.err);
    }

    /** {@code meshctl security check FILE}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a security config file without a broker: every field, every pattern; prints its users.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The security config (JSON).")
        Path file;

        @Option(names = "--json", description = "Print the users as JSON.")
        boolean json;

        @Override
        public Integer call() {
            SecurityPolicy p;
            try {
                p = SecurityPolicy.load(file);
                p.validatePatterns(Topics::validatePattern);
            } catch (IOException e) {
                System.err.println("meshctl: cannot read " + file + ": " + e.getMessage());
                return 1;
            } catch (SecurityPolicy.PolicyException e) {
                System.err.println("meshctl: " + e.getMessage());
                return 1;
            }
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode root = m.createObjectNode().put("file", file.toString()).put("digest", p.digest());
                ArrayNode users = root.putArray("users");
                for (SecurityPolicy.User u : p.users()) {
                    ObjectNode n = users.addObject().put("name", u.name()).put("admin", u.permissions().admin());
                    u.methods().forEach(n.putArray("methods")::add);
                }
                System.out.println(root.toPrettyString());
            } else {
                System.out.println(file + ": ok, " + p.users().size() + " user(s)");
                for (SecurityPolicy.User u : p.users()) {
                    Permissions q = u.permissions();
                    System.out.printf("  %-16s %-28s%s publish %s, subscribe %s%n", u.name(), String.join(",", u.methods()),
                            q.admin() ? " admin," : "", describe(q.publish()), describe(q.subscribe()));
                }
            }
            return 0;
        }

        private static String describe(Permissions.Rule r) {
            String allow = r.allow().isEmpty() ? "any" : String.join(" ", r.allow());
            return r.deny().isEmpty() ? allow : allow + " except " + String.join(" ", r.deny());
        }
    }

    /** {@code meshctl security hash-password}: a bcrypt hash of a password read from stdin. */
    @Command(name = "hash-password", mixinStandardHelpOptions = true,
            description = "Read a password from stdin (one line) and print its bcrypt hash for password_bcrypt.")
    static final class HashPassword implements Callable<Integer> {
        @Option(names = "--cost", defaultValue = "10", description = "bcrypt cost, 4-31 (default ${DEFAULT-VALUE}).")
        int cost;

        @Override
        public Integer call() throws IOException {
            if (cost < 4 || cost > 31) {
                System.err.println("meshctl: --cost " + cost + " is outside 4..31");
                return 1;
            }
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                System.err.println("meshctl: no password on stdin (e.g. printf '%s\\n' \"$PW\" | meshctl security hash-password)");
                return 1;
            }
            byte[] salt = new byte[16];
            new SecureRandom().nextBytes(salt);
            System.out.println(OpenBSDBCrypt.generate("2b", line.toCharArray(), salt, cost));
            return 0;
        }
    }
}
