package io.weft.storage;

/** A stream or consumer setting out of range; {@link #field()} names the setting so callers can report it. */
public final class InvalidStreamConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;

    /** Creates the exception; the message reads {@code "<field>: <problem>"}. */
    public InvalidStreamConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The name of the offending setting, e.g. {@code "replicas"} or {@code "subjects[1]"}. */
    public String field() {
        return field;
    }
}
