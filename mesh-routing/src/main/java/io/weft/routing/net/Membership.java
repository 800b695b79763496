package io.weft.routing.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership and failure detection: a thin adapter over a JGroups channel (TCP only, seed-based
 * discovery with TCPPING, FD_ALL3 + VERIFY_SUSPECT2 to detect dead nodes, MERGE3 to heal
 * partitions). All nodes of all sites form one group.
 *
 * <p>Who a member is comes from the member itself: each node sends its {@link NodeInfo} to the
 * group on every view change, and a member of the view that has not been heard from is asked, by
 * a unicast that carries the asker's own info, until it answers ({@link MemberTable}). JGroups'
 * logical names are only for its own logs. The listener gets {@link Members}: named members by
 * node name, and the unnamed ones, so a peer is never silently missing.
 *
 * <p>Wire format of a membership message: a {@link NodeInfo}, then an optional {@code u8} of flags
 * (bit 0: "answer with yours"). Nodes that predate the flags ignore the trailing byte.
 * Interest never travels here: it goes over our own route and gateway links.
 */
public final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    /** The group of a mesh where every node dials every site: one group for all sites. */
    public static final String MESH_GROUP = "weft-mesh";
    private volatile String group = MESH_GROUP;

    /** Failure detection settings. */
    public record Config(long heartbeatIntervalMillis, long failureTimeoutMillis, long verifyTimeoutMillis,
                         long joinTimeoutMillis, long mergeMinMillis, long mergeMaxMillis) {
    }

    /** How often an unnamed member is asked to announce itself. */
    static final long ASK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int FLAG_ASK = 1;

    /** Callbacks; they run one at a time, in order, on the membership thread. */
    public interface Listener {
        /** The group changed: a member joined, left, announced itself or restarted. */
        void members(Members members);
    }

    private final Listener listener;
    private final Config config;
    private final InetAddress bindAddress;
    private final int port;
    /**
     * The picked port, held bound (not listening) from the pick until JGroups binds it: the join waits for
     * seeds for up to seconds, and a port merely found free was taken in between by another node's fixed
     * HTTP port on the demo mesh, after which the join retried the taken port for ever.
     */
    private java.nio.channels.SocketChannel reservation;
    private final ExecutorService announcer;
    private volatile NodeInfo self;
    private volatile JChannel channel;
    private volatile TCPPING discovery;
    private boolean closed;
    /** Guards {@link #table}; listener calls are queued on {@link #announcer} under it, so in order. */
    private final Object lock = new Object();
    private volatile javax.net.ssl.SSLContext tls;
    private MemberTable<Address> table;

    /**
     * @param bindHost the address to bind (a concrete address, not a wildcard)
     * @param port     the membership port, 0 for a free one
     */
    public Membership(NodeInfo self, String bindHost, int port, Config config, Listener listener) throws IOException {
        this.self = self;
        this.config = config;
        this.listener = listener;
        this.bindAddress = InetAddress.getByName(bindHost);
        if (port != 0) {
            this.port = port;
        } else {
            this.reservation = reserve(bindAddress, ephemeralLow(), new java.util.SplittableRandom());
            this.port = ((InetSocketAddress) reservation.getLocalAddress()).getPort();
        }
        this.announcer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "weft-membership-announce");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A free port for the membership endpoint when none was given, picked below the kernel's range of
     * ephemeral ports. JGroups binds the port itself, some seconds later; a port found by binding port
     * 0 comes from the ephemeral range, and in between this node's own outgoing connections (the mesh
     * links it dials at start) can be given it as their local port. That kept JGroups from binding it
     * for 58 s in one of CI's start-up stress rounds. Below the range only an explicit bind can take it.
     */
    static int freePort(InetAddress addr, int ephemeralLow, java.util.random.RandomGenerator random) throws IOException {
        try (java.nio.channels.SocketChannel reserved = reserve(addr, ephemeralLow, random)) {
            return ((InetSocketAddress) reserved.getLocalAddress()).getPort();
        }
    }

    /**
     * A free port, as {@link #freePort}, held by a bound socket that does not listen: no other bind can take
     * it (peers that dial it are refused at once) until the socket is closed.
     */
    static java.nio.channels.SocketChannel reserve(InetAddress addr, int ephemeralLow,
            java.util.random.RandomGenerator random) throws IOException {
        int low = 10_000;
        if (ephemeralLow - low >= 1000) {
            for (int i = 0; i < 50; i++) {
                int candidate = low + random.nextInt(ephemeralLow - low);
                java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
                try {
                    ch.bind(new InetSocketAddress(addr, candidate));
                    return ch;
                } catch (IOException taken) {
                    ch.close(); // try another
                }
            }
        }
        java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
        try {
            ch.bind(new InetSocketAddress(addr, 0));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    private void releaseReservation() {
        if (reservation != null) {
            try {
                reservation.close();
            } catch (IOException e) {
                LOG.debug("releasing the membership port: {}", e.toString());
            }
            reservation = null;
        }
    }

    /** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
    static int ephemeralLow() {
        // read by line: Files.readString trusts the size /proc reports and returned "3" here
        try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(
                java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            return Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    /** Turns TLS on for the membership transport (call before {@link #start}). */
    public void useTls(javax.net.ssl.SSLContext context) {
        this.tls = context;
    }

    /** {@code host:port} of this node's membership endpoint. */
    public String address() {
        return bindAddress.getHostAddress() + ":" + port;
    }

    public void updateSelf(NodeInfo info) {
        this.self = info;
        synchronized (lock) {
            if (table != null) {
                table.updateSelf(info);
            }
        }
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
        // JGroups answers diagnostics probes (a UDP listener, unauthenticated) unless told not to
        tcp.disableDiagnostics();
        javax.net.ssl.SSLContext tlsContext = tls;
        if (tlsContext != null) {
            // the membership plane is TLS 1.3 with certificates on both sides, like mesh links; JGroups
            // checks the CA, the mesh links check that each node's certificate names it
            tcp.tls().enabled(true).setSSLContext(tlsContext).setClientAuth(org.jgroups.util.TLSClientAuth.NEED)
                    .setProtocols(new String[] {"TLSv1.3"});
        }
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
        releaseReservation(); // JGroups binds the port now
        channel.connect(group);
        LOG.info("membership: joined as {} at {}, view {}", self.name(), address(), channel.getView());
    }

    /**
     * Joins {@code name} instead of {@link #MESH_GROUP} (call before joining): a site whose links to other
     * sites are configured (multi-hop) has a group of its own, {@link #siteGroup}.
     */
    public void useGroup(String name) {
        this.group = java.util.Objects.requireNonNull(name, "name");
    }

    /** The group of one site's nodes when that site's links to other sites are configured. */
    public static String siteGroup(String site) {
        return MESH_GROUP + ".site." + site;
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
        LOG.info("membership: view {} with {} members", view.getViewId(), view.size());
        List<Address> ask;
        synchronized (lock) {
            MemberTable<Address> t = table();
            if (t == null) {
                return;
            }
            long now = System.nanoTime();
            publish(t.view(view.getMembers(), now));
            ask = t.dueAsks(now, ASK_INTERVAL_NANOS);
        }
        later(() -> {
            send(null, false);
            ask.forEach(a -> send(a, true));
        });
    }

    /** The table of the current channel (a restarted channel has a new address); null before connect. */
    private MemberTable<Address> table() {
        JChannel ch = channel;
        Address me = ch == null ? null : ch.getAddress();
        if (me == null) {
            return null;
        }
        if (table == null || !table.self().equals(me)) {
            table = new MemberTable<>(me, self);
        }
        return table;
    }

    /** Queues a listener call; the caller holds {@link #lock}, so calls keep the order of changes. */
    private void publish(Members changed) {
        if (changed != null) {
            later(() -> listener.members(changed));
        }
    }

    /**
     * Asks the members that have not announced themselves to do so (at most once per
     * {@link #ASK_INTERVAL_NANOS} each); call it periodically.
     *
     * @return how many were asked
     */
    public int askUnnamed() {
        List<Address> ask;
        synchronized (lock) {
            MemberTable<Address> t = table();
            if (t == null) {
                return 0;
            }
            ask = t.dueAsks(System.nanoTime(), ASK_INTERVAL_NANOS);
        }
        if (!ask.isEmpty()) {
            later(() -> ask.forEach(a -> send(a, true)));
        }
        return ask.size();
    }

    /** Sends this node's info to every member again (a repair: some may have dropped it). */
    public void announce() {
        later(() -> send(null, false));
    }

    /** Runs {@code r} on the membership thread; dropped once closed. */
    private void later(Runnable r) {
        try {
            announcer.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    /** Sends this node's info to {@code to} (null: every member), asking for theirs if {@code ask}. */
    private void send(Address to, boolean ask) {
        JChannel ch = channel;
        if (ch == null || !ch.isConnected()) {
            return;
        }
        ByteBuf b = Unpooled.buffer(256);
        self.write(b);
        b.writeByte(ask ? FLAG_ASK : 0);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        try {
            ch.send(new org.jgroups.BytesMessage(to, bytes));
        } catch (Exception e) {
            LOG.debug("membership: sending node info to {} failed: {}", to == null ? "all" : to, e.toString());
        }
    }

    private void onMessage(Message msg) {
        NodeInfo info;
        boolean ask;
        try {
            ByteBuf b = Unpooled.wrappedBuffer(msg.getArray(), msg.getOffset(), msg.getLength());
            info = NodeInfo.read(b);
            ask = b.isReadable() && (b.readByte() & FLAG_ASK) != 0;
        } catch (RuntimeException e) {
            LOG.warn("membership: bad node info from {}: {}", msg.getSrc(), e.toString());
            return;
        }
        Address from = msg.getSrc();
        synchronized (lock) {
            MemberTable<Address> t = table();
            if (t == null) {
                return;
            }
            publish(t.announced(from, info, System.nanoTime()));
        }
        if (ask) {
            later(() -> send(from, false));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        releaseReservation();
        announcer.shutdownNow();
        if (channel != null) {
            channel.close();
        }
    }

}
