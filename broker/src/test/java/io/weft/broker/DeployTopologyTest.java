package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/}: the docker-compose demo ({@code deploy/compose.yaml}) and the local launcher
 * ({@code deploy/local-mesh.sh}, which reads {@code deploy/topology}) describe the same mesh — the same
 * node names, sites, host ports, seeds, gateways and flags — and the image runs meshd the way
 * {@code bin/meshd} does. So do compose.yaml with the profile {@code hub} and {@code local-mesh.sh
 * --topology hub} ({@code deploy/topology} plus {@code deploy/topology.hub}: an edge site behind onprem).
 *
 * <p>The launcher side is read from what it would really run ({@code local-mesh.sh plan} prints every
 * node's {@code bin/meshd} command line); the compose side with a small reader for the YAML subset
 * compose.yaml keeps to (no YAML library on the class path). Files only: no process is started but
 * {@code bash local-mesh.sh plan}, no Docker needed.
 */
class DeployTopologyTest {
    /** Container-side ports: fixed in every container, as meshd's defaults. */
    private static final Map<String, Integer> CONTAINER_PORTS = Map.of("client", 7420, "mesh", 7421, "http", 7480, "raft", 7422);

    /** meshd flags without a value, as the launcher passes them. */
    private static final Set<String> BOOLEAN_FLAGS = Set.of("no-transit");

    /**
     * One node; {@code gateways} the nodes of other sites it dials ({@code --gateways} /
     * {@code MESHD_GATEWAYS}), {@code noTransit} {@code --no-transit} / {@code MESHD_NO_TRANSIT}.
     */
    record Node(String name, String site, int client, int mesh, int http, int raft, Set<String> seeds,
                Set<String> gateways, boolean noTransit) {
        List<Integer> ports() {
            return List.of(client, mesh, http, raft);
        }
    }

    private static Path root;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findRoot() {
        String prop = System.getProperty("weft.root");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop, "deploy"))) {
            root = Path.of(prop).toAbsolutePath();
            return;
        }
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/compose.yaml"))) {
                root = p;
                return;
            }
        }
        fail("cannot find the repository root (deploy/compose.yaml) from weft.root=" + prop
                + " or user.dir=" + System.getProperty("user.dir"));
    }

    @Test
    void composeAndTheLocalLauncherDescribeTheSameMesh() throws Exception {
        Map<String, Node> compose = composeNodes(Set.of());
        Map<String, Node> launcher = launcherNodes(null);
        assertEquals(render(launcher), render(compose),
                "deploy/compose.yaml and deploy/local-mesh.sh (deploy/topology) describe different meshes");
    }

    @Test
    void composeWithTheHubProfileAndTheLauncherWithTopologyHubDescribeTheSameMesh() throws Exception {
        Map<String, Node> compose = composeNodes(Set.of("hub"));
        Map<String, Node> launcher = launcherNodes("hub");
        assertEquals(render(launcher), render(compose), "deploy/compose.yaml --profile hub and deploy/local-mesh.sh"
                + " --topology hub (deploy/topology + deploy/topology.hub) describe different meshes");
    }

    /**
     * compose.tls.yaml (the secured overlay) issues a certificate to exactly the nodes of the default
     * topology, each under its own site, and gives every node its own certificate and key. The hub profile's
     * nodes are not in it: that profile runs plaintext (compose.yaml says so). Read as text: its "pki"
     * service holds a shell script in a block scalar, which the small YAML reader does not take.
     */
    @Test
    void theTlsOverlayCoversEveryNodeWithItsOwnCertificate() throws Exception {
        Map<String, Node> launcher = launcherNodes(null);
        String overlay = read("deploy/compose.tls.yaml");
        Matcher m = Pattern.compile("--nodes (\\S+)").matcher(overlay);
        assertTrue(m.find(), "compose.tls.yaml: no 'meshctl pki init ... --nodes' line");
        Set<String> issued = new TreeSet<>(Arrays.asList(m.group(1).split(",")));
        Set<String> expected = new TreeSet<>();
        launcher.values().forEach(n -> expected.add(n.site() + "/" + n.name()));
        assertEquals(expected, issued, "compose.tls.yaml issues certificates to other nodes than deploy/topology has");
        for (Node n : launcher.values()) {
            Matcher svc = Pattern.compile("(?m)^  " + Pattern.quote(n.name()) + ":\\n((?:    .*\\n|\\n)*)").matcher(overlay);
            assertTrue(svc.find(), "compose.tls.yaml has no service " + n.name());
            String body = svc.group(1);
            assertTrue(body.contains("MESHD_TLS_CERT: /pki/nodes/" + n.name() + ".pem")
                    && body.contains("MESHD_TLS_KEY: /pki/nodes/" + n.name() + "-key.pem")
                    && body.contains("<<: *tls-node") && body.contains("<<: *tls-env"), n.name() + ": " + body);
        }
    }

    @Test
    void theDemoTopologyIsTwoSitesOfThreeNodesWithDistinctSafePortsAndConnectedSeeds() throws Exception {
        Map<String, Node> nodes = launcherNodes(null);
        Map<String, List<String>> bySite = new TreeMap<>();
        nodes.values().forEach(n -> bySite.computeIfAbsent(n.site(), s -> new ArrayList<>()).add(n.name()));
        assertEquals(Set.of("cloud", "onprem"), bySite.keySet(), "sites");
        bySite.forEach((site, names) -> assertEquals(3, names.size(), "nodes of site " + site + ": " + names));
        assertDistinctSafePorts(nodes);
        for (Node n : nodes.values()) {
            // one membership group: every node dials one node of every other site by itself
            assertTrue(n.gateways().isEmpty() && !n.noTransit(), n.name() + ": gateways or no-transit in the full mesh");
        }
        // every node reaches every other one through seed links (taken both ways: links are two-way)
        assertEquals(nodes.keySet(), seedReach(nodes, nodes.keySet().iterator().next()), "the seeds do not connect every node");

        // the demo publishes on one site and subscribes on the other
        String demo = read("deploy/demo.sh");
        String pub = shellVar(demo, "pub_node");
        String sub = shellVar(demo, "sub_node");
        assertTrue(nodes.containsKey(pub) && nodes.containsKey(sub), "demo.sh names unknown nodes " + pub + ", " + sub);
        assertFalse(nodes.get(pub).site().equals(nodes.get(sub).site()), "demo.sh must cross sites: " + pub + " -> " + sub);
    }

    /**
     * {@code --topology hub}: the six nodes of the default topology, unchanged, plus site "edge" (two nodes)
     * that seeds only itself, dials onprem-1 and onprem-2 ({@code --gateways}) and carries no events between
     * other sites ({@code --no-transit}). And the rules meshd sets for any site with gateways: they name nodes
     * of other sites; the site seeds, and is seeded from, its own nodes only; its nodes share one list and
     * one no-transit; its seeds connect it; and the sites form one connected graph.
     */
    @Test
    void theHubTopologyAddsAnEdgeSiteThatSeedsItselfAndDialsOnpremWithoutTransit() throws Exception {
        Map<String, Node> full = launcherNodes(null);
        Map<String, Node> hub = launcherNodes("hub");
        full.forEach((name, n) -> assertEquals(n, hub.get(name), "--topology hub changes node " + name));
        Map<String, Node> added = new TreeMap<>(hub);
        added.keySet().removeAll(full.keySet());
        assertEquals(Set.of("edge-1", "edge-2"), added.keySet(), "the nodes --topology hub adds");
        assertDistinctSafePorts(hub);
        for (Node n : added.values()) {
            assertEquals("edge", n.site(), n.name() + ": site");
            assertEquals(Set.of("onprem-1", "onprem-2"), n.gateways(), n.name() + ": gateways");
            assertTrue(n.noTransit(), n.name() + " runs without --no-transit");
        }

        Map<String, Set<String>> gatewaysOfSite = new TreeMap<>();
        Map<String, Boolean> noTransitOfSite = new TreeMap<>();
        for (Node n : hub.values()) {
            Set<String> before = gatewaysOfSite.putIfAbsent(n.site(), n.gateways());
            assertTrue(before == null || before.equals(n.gateways()),
                    n.name() + ": gateways " + n.gateways() + ", other nodes of site " + n.site() + ": " + before);
            Boolean nt = noTransitOfSite.putIfAbsent(n.site(), n.noTransit());
            assertTrue(nt == null || nt == n.noTransit(), n.name() + ": no-transit differs within site " + n.site());
            for (String g : n.gateways()) {
                assertTrue(hub.containsKey(g), n.name() + ": gateway " + g + " is no node");
                assertFalse(hub.get(g).site().equals(n.site()), n.name() + ": gateway " + g + " is in its own site");
            }
            for (String s : n.seeds()) {
                boolean sameSite = hub.get(s).site().equals(n.site());
                assertTrue(sameSite || n.gateways().isEmpty(), n.name() + " has gateways and seeds " + s + " of another site");
                assertTrue(sameSite || hub.get(s).gateways().isEmpty(),
                        n.name() + " seeds " + s + ", whose site joins others through its gateways only");
            }
        }
        // membership groups: each site with gateways on its own, the other sites together; seeds connect each
        Map<String, Set<String>> groups = new TreeMap<>();
        hub.values().forEach(n -> groups.computeIfAbsent(n.gateways().isEmpty() ? "" : n.site(), k -> new TreeSet<>())
                .add(n.name()));
        groups.forEach((g, members) -> assertEquals(members, seedReach(hub, members.iterator().next()),
                "the seeds do not connect " + (g.isEmpty() ? "the sites without gateways" : "site " + g)));
        // the site graph: sites without gateways are linked to each other, a site with gateways to theirs
        Map<String, Set<String>> siteLinks = new TreeMap<>();
        for (Node a : hub.values()) {
            for (Node b : hub.values()) {
                boolean linked = !a.site().equals(b.site()) && (a.gateways().contains(b.name())
                        || a.gateways().isEmpty() && b.gateways().isEmpty());
                if (linked) {
                    siteLinks.computeIfAbsent(a.site(), k -> new TreeSet<>()).add(b.site());
                    siteLinks.computeIfAbsent(b.site(), k -> new TreeSet<>()).add(a.site());
                }
            }
        }
        assertEquals(Set.of("onprem"), siteLinks.get("edge"), "edge is linked to onprem only");
        assertEquals(gatewaysOfSite.keySet(), reach(siteLinks, "edge"), "the sites are not one connected graph: " + siteLinks);
    }

    @Test
    void composeRunsEveryNodeFromOneImageWithFixedContainerPortsAVolumeAndAHealthcheck() throws Exception {
        Map<String, Object> doc = MiniYaml.parse(read("deploy/compose.yaml"));
        Map<String, Object> services = map(doc.get("services"), "services");
        Set<String> declaredVolumes = doc.get("volumes") == null ? Set.of() : map(doc.get("volumes"), "volumes").keySet();
        Set<String> images = new HashSet<>();
        Set<String> usedVolumes = new HashSet<>();
        Map<String, Integer> meshdByProfile = new TreeMap<>();
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Map<String, Object> svc = map(e.getValue(), e.getKey());
            if (!isMeshd(svc)) {
                continue;
            }
            String name = e.getKey();
            List<String> profiles = profiles(svc, name);
            assertTrue(profiles.size() <= 1, name + ": more than one profile " + profiles);
            meshdByProfile.merge(profiles.isEmpty() ? "(default)" : profiles.get(0), 1, Integer::sum);
            Map<String, Object> env = map(svc.get("environment"), name + ".environment");
            assertEquals(name, env.get("MESHD_NODE"), name + ": MESHD_NODE");
            assertEquals(name, svc.get("hostname"), name + ": hostname");
            assertEquals(name, env.get("MESHD_ADVERTISE_HOST"), name + ": peers reach it by its service name");
            assertEquals("7420", env.get("MESHD_CLIENT_PORT"), name);
            assertEquals("7421", env.get("MESHD_MESH_PORT"), name);
            assertEquals("7480", env.get("MESHD_HTTP_PORT"), name);
            assertEquals("7422", env.get("MESHD_RAFT_PORT"), name);
            assertEquals("/data", env.get("MESHD_DATA_DIR"), name);
            images.add(String.valueOf(svc.get("image")));
            Map<String, Object> build = map(svc.get("build"), name + ".build");
            Path dockerfile = root.resolve("deploy").resolve(String.valueOf(build.get("context")))
                    .resolve(String.valueOf(build.get("dockerfile"))).normalize();
            assertEquals(root.resolve("deploy/Dockerfile"), dockerfile, name + ": build");
            assertEquals(root, root.resolve("deploy").resolve(String.valueOf(build.get("context"))).normalize(),
                    name + ": the build context is the repository root");

            List<Object> volumes = list(svc.get("volumes"), name + ".volumes");
            assertEquals(1, volumes.size(), name + ": volumes " + volumes);
            String[] vol = String.valueOf(volumes.get(0)).split(":");
            assertEquals("/data", vol[1], name + ": the volume holds /data");
            assertTrue(declaredVolumes.contains(vol[0]), name + ": volume " + vol[0] + " is not a named volume");
            assertTrue(usedVolumes.add(vol[0]), name + ": volume " + vol[0] + " is shared");

            String health = String.valueOf(map(svc.get("healthcheck"), name + ".healthcheck").get("test"));
            assertTrue(health.contains("127.0.0.1:7480/healthz"), name + ": healthcheck " + health);

            Set<String> seeds = composeAddresses(name, "MESHD_SEEDS", env, services);
            if (svc.get("depends_on") != null) {
                for (Object dep : list(svc.get("depends_on"), name + ".depends_on")) {
                    assertTrue(seeds.contains(String.valueOf(dep)), name + " waits for " + dep + ", which it does not seed");
                }
            }
        }
        assertEquals(Map.of("(default)", 6, "hub", 2), meshdByProfile, "meshd services by compose profile");
        assertEquals(1, images.size(), "every node runs the same image: " + images);
    }

    /** The default profile's nodes; those of the hub profile are not scraped (compose.yaml says so). */
    @Test
    void prometheusScrapesEveryNodeLabelledWithItsSite() throws Exception {
        Map<String, Node> nodes = composeNodes(Set.of());
        Map<String, Object> doc = MiniYaml.parse(read("deploy/prometheus.yml"));
        Map<String, String> scraped = new TreeMap<>();
        for (Object job : list(doc.get("scrape_configs"), "scrape_configs")) {
            for (Object group : list(map(job, "job").get("static_configs"), "static_configs")) {
                Map<String, Object> g = map(group, "static_config");
                String site = g.get("labels") == null ? null : String.valueOf(map(g.get("labels"), "labels").get("site"));
                for (Object t : list(g.get("targets"), "targets")) {
                    scraped.put(String.valueOf(t), site);
                }
            }
        }
        Map<String, String> expected = new TreeMap<>();
        nodes.values().forEach(n -> expected.put(n.name() + ":" + CONTAINER_PORTS.get("http"), n.site()));
        assertEquals(expected, scraped, "prometheus.yml targets and their site labels");
    }

    @Test
    void theImageRunsMeshdTheWayBinMeshdDoes() throws Exception {
        String meshd = read("bin/meshd");
        String dockerfile = read("deploy/Dockerfile");
        String entrypoint = dockerfile.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst()
                .orElseThrow(() -> new AssertionError("deploy/Dockerfile has no ENTRYPOINT"));
        String javaLine = meshd.lines().dropWhile(l -> !l.contains("exec java")).limit(3)
                .reduce("", (a, b) -> a + " " + b);
        Matcher main = Pattern.compile("\\b(io\\.weft\\.[\\w.]+)\"?\\s").matcher(javaLine + " ");
        assertTrue(main.find(), "no main class in bin/meshd: " + javaLine);
        assertTrue(entrypoint.contains(" " + main.group(1) + " "), "ENTRYPOINT runs " + main.group(1) + ": " + entrypoint);
        Matcher flag = Pattern.compile("(-D[\\w.]+=\\S+|-XX:\\S+)").matcher(javaLine);
        int flags = 0;
        while (flag.find()) {
            flags++;
            assertTrue(entrypoint.contains(flag.group(1)), "ENTRYPOINT lacks bin/meshd's " + flag.group(1));
        }
        assertTrue(flags > 0, "no JVM flag found in bin/meshd: " + javaLine);
        for (String part : List.of("broker/target/broker.jar", "broker/target/lib/*", "MESHD_JAVA_OPTS")) {
            assertTrue(javaLine.contains(part), "bin/meshd no longer uses " + part + ": update deploy/Dockerfile");
            assertTrue(entrypoint.contains(part), "ENTRYPOINT lacks " + part);
        }
        assertTrue(dockerfile.contains("-DskipTests install"), "the build stage runs mvn -DskipTests install");
        assertFalse(entrypoint.contains("mvn") || entrypoint.contains("build-if-needed"), "no build at run time");
        for (int port : CONTAINER_PORTS.values()) {
            assertTrue(Pattern.compile("(?m)^EXPOSE\\b.*\\b" + port + "\\b").matcher(dockerfile).find(), "EXPOSE " + port);
        }
    }

    // ---- the two sides -------------------------------------------------------------------------

    /**
     * The nodes as {@code local-mesh.sh plan} would start them: with {@code --topology topology}, or with no
     * {@code --topology} (the default) when {@code topology} is null.
     */
    private Map<String, Node> launcherNodes(String topology) throws Exception {
        Path script = root.resolve("deploy/local-mesh.sh");
        Path out = tmp.resolve("plan-" + (topology == null ? "default" : topology) + ".out");
        List<String> command = new ArrayList<>(List.of("bash", script.toString(), "plan", "--dir", tmp.resolve("state").toString()));
        if (topology != null) {
            command.addAll(List.of("--topology", topology));
        }
        Process p = new ProcessBuilder(command)
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "local-mesh.sh plan did not finish");
        String plan = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "local-mesh.sh plan failed:\n" + plan);

        Map<String, Map<String, String>> flagsByNode = new LinkedHashMap<>();
        for (String line : plan.lines().filter(l -> !l.isBlank()).toList()) {
            String[] t = line.trim().split("\\s+");
            assertTrue(t.length > 2 && t[1].equals("bin/meshd"), "not a plan line: " + line);
            Map<String, String> flags = new HashMap<>();
            for (int i = 2; i < t.length; i++) {
                if (t[i].startsWith("--") && BOOLEAN_FLAGS.contains(t[i].substring(2))) {
                    flags.put(t[i].substring(2), "true");
                } else if (t[i].startsWith("--")) {
                    assertTrue(i + 1 < t.length && !t[i + 1].startsWith("--"), "flag without value: " + line);
                    flags.put(t[i].substring(2), t[++i]);
                }
            }
            assertEquals(t[0], flags.get("node"), "--node of " + line);
            assertEquals("127.0.0.1", flags.get("host"), "the local mesh binds loopback: " + line);
            assertTrue(flags.get("data-dir").startsWith(tmp.resolve("state").resolve(t[0]).toString()),
                    "data dir under the state dir: " + line);
            assertTrue(flagsByNode.put(t[0], flags) == null, "node twice in the plan: " + t[0]);
        }
        Map<Integer, String> byMeshPort = new HashMap<>();
        flagsByNode.forEach((n, f) -> byMeshPort.put(Integer.parseInt(f.get("mesh-port")), n));
        Map<String, Node> nodes = new TreeMap<>();
        flagsByNode.forEach((n, f) -> nodes.put(n, new Node(n, f.get("site"), port(f.get("client-port")),
                port(f.get("mesh-port")), port(f.get("http-port")), port(f.get("raft-port")),
                planAddresses(n, "seeds", f, byMeshPort), planAddresses(n, "gateways", f, byMeshPort),
                f.containsKey("no-transit"))));
        assertFalse(nodes.isEmpty(), "local-mesh.sh plan printed no node:\n" + plan);
        return nodes;
    }

    /** The nodes named by the loopback addresses of flag {@code flag} of node {@code n}'s plan line. */
    private static Set<String> planAddresses(String n, String flag, Map<String, String> f, Map<Integer, String> byMeshPort) {
        Set<String> out = new TreeSet<>();
        String s = f.get(flag);
        for (String a : s == null ? new String[0] : s.split(",")) {
            assertTrue(a.startsWith("127.0.0.1:"), n + ": --" + flag + " " + a + " is not on loopback");
            String target = byMeshPort.get(Integer.parseInt(a.substring(a.indexOf(':') + 1)));
            assertNotNull(target, n + ": --" + flag + " " + a + " is no node's mesh port");
            out.add(target);
        }
        return out;
    }

    /**
     * The meshd services of compose.yaml that {@code docker compose --profile P...} starts for the profiles
     * given (those without a profile, and those of one of them), with their host ports.
     */
    private static Map<String, Node> composeNodes(Set<String> activeProfiles) throws IOException {
        Map<String, Object> services = map(MiniYaml.parse(read("deploy/compose.yaml")).get("services"), "services");
        Map<String, Node> nodes = new TreeMap<>();
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Map<String, Object> svc = map(e.getValue(), e.getKey());
            List<String> profiles = profiles(svc, e.getKey());
            if (!isMeshd(svc) || !profiles.isEmpty() && profiles.stream().noneMatch(activeProfiles::contains)) {
                continue;
            }
            String name = e.getKey();
            Map<String, Object> env = map(svc.get("environment"), name + ".environment");
            Map<Integer, Integer> hostPort = new HashMap<>();
            for (Object mapping : list(svc.get("ports"), name + ".ports")) {
                // [IP:]HOST:CONTAINER[/tcp]
                String[] parts = String.valueOf(mapping).replace("/tcp", "").split(":");
                assertTrue(parts.length == 3 && parts[0].equals("127.0.0.1"),
                        name + ": publish ports on 127.0.0.1 only, as IP:HOST:CONTAINER: " + mapping);
                Integer before = hostPort.put(port(parts[2]), port(parts[1]));
                assertTrue(before == null, name + ": container port " + parts[2] + " published twice");
            }
            assertEquals(new TreeSet<>(CONTAINER_PORTS.values()), new TreeSet<>(hostPort.keySet()),
                    name + ": published container ports");
            Object noTransit = env.get("MESHD_NO_TRANSIT");
            assertTrue(noTransit == null || noTransit.equals("true"), name + ": MESHD_NO_TRANSIT is \"true\" or absent: " + noTransit);
            nodes.put(name, new Node(name, String.valueOf(env.get("MESHD_SITE")),
                    hostPort.get(CONTAINER_PORTS.get("client")), hostPort.get(CONTAINER_PORTS.get("mesh")),
                    hostPort.get(CONTAINER_PORTS.get("http")), hostPort.get(CONTAINER_PORTS.get("raft")),
                    composeAddresses(name, "MESHD_SEEDS", env, services), composeAddresses(name, "MESHD_GATEWAYS", env, services),
                    noTransit != null));
        }
        assertFalse(nodes.isEmpty(), "compose.yaml has no meshd service (one with MESHD_NODE)");
        return nodes;
    }

    /** The services named by the SERVICE:7421 addresses of environment variable {@code var}. */
    private static Set<String> composeAddresses(String name, String var, Map<String, Object> env, Map<String, Object> services) {
        Set<String> out = new TreeSet<>();
        Object s = env.get(var);
        for (String a : s == null ? new String[0] : String.valueOf(s).split(",")) {
            String[] hp = a.trim().split(":");
            assertTrue(hp.length == 2 && hp[1].equals(String.valueOf(CONTAINER_PORTS.get("mesh"))),
                    name + ": " + var + " " + a + " is not SERVICE:" + CONTAINER_PORTS.get("mesh"));
            assertTrue(services.containsKey(hp[0]) && isMeshd(map(services.get(hp[0]), hp[0])),
                    name + ": " + var + " " + a + " is not a meshd service");
            out.add(hp[0]);
        }
        return out;
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static boolean isMeshd(Map<String, Object> svc) {
        return svc.get("environment") instanceof Map<?, ?> env && env.containsKey("MESHD_NODE");
    }

    /** A service's compose profiles (none: it always starts). */
    private static List<String> profiles(Map<String, Object> svc, String name) {
        if (svc.get("profiles") == null) {
            return List.of();
        }
        return list(svc.get("profiles"), name + ".profiles").stream().map(String::valueOf).toList();
    }

    /** Distinct ports, none of meshd's defaults, all below the ephemeral range; and no node seeds itself. */
    private static void assertDistinctSafePorts(Map<String, Node> nodes) {
        Map<Integer, String> owner = new HashMap<>();
        for (Node n : nodes.values()) {
            for (int port : n.ports()) {
                String before = owner.put(port, n.name());
                assertTrue(before == null, "port " + port + " is used by " + before + " and " + n.name());
                // a plain `bin/meshd` (defaults) must run beside the demo; tests' free ports (0) are ephemeral
                assertFalse(CONTAINER_PORTS.containsValue(port), n.name() + " uses meshd's default port " + port);
                assertTrue(port >= 1024 && port < 32768, n.name() + ": port " + port + " is not in 1024..32767");
            }
            assertFalse(n.seeds().contains(n.name()), n.name() + " seeds itself");
        }
    }

    /** The nodes {@code from} reaches through seed links (taken both ways: links are two-way). */
    private static Set<String> seedReach(Map<String, Node> nodes, String from) {
        Map<String, Set<String>> links = new HashMap<>();
        for (Node n : nodes.values()) {
            for (String s : n.seeds()) {
                links.computeIfAbsent(n.name(), k -> new HashSet<>()).add(s);
                links.computeIfAbsent(s, k -> new HashSet<>()).add(n.name());
            }
        }
        return reach(links, from);
    }

    /** What {@code from} reaches in an undirected graph given as adjacency sets, {@code from} included. */
    private static Set<String> reach(Map<String, Set<String>> links, String from) {
        Set<String> seen = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(from));
        while (!todo.isEmpty()) {
            String n = todo.pop();
            if (seen.add(n)) {
                todo.addAll(links.getOrDefault(n, Set.of()));
            }
        }
        return seen;
    }

    private static String render(Map<String, Node> nodes) {
        StringBuilder b = new StringBuilder();
        nodes.values().forEach(n -> b.append(n).append('\n'));
        return b.toString();
    }

    private static int port(String s) {
        assertNotNull(s, "missing port");
        return Integer.parseInt(s.trim());
    }

    private static String shellVar(String script, String var) {
        Matcher m = Pattern.compile("(?m)^" + var + "=([\\w.-]+)\\s*$").matcher(script);
        assertTrue(m.find(), "no " + var + "= in the script");
        return m.group(1);
    }

    private static String read(String relative) throws IOException {
        return Files.readString(root.resolve(relative), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        assertTrue(o instanceof Map, what + " is not a mapping: " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String what) {
        assertTrue(o instanceof List, what + " is not a list: " + o);
        return (List<Object>) o;
    }

    /**
     * The YAML subset the deploy files keep to: block mappings and sequences by indentation, plain and
     * quoted scalars, flow sequences of scalars ({@code [a, "b"]}), comments, anchors on mapping values
     * ({@code key: &name}) and merge keys ({@code <<: *name}). Anything else fails loudly.
     */
    static final class MiniYaml {
        private record Line(int number, int indent, String text) {
        }

        private final List<Line> lines = new ArrayList<>();
        private final Map<String, Object> anchors = new HashMap<>();
        private int pos;

        static Map<String, Object> parse(String text) {
            MiniYaml y = new MiniYaml();
            String[] raw = text.split("\n", -1);
            for (int i = 0; i < raw.length; i++) {
                String l = stripComment(raw[i]).stripTrailing();
                if (l.isBlank()) {
                    continue;
                }
                int indent = 0;
                while (l.charAt(indent) == ' ') {
                    indent++;
                }
                if (l.charAt(indent) == '\t') {
                    throw new IllegalArgumentException("line " + (i + 1) + ": tab indentation");
                }
                y.lines.add(new Line(i + 1, indent, l.substring(indent)));
            }
            if (y.lines.isEmpty()) {
                return new LinkedHashMap<>();
            }
            Object doc = y.block(y.lines.get(0).indent());
            if (y.pos < y.lines.size()) {
                throw y.error("unexpected indentation");
            }
            if (!(doc instanceof Map)) {
                throw new IllegalArgumentException("the document is not a mapping");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) doc;
            return m;
        }

        private Object block(int indent) {
            return lines.get(pos).text().startsWith("-") ? sequence(indent) : mapping(indent);
        }

        private Map<String, Object> mapping(int indent) {
            Map<String, Object> m = new LinkedHashMap<>();
            while (pos < lines.size() && lines.get(pos).indent() == indent && !lines.get(pos).text().startsWith("-")) {
                Line line = lines.get(pos);
                int colon = keyEnd(line.text());
                if (colon < 0) {
                    throw error("expected KEY: VALUE");
                }
                String key = unquote(line.text().substring(0, colon).trim());
                String rest = line.text().substring(colon + 1).trim();
                pos++;
                String anchor = null;
                if (rest.startsWith("&")) {
                    anchor = rest.substring(1).trim();
                    rest = "";
                }
                Object value;
                if (rest.isEmpty()) {
                    value = pos < lines.size() && lines.get(pos).indent() > indent ? block(lines.get(pos).indent())
                            // a sequence may sit at its key's indentation
                            : pos < lines.size() && lines.get(pos).indent() == indent && lines.get(pos).text().startsWith("-")
                                    ? sequence(indent) : null;
                } else {
                    value = scalar(rest);
                }
                if (anchor != null) {
                    anchors.put(anchor, value);
                }
                if (key.equals("<<")) {
                    if (!rest.startsWith("*") || !(anchors.get(rest.substring(1)) instanceof Map<?, ?> merged)) {
                        throw new IllegalArgumentException("line " + line.number() + ": unknown merge " + rest);
                    }
                    merged.forEach((k, v) -> m.putIfAbsent(String.valueOf(k), v));
                } else {
                    m.put(key, value);
                }
            }
            return m;
        }

        private List<Object> sequence(int indent) {
            List<Object> l = new ArrayList<>();
            while (pos < lines.size() && lines.get(pos).indent() == indent && lines.get(pos).text().startsWith("-")) {
                Line line = lines.get(pos);
                String item = line.text().substring(1).trim();
                if (item.isEmpty()) {
                    throw error("empty sequence item");
                }
                if (keyEnd(item) >= 0 && !item.startsWith("\"") && !item.startsWith("'")) {
                    // "- key: value" opens a mapping whose further keys are indented to the first key
                    int inner = indent + line.text().indexOf(item);
                    lines.set(pos, new Line(line.number(), inner, item));
                    l.add(mapping(inner));
                } else {
                    pos++;
                    l.add(scalar(item));
                }
            }
            return l;
        }

        /** Index of the colon ending a mapping key ("key:" or "key: ..."), or -1. */
        private static int keyEnd(String text) {
            char q = 0;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (q != 0) {
                    q = c == q ? 0 : q;
                } else if (c == '"' || c == '\'') {
                    q = c;
                } else if (c == ':' && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                    return i;
                } else if (c == '[' || c == '{') {
                    return -1;
                }
            }
            return -1;
        }

        private Object scalar(String s) {
            if (s.startsWith("*")) {
                Object v = anchors.get(s.substring(1));
                if (v == null) {
                    throw error("unknown alias " + s);
                }
                return v;
            }
            if (s.startsWith("[")) {
                if (!s.endsWith("]")) {
                    throw error("unterminated flow sequence");
                }
                List<Object> l = new ArrayList<>();
                String inner = s.substring(1, s.length() - 1).trim();
                if (!inner.isEmpty()) {
                    Arrays.stream(inner.split(",")).map(String::trim).map(MiniYaml::unquote).forEach(l::add);
                }
                return l;
            }
            if (s.startsWith("{") || s.startsWith("|") || s.startsWith(">")) {
                throw error("unsupported YAML: " + s);
            }
            return unquote(s);
        }

        private static String unquote(String s) {
            if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
                return s.substring(1, s.length() - 1);
            }
            return s;
        }

        private static String stripComment(String l) {
            char q = 0;
            for (int i = 0; i < l.length(); i++) {
                char c = l.charAt(i);
                if (q != 0) {
                    q = c == q ? 0 : q;
                } else if (c == '"' || c == '\'') {
                    q = c;
                } else if (c == '#' && (i == 0 || l.charAt(i - 1) == ' ')) {
                    return l.substring(0, i);
                }
            }
            return l;
        }

        private IllegalArgumentException error(String what) {
            Line l = lines.get(Math.min(pos, lines.size() - 1));
            return new IllegalArgumentException("line " + l.number() + ": " + what + ": " + l.text());
        }
    }
}
