package io.weft.client;

import io.weft.protocol.ErrorCode;

/**
 * An error from the mesh or the client: {@link #code()} is the stable protocol code when the broker
 * sent it, {@code null} for client-side failures (no broker reachable, timeouts, closed client).
 */
public class MeshException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ErrorCode code;

    public MeshException(String message) {
        this(null, message, null);
    }

    public MeshException(String message, Throwable cause) {
        this(null, message, cause);
    }

    public MeshException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The broker's error code, or null for errors raised by the client itself. */
    public ErrorCode code() {
        return code;
    }
}
