package io.weft.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real partitions for root: every node gets a Linux network namespace of its own, joined to the others
 * by a veth pair into a bridge that lives in a hub namespace, plus one veth from the test's namespace
 * so the test reaches every node. Partitions are iptables DROP rules inside the node namespaces. All
 * addresses are in 198.18.0.0/15 (reserved for benchmarking, RFC 2544) inside namespaces made here;
 * {@link #close()} deletes them all.
 */
final class Netns implements AutoCloseable {
    private final String id;
    private final String subnet;
    private final String hub;
    private final Map<String, String> ipByNode = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();
    private boolean rootLink;

    /** Null when this process cannot make namespaces (not root, or no ip/iptables). */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "real partitions need root (network namespaces and iptables); running as "
                    + System.getProperty("user.name");
        }
        for (String tool : List.of("ip", "iptables")) {
            try {
                if (run(List.of(tool, "-V")).exit != 0 && run(List.of(tool, "--version")).exit != 0) {
                    return tool + " does not run";
                }
            } catch (IOException e) {
                return tool + " is not installed (apt-get install -y iproute2 iptables)";
            }
        }
        return null;
    }

    Netns() throws IOException {
        long pid = ProcessHandle.current().pid();
        this.id = "wc" + (pid % 100000);
        int third = (int) (pid % 250) + 2;
        String candidate = null;
        String routes = run(List.of("ip", "-4", "route", "show")).out;
        for (int i = 0; i < 250; i++) {
            int octet = (third + i) % 250 + 2;
            if (!routes.contains("198.18." + octet + ".")) {
                candidate = "198.18." + octet;
                break;
            }
        }
        if (candidate == null) {
            throw new IOException("no free 198.18.x.0/24 subnet");
        }
        this.subnet = candidate;
        this.hub = id + "h";
        try {
            ns(hub);
            must("ip", "-n", hub, "link", "add", bridge(), "type", "bridge");
            must("ip", "-n", hub, "link", "set", bridge(), "up");
            must("ip", "link", "add", id + "r", "type", "veth", "peer", "name", id + "R", "netns", hub);
            must("ip", "-n", hub, "link", "set", id + "R", "master", bridge(), "up");
            rootLink = true;
            must("ip", "addr", "add", subnet + ".1/24", "dev", id + "r");
            must("ip", "link", "set", id + "r", "up");
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private String bridge() {
        return id + "b";
    }

    /** Makes the namespace of {@code node} and returns its address. */
    synchronized String add(String node) throws IOException {
        String existing = ipByNode.get(node);
        if (existing != null) {
            return existing;
        }
        int k = ipByNode.size() + 10;
        String name = nsName(node);
        String ip = subnet + "." + k;
        ns(name);
        must("ip", "link", "add", id + "n" + k, "type", "veth", "peer", "name", id + "N" + k, "netns", hub);
        must("ip", "link", "set", id + "n" + k, "netns", name);
        must("ip", "-n", name, "addr", "add", ip + "/24", "dev", id + "n" + k);
        must("ip", "-n", name, "link", "set", id + "n" + k, "up");
        must("ip", "-n", hub, "link", "set", id + "N" + k, "master", bridge(), "up");
        ipByNode.put(node, ip);
        return ip;
    }

    String nsName(String node) {
        return id + "-" + node;
    }

    /** The command prefix that runs a program inside the node's namespace. */
    List<String> exec(String node) {
        return List.of("ip", "netns", "exec", nsName(node));
    }

    /** Cuts every node of {@code a} from every node of {@code b}, both ways. */
    synchronized void partition(Collection<String> a, Collection<String> b) throws IOException {
        for (String x : a) {
            for (String y : b) {
                drop(x, ipByNode.get(y));
                drop(y, ipByNode.get(x));
            }
        }
    }

    private void drop(String node, String peerIp) throws IOException {
        must("ip", "netns", "exec", nsName(node), "iptables", "-A", "INPUT", "-s", peerIp, "-j", "DROP");
        must("ip", "netns", "exec", nsName(node), "iptables", "-A", "OUTPUT", "-d", peerIp, "-j", "DROP");
    }

    /** Removes every partition. */
    synchronized void heal() throws IOException {
        for (String node : ipByNode.keySet()) {
            must("ip", "netns", "exec", nsName(node), "iptables", "-F");
        }
    }

    private void ns(String name) throws IOException {
        run(List.of("ip", "netns", "del", name)); // a leftover of a crashed run with the same pid
        must("ip", "netns", "add", name);
        namespaces.add(name);
        must("ip", "-n", name, "link", "set", "lo", "up");
    }

    @Override
    public synchronized void close() {
        try {
            if (rootLink) {
                run(List.of("ip", "link", "del", id + "r"));
            }
            for (String n : namespaces) {
                run(List.of("ip", "netns", "del", n));
            }
        } catch (IOException e) {
            System.err.println("netns cleanup: " + e);
        }
        namespaces.clear();
    }

    private static void must(String... cmd) throws IOException {
        Result r = run(List.of(cmd));
        if (r.exit != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + r.exit + "): " + r.out.strip());
        }
    }

    private record Result(int exit, String out) {
    }

    private static Result run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish");
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }
}
