package io.weft.routing.net;

/**
 * When one end of a mesh link pings its peer, and when it gives the link up. Pure logic on a clock
 * the caller passes in; the link's event loop asks {@link #due} at {@link #nextCheck} and acts on the
 * answer.
 *
 * <p><b>Who pings.</b> A side pings when the peer has sent nothing of its own accord (any frame but
 * the PONG to our PING) for a while: a side that hears traffic never pings. On a quiet link the side
 * that dialled pings every {@code interval}; the side that accepted hears those pings and only
 * answers. Its own threshold is later ({@link #acceptorPingAfter}), so it pings only when the
 * dialler's pings stop while the dialler still hears from it (the dialler needs no pings while the
 * acceptor sends it gossip or replies). One PING and one PONG per interval on an idle link, where
 * pinging on each side's own write silence made two of each.
 *
 * <p>Any frame, PONGs included, proves the peer alive: a side that has heard nothing for
 * {@code timeout} closes the link.
 */
final class LinkHeartbeat {
    /** What the link should do now. */
    enum Action { NONE, PING, CLOSE }

    private final long intervalNanos;
    private final long pingAfterNanos;
    private final long timeoutNanos;
    private long lastHeardNanos;
    private long lastTrafficNanos;
    private long lastPingNanos;

    /**
     * @param dialled whether this end dialled the connection
     * @param now     the current time in nanoseconds (the link counts as heard at its start)
     */
    LinkHeartbeat(boolean dialled, long intervalNanos, long timeoutNanos, long now) {
        if (intervalNanos <= 0 || timeoutNanos <= intervalNanos) {
            throw new IllegalArgumentException("need 0 < interval < timeout, got " + intervalNanos + " and " + timeoutNanos);
        }
        this.intervalNanos = intervalNanos;
        this.pingAfterNanos = dialled ? intervalNanos : acceptorPingAfter(intervalNanos, timeoutNanos);
        this.timeoutNanos = timeoutNanos;
        this.lastHeardNanos = now;
        this.lastTrafficNanos = now;
        this.lastPingNanos = now;
    }

    /**
     * The silence after which the accepting side pings: twice the interval, but no later than half
     * way between the interval and the timeout, so that its PONG has time to come back.
     */
    static long acceptorPingAfter(long interval, long timeout) {
        return Math.min(2 * interval, interval + (timeout - interval) / 2);
    }

    /**
     * The peer was heard from at {@code now}: with {@code traffic}, something else than a PONG, so the
     * peer is talking of its own accord; without, only answers to our pings.
     */
    void heard(long now, boolean traffic) {
        lastHeardNanos = now;
        if (traffic) {
            lastTrafficNanos = now;
        }
    }

    /** What is due at {@code now}; a PING returned is counted as sent. */
    Action due(long now) {
        long silent = now - lastHeardNanos;
        if (silent >= timeoutNanos) {
            return Action.CLOSE;
        }
        if (now - lastTrafficNanos >= pingAfterNanos && now - lastPingNanos >= intervalNanos) {
            lastPingNanos = now;
            return Action.PING;
        }
        return Action.NONE;
    }

    /** When to ask {@link #due} next: the first moment something can be due if nothing is heard. */
    long nextCheck(long now) {
        long closeAt = lastHeardNanos + timeoutNanos;
        long pingAt = Math.max(lastTrafficNanos + pingAfterNanos, lastPingNanos + intervalNanos);
        return Math.max(now, Math.min(closeAt, pingAt));
    }
}
