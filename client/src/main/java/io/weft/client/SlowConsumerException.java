package io.weft.client;

import io.weft.protocol.ErrorCode;

/**
 * The broker closed this connection because it did not read its events fast enough; events were
 * dropped for it before that. The client reconnects and resubscribes on its own.
 */
public final class SlowConsumerException extends MeshException {
    private static final long serialVersionUID = 1L;

    public SlowConsumerException(String message) {
        super(ErrorCode.SLOW_CONSUMER, message, null);
    }
}
