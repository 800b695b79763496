package io.weft.broker;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of a node's TLS files (certificate, key, CA bundle, CRLs) and its security config, without a
 * restart. Three triggers: a watch on the files' directories (inotify, no polling), SIGHUP, and
 * {@code POST /v1/admin/reload}. Each reload reads every file; what is unchanged is left alone, what
 * changed and is valid is used from then on, and what is invalid is refused with the reason logged and
 * counted while the node keeps what it had.
 */
public final class Reloads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reloads.class);
    static final String PATH = "/v1/admin/reload";
    /** After a change in a watched directory, how long to wait for the writer to finish (an editor, a rename). */
    private static final long SETTLE_MILLIS = 300;
    private static final String FILE_CHANGE = "file change";

    /** What a reload did: the parts it changed and the parts it refused, with why. */
    public record Outcome(List<String> changed, List<String> failed) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("changed", changed);
            m.put("failed", failed);
            return m;
        }
    }

    private final Broker broker;
    private final MeshdConfig config;
    private final NodeTls tls;
    private WatchService watch;
    private Thread watcher;

    Reloads(Broker broker, MeshdConfig config, NodeTls tls) {
        this.broker = broker;
        this.config = config;
        this.tls = tls;
    }

    /** Reloads everything now. */
    synchronized Outcome reload(String trigger) {
        List<String> changed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        if (tls != null) {
            attempt("tls", changed, failed, tls::reload);
        }
        if (config.securityConfig != null && !config.securityConfig.isBlank()) {
            attempt("security_config", changed, failed, broker::reloadPolicy);
        }
        if (!changed.isEmpty() || !failed.isEmpty() || !trigger.equals(FILE_CHANGE)) {
            LOG.info("reload ({}): changed {}, refused {}", trigger, changed.isEmpty() ? "nothing" : changed,
                    failed.isEmpty() ? "nothing" : failed);
        }
        return new Outcome(changed, failed);
    }

    private interface Part {
        boolean reload() throws IOException;
    }

    private void attempt(String what, List<String> changed, List<String> failed, Part part) {
        try {
            if (part.reload()) {
                changed.add(what);
                broker.metrics().reloads.labelValues(what, "ok").inc();
            }
        } catch (IOException | RuntimeException e) {
            failed.add(what + ": " + e.getMessage());
            broker.metrics().reloads.labelValues(what, "failed").inc();
            LOG.warn("reload of the {} refused, the node keeps what it had: {}", what.replace('_', ' '), e.getMessage());
        }
    }

    /** Starts watching the directories of the files a reload reads (none: nothing to watch). */
    void watch() throws IOException {
        Set<Path> dirs = new LinkedHashSet<>();
        if (tls != null) {
            tls.files().forEach(f -> dirs.add(f.toAbsolutePath().getParent()));
        }
        if (config.securityConfig != null && !config.securityConfig.isBlank()) {
            dirs.add(Path.of(config.securityConfig).toAbsolutePath().getParent());
        }
        if (dirs.isEmpty()) {
            return;
        }
        watch = FileSystems.getDefault().newWatchService();
        for (Path d : dirs) {
            // a Kubernetes secret swaps a symlinked directory: that is a create in this one
            d.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        watcher = new Thread(this::watchLoop, "weft-reload-watch");
        watcher.setDaemon(true);
        watcher.start();
        LOG.info("watching {} for changed TLS files and security config (also SIGHUP, POST {})", dirs, PATH);
    }

    private void watchLoop() {
        try {
            while (true) {
                drain(watch.take());
                // the writer may not be done: wait until the directories stay quiet for a moment
                WatchKey more;
                while ((more = watch.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                reload(FILE_CHANGE);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    @Override
    public void close() {
        if (watch != null) {
            try {
                watch.close();
            } catch (IOException e) {
                LOG.debug("closing the file watch: {}", e.toString());
            }
        }
    }
}
