package io.weft.protocol;

/** An ERR frame: stable code, the reference of the request it answers (0 if none), and a message. */
public record ErrorFrame(ErrorCode code, long ref, String message) {
    @Override
    public String toString() {
        return code.text() + " (" + code.name() + "): " + message;
    }
}
