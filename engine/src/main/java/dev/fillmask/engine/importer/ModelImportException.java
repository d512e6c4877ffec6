package dev.fillmask.engine.importer;

/** The default model could not be imported; the message says why and what to do about it. */
public class ModelImportException extends RuntimeException {
    public ModelImportException(String message) {
        super(message);
    }

    public ModelImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
