package io.weft.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Settings of a {@link MeshClient}. Build with {@link #builder()}; every setting has a sane default
 * except the servers.
 */
public final class ClientOptions {
    final List<String> servers;
    final String name;
    final String site;
    final boolean discover;
    final Duration connectTimeout;
    final Duration publishTimeout;
    final boolean preferServers;
    final Duration reconnectWaitMin;
    final Duration reconnectWaitMax;
    final int maxReconnectAttempts;
    final long maxPendingOutBytes;
    final int maxPendingInMessages;
    final long maxPendingInBytes;
    final Consumer<MeshException> errorListener;
    final Consumer<ConnectionEvent> connectionListener;
    final Duration durableAttemptTimeout;
    final Duration durablePublishTimeout;
    final Duration durableRetryWaitMin;
    final Duration durableRetryWaitMax;
    final int maxDurableInFlight;
    final Duration requestTimeout;
    final java.nio.file.Path tlsCa;
    final java.nio.file.Path tlsCert;
    final java.nio.file.Path tlsKey;
    final boolean tlsVerifyHostName;
    final String user;
    final String password;
    final String token;

    private ClientOptions(Builder b) {
        if (b.servers.isEmpty()) {
            throw new IllegalArgumentException("at least one server HOST:PORT is required");
        }
        this.servers = List.copyOf(b.servers);
        this.name = b.name;
        this.site = b.site;
        this.discover = b.discover;
        this.preferServers = b.preferServers;
        this.connectTimeout = b.connectTimeout;
        this.publishTimeout = b.publishTimeout;
        this.reconnectWaitMin = b.reconnectWaitMin;
        this.reconnectWaitMax = b.reconnectWaitMax;
        this.maxReconnectAttempts = b.maxReconnectAttempts;
        this.maxPendingOutBytes = b.maxPendingOutBytes;
        this.maxPendingInMessages = b.maxPendingInMessages;
        this.maxPendingInBytes = b.maxPendingInBytes;
        this.errorListener = b.errorListener;
        this.connectionListener = b.connectionListener;
        this.durableAttemptTimeout = b.durableAttemptTimeout;
        this.durablePublishTimeout = b.durablePublishTimeout;
        this.durableRetryWaitMin = b.durableRetryWaitMin;
        this.durableRetryWaitMax = b.durableRetryWaitMax;
        this.maxDurableInFlight = b.maxDurableInFlight;
        this.requestTimeout = b.requestTimeout;
        if ((b.tlsCert == null) != (b.tlsKey == null)) {
            throw new IllegalArgumentException("a TLS client certificate needs its key, and a key its certificate");
        }
        if (b.tlsCert != null && b.tlsCa == null) {
            throw new IllegalArgumentException("a TLS client certificate needs the CA bundle (tlsCa) too");
        }
        this.tlsCa = b.tlsCa;
        this.tlsCert = b.tlsCert;
        this.tlsKey = b.tlsKey;
        this.tlsVerifyHostName = b.tlsVerifyHostName;
        if ((b.user == null) != (b.password == null)) {
            throw new IllegalArgumentException("a user needs a password, and a password a user");
        }
        if (b.user != null && b.token != null) {
            throw new IllegalArgumentException("give a user and password or a token, not both");
        }
        this.user = b.user;
        this.password = b.password;
        this.token = b.token;
    }

    @Override
    public String toString() {
        return "ClientOptions" + servers + (user != null ? " user " + user : "") + (token != null ? " token ***" : "");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What happened to the client's connection. */
    public enum ConnectionState { CONNECTED, DISCONNECTED, RECONNECTED, CLOSED }

    /** A connection change, with the broker's address when there is one. */
    public record ConnectionEvent(ConnectionState state, String server) {
    }

    /** Builder of {@link ClientOptions}. */
    public static final class Builder {
        private final List<String> servers = new ArrayList<>();
        private String name = "weft-java";
        private String site = "";
        private boolean discover = true;
        private boolean preferServers;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration publishTimeout = Duration.ofSeconds(10);
        private Duration reconnectWaitMin = Duration.ofMillis(50);
        private Duration reconnectWaitMax = Duration.ofSeconds(2);
        private int maxReconnectAttempts = -1;
        private long maxPendingOutBytes = 8L << 20;
        private int maxPendingInMessages = 65536;
        private long maxPendingInBytes = 64L << 20;
        private Consumer<MeshException> errorListener = e -> { };
        private Consumer<ConnectionEvent> connectionListener = e -> { };
        private Duration durableAttemptTimeout = Duration.ofSeconds(5);
        private Duration durablePublishTimeout = Duration.ofSeconds(30);
        private Duration durableRetryWaitMin = Duration.ofMillis(100);
        private Duration durableRetryWaitMax = Duration.ofSeconds(2);
        private int maxDurableInFlight = 10_000;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private java.nio.file.Path tlsCa;
        private java.nio.file.Path tlsCert;
        private java.nio.file.Path tlsKey;
        private boolean tlsVerifyHostName = true;
        private String user;
        private String password;
        private String token;

        /** Broker client addresses {@code HOST:PORT}; an entry may hold several, comma-separated. */
        public Builder servers(String... servers) {
            for (String s : servers) {
                Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(this.servers::add);
            }
            return this;
        }

        /** Client name shown in broker logs. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        /**
         * The site this client runs in; brokers of the same site are preferred over nearer ones of
         * other sites (but a ready broker over one that is not). Empty (default): no preference.
         */
        public Builder site(String site) {
            this.site = site == null ? "" : site;
            return this;
        }

        /**
         * Whether the nodes that brokers list in their INFO become candidates too (default true). Off,
         * the client only ever uses the servers given here (still the nearest of them): for tools and
         * tests that must talk to one particular node.
         */
        public Builder discover(boolean discover) {
            this.discover = discover;
            return this;
        }

        /**
         * Whether the servers given here come before discovered nodes when they answer (default
         * false: the nearest node wins). On, discovered nodes are for failover only: for tools where
         * naming a node means "this node" ({@code meshctl -s}).
         */
        public Builder preferServers(boolean prefer) {
            this.preferServers = prefer;
            return this;
        }

        /**
         * How long one connection attempt (TCP connect, then HELLO until INFO) may take. Measuring the
         * candidates waits at most half of it (and at most 1 s) for slower ones once one has answered.
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /** How long {@code publish} may block while the outbound buffer is full before it throws. */
        public Builder publishTimeout(Duration d) {
            this.publishTimeout = positive(d, "publishTimeout");
            return this;
        }

        /** Back-off between reconnect attempts: doubles from min to max, with jitter. */
        public Builder reconnectWait(Duration min, Duration max) {
            this.reconnectWaitMin = positive(min, "reconnectWait min");
            this.reconnectWaitMax = positive(max, "reconnectWait max");
            return this;
        }

        /** Reconnect attempts before giving up; -1 (default) = forever, 0 = never reconnect. */
        public Builder maxReconnectAttempts(int n) {
            this.maxReconnectAttempts = n;
            return this;
        }

        /** Bound of the outbound buffer (published but not yet written); publish blocks past it. */
        public Builder maxPendingOutBytes(long bytes) {
            if (bytes < 64 * 1024) {
                throw new IllegalArgumentException("maxPendingOutBytes must be at least 64 KiB");
            }
            this.maxPendingOutBytes = bytes;
            return this;
        }

        /** Bound of delivered events waiting for handlers; past it the client stops reading. */
        public Builder maxPendingIn(int messages, long bytes) {
            if (messages < 1 || bytes < 1024) {
                throw new IllegalArgumentException("maxPendingIn needs at least 1 message and 1 KiB");
            }
            this.maxPendingInMessages = messages;
            this.maxPendingInBytes = bytes;
            return this;
        }

        /** Receives asynchronous errors (slow consumer, rejected subscriptions, handler exceptions). */
        public Builder errorListener(Consumer<MeshException> l) {
            this.errorListener = Objects.requireNonNull(l);
            return this;
        }

        /** Receives connection changes. */
        public Builder connectionListener(Consumer<ConnectionEvent> l) {
            this.connectionListener = Objects.requireNonNull(l);
            return this;
        }

        /**
         * How long one attempt of a durable publish waits for its PUB_ACK before the event is sent
         * again (default 5 s).
         */
        public Builder durableAttemptTimeout(Duration d) {
            this.durableAttemptTimeout = positive(d, "durableAttemptTimeout");
            return this;
        }

        /**
         * How long a durable publish keeps retrying (failed acks, attempt timeouts, lost connections)
         * before its future fails (default 30 s).
         */
        public Builder durablePublishTimeout(Duration d) {
            this.durablePublishTimeout = positive(d, "durablePublishTimeout");
            return this;
        }

        /** Back-off before a durable publish is sent again: doubles from min to max (default 100 ms to 2 s). */
        public Builder durableRetryWait(Duration min, Duration max) {
            this.durableRetryWaitMin = positive(min, "durableRetryWait min");
            this.durableRetryWaitMax = positive(max, "durableRetryWait max");
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("durableRetryWait max must not be below min");
            }
            return this;
        }

        /**
         * Bound of durable publishes waiting for their ack (default 10 000); past it
         * {@code publishDurable} blocks, up to the publish timeout.
         */
        public Builder maxDurableInFlight(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxDurableInFlight must be at least 1");
            }
            this.maxDurableInFlight = n;
            return this;
        }

        /** How long {@code request} waits for the broker's reply (default 30 s). */
        public Builder requestTimeout(Duration d) {
            this.requestTimeout = positive(d, "requestTimeout");
            return this;
        }

        /**
         * Connects over TLS, trusting brokers whose certificates chain to a CA in {@code caFile} (PEM).
         * Null turns TLS off (the default).
         */
        public Builder tls(java.nio.file.Path caFile) {
            this.tlsCa = caFile;
            return this;
        }

        /** Presents this certificate and key (PEM, PKCS#8) to the broker: authentication by certificate. */
        public Builder tlsCertificate(java.nio.file.Path certFile, java.nio.file.Path keyFile) {
            this.tlsCert = certFile;
            this.tlsKey = keyFile;
            return this;
        }

        /**
         * Whether the broker's certificate must name the host or address dialled (default true, as HTTPS
         * does; Weft's node certificates name 127.0.0.1, localhost and any --dns/--ip given to meshctl pki).
         */
        public Builder tlsVerifyHostName(boolean verify) {
            this.tlsVerifyHostName = verify;
            return this;
        }

        /** Authenticates as {@code user} with {@code password} when the broker asks (its --security-config). */
        public Builder credentials(String user, String password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** Authenticates with a token when the broker asks. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public ClientOptions build() {
            return new ClientOptions(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }
    }
}
