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
 */
public record Info(int version, String serverVersion, String node, String site, int maxFrameBytes,
                   boolean ready, List<NodeAddress> nodes) {
}
