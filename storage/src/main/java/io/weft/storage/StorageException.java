package io.weft.storage;

/** The store failed underneath (disk full, I/O error, corruption): the replica cannot go on. */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with the store's message and cause. */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
