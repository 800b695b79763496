package io.weft.routing.net;

import io.weft.protocol.ErrorCode;
import io.weft.protocol.ProtocolException;

/** What a mesh connection is for. */
public enum LinkKind {
    /** A short-lived connection that only asks who a seed is and whom it knows. */
    PROBE(0),
    /** Between two nodes of one site (full mesh). */
    ROUTE(1),
    /** From a node to one node of another site. */
    GATEWAY(2);

    final int code;

    LinkKind(int code) {
        this.code = code;
    }

    static LinkKind of(int code) {
        for (LinkKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "unknown link kind " + code);
    }
}
