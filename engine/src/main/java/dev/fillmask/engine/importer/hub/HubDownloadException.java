package dev.fillmask.engine.importer.hub;

import dev.fillmask.engine.importer.ModelImportException;

/** A model could not be downloaded from the hub; the message says why and what to do (never the token). */
public class HubDownloadException extends ModelImportException {
    public HubDownloadException(String message) {
        super(message);
    }

    public HubDownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
