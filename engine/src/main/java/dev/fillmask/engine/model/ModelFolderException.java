package dev.fillmask.engine.model;

/** A model folder that cannot be used: a file is missing, unreadable or inconsistent. The message says which. */
public class ModelFolderException extends RuntimeException {
    public ModelFolderException(String message) {
        super(message);
    }

    public ModelFolderException(String message, Throwable cause) {
        super(message, cause);
    }
}
