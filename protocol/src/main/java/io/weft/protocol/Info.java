package io.weft.protocol;

import java.util.List;

/**
 * The broker's answer to HELLO.
 *
 * @param version       the protocol version chosen for this connection
 * @param serverVersion the broker's software version
 * @param node          the broker node's name
 * @param site          the broker node's site
 * @param maxFrameBytes the largest frame the broker accepts
 * @param ready         whether the node has synced interest and routes events everywhere
 * @param nodes         the nodes this broker knows (itself included), for nearest-broker selection
 * @param authRequired  (version 3) the client must send AUTH before anything else
 * @param authMethods   (version 3) the AUTH methods the broker takes, comma-separated (password, token)
 */
public record Info(int version, String serverVersion, String node, String site, int maxFrameBytes,
                   boolean ready, List<NodeAddress> nodes, boolean authRequired, String authMethods) {

    /** An INFO of a broker that requires no authentication. */
    public Info(int version, String serverVersion, String node, String site, int maxFrameBytes,
                boolean ready, List<NodeAddress> nodes) {
        this(version, serverVersion, node, site, maxFrameBytes, ready, nodes, false, "");
    }
}
