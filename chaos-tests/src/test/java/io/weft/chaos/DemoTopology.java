package io.weft.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The demo mesh of {@code deploy/topology} (nodes, sites, who seeds whom) as {@link Cluster.Spec}s:
 * the start-up tests run the very topology a new user starts, on ports of their own.
 */
final class DemoTopology {
    private DemoTopology() {
    }

    static List<Cluster.Spec> specs() throws IOException {
        Path file = null;
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/topology"))) {
                file = p.resolve("deploy/topology");
                break;
            }
        }
        if (file == null) {
            throw new IllegalStateException("no deploy/topology above " + System.getProperty("user.dir"));
        }
        List<Cluster.Spec> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            // node site client mesh http raft seeds
            String[] f = l.split("\\s+");
            if (f.length != 7) {
                throw new IllegalStateException(file + ": bad line: " + line);
            }
            out.add(new Cluster.Spec(f[0], f[1], f[6].equals("-") ? List.of() : Arrays.asList(f[6].split(","))));
        }
        return out;
    }
}
