package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG2;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.NameCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership and failure detection: a thin adapter over a JGroups channel (TCP only, seed-based
 * discovery with TCPPING, FD_ALL3 + VERIFY_SUSPECT2 to detect dead nodes, MERGE3 to heal
 * partitions). All nodes of all sites form one group; the JGroups logical name is the node name.
 *
 * <p>Besides views, the channel carries each node's {@link NodeInfo} (announced to everyone on every
 * view change), so a node learns every other node's addresses within milliseconds of joining.
 * Interest never travels here: it goes over our own route and gateway links.
 */
public final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    private static final String CLUSTER = "weft-mesh";

    /** Failure detection settings. */
    public record Config(long heartbeatIntervalMillis, long failureTimeoutMillis, long verifyTimeoutMillis,
                         long joinTimeoutMillis, long mergeMinMillis, long mergeMaxMillis) {
        public static Config defaults() {
            return new Config(500, 2000, 500, 1000, 1000, 3000);
        }
    }

    /** Callbacks; they run on JGroups threads. */
    public interface Listener {
        /** The live members changed; {@code names} includes this node. */
        void members(Set<String> names);

        void nodeInfo(NodeInfo info);
    }

    private final Listener listener;
    private final Config config;
    private final InetAddress bindAddress;
    private final int port;
    private final ExecutorService announcer;
    private volatile NodeInfo self;
    private volatile JChannel channel;
    private volatile TCPPING discovery;
    private boolean closed;

    /**
     * @param bindHost the address to bind (a concrete address, not a wildcard)
     * @param port     the membership port, 0 for a free one
     */
    public Membership(NodeInfo self, String bindHost, int port, Config config, Listener listener) throws IOException {
        this.self = self;
        this.config = config;
        this.listener = listener;
        this.bindAddress = InetAddress.getByName(bindHost);
        this.port = port != 0 ? port : freePort(bindAddress);
        this.announcer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "weft-membership-announce");
            t.setDaemon(true);
            return t;
        });
    }

    private static int freePort(InetAddress addr) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, addr)) {
            return s.getLocalPort();
        }
    }

    /** {@code host:port} of this node's membership endpoint. */
    public String address() {
        return bindAddress.getHostAddress() + ":" + port;
    }

    public void updateSelf(NodeInfo info) {
        this.self = info;
    }

    /** Joins the group, discovering it through {@code initialHosts} ({@code host:port} membership addresses). */
    public synchronized void start(Collection<String> initialHosts) throws Exception {
        if (closed) {
            return;
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
        List<InetSocketAddress> hosts = new ArrayList<>();
        hosts.add(new InetSocketAddress(bindAddress, port));
        for (String h : initialHosts) {
            InetSocketAddress a = toAddress(h);
            if (a != null && !hosts.contains(a)) {
                hosts.add(a);
            }
        }
        TCP tcp = new TCP();
        tcp.setBindAddress(bindAddress);
        tcp.setBindPort(port);
        tcp.setPortRange(0);
        discovery = new TCPPING();
        discovery.setInitialHosts(hosts);
        discovery.setPortRange(0);
        channel = new JChannel(
                tcp,
                discovery,
                new MERGE3().setMinInterval(config.mergeMinMillis).setMaxInterval(config.mergeMaxMillis),
                new FD_ALL3().setInterval(config.heartbeatIntervalMillis).setTimeout(config.failureTimeoutMillis),
                new VERIFY_SUSPECT2().setTimeout(config.verifyTimeoutMillis),
                new NAKACK2(),
                new UNICAST3(),
                new STABLE(),
                new GMS().setJoinTimeout(config.joinTimeoutMillis).printLocalAddress(false),
                new FRAG2());
        channel.setName(self.name());
        channel.setDiscardOwnMessages(true);
        channel.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                onView(view);
            }

            @Override
            public void receive(Message msg) {
                onMessage(msg);
            }
        });
        channel.connect(CLUSTER);
        LOG.info("membership: joined as {} at {}, view {}", self.name(), address(), channel.getView());
    }

    /** Adds membership addresses to discovery, e.g. seeds that answered after start. */
    public void addInitialHosts(Collection<String> hostPorts) {
        TCPPING d = discovery;
        if (d == null) {
            return;
        }
        List<IpAddress> add = new ArrayList<>();
        for (String h : hostPorts) {
            InetSocketAddress a = toAddress(h);
            if (a != null) {
                add.add(new IpAddress(a.getAddress(), a.getPort()));
            }
        }
        Collection<org.jgroups.PhysicalAddress> current = d.getInitialHosts();
        List<org.jgroups.PhysicalAddress> merged = new ArrayList<>(current);
        for (IpAddress a : add) {
            if (!merged.contains(a)) {
                merged.add(a);
            }
        }
        if (merged.size() != current.size()) {
            d.setInitialHosts2(merged);
        }
    }

    private static InetSocketAddress toAddress(String hostPort) {
        if (hostPort == null || hostPort.isBlank()) {
            return null;
        }
        try {
            io.weft.protocol.HostPort hp = io.weft.protocol.HostPort.parse(hostPort);
            return new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port());
        } catch (IOException | RuntimeException e) {
            LOG.warn("membership: ignoring bad address '{}': {}", hostPort, e.toString());
            return null;
        }
    }

    private void onView(View view) {
        Set<String> names = new HashSet<>();
        for (Address a : view.getMembers()) {
            String n = NameCache.get(a);
            names.add(n != null ? n : a.toString());
        }
        LOG.info("membership: view {} with {} members", view.getViewId(), names.size());
        listener.members(names);
        announcer.execute(this::announce);
    }

    /** Sends this node's info to every member. */
    public void announce() {
        JChannel ch = channel;
        if (ch == null || !ch.isConnected()) {
            return;
        }
        ByteBuf b = Unpooled.buffer(256);
        self.write(b);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        try {
            ch.send(new org.jgroups.BytesMessage(null, bytes));
        } catch (Exception e) {
            LOG.debug("membership: announce failed: {}", e.toString());
        }
    }

    private void onMessage(Message msg) {
        try {
            byte[] bytes = msg.getArray();
            ByteBuf b = Unpooled.wrappedBuffer(bytes, msg.getOffset(), msg.getLength());
            listener.nodeInfo(NodeInfo.read(b));
        } catch (RuntimeException e) {
            LOG.warn("membership: bad node info from {}: {}", msg.getSrc(), e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        announcer.shutdownNow();
        if (channel != null) {
            channel.close();
        }
    }

}
