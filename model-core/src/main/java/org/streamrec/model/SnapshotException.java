package org.streamrec.model;

/** A model snapshot could not be written or read; the message names the file and the problem. */
public class SnapshotException extends RuntimeException {

    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
