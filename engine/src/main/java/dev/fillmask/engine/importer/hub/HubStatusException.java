package dev.fillmask.engine.importer.hub;

import java.net.URI;

/**
 * An HTTP error answer, with what the hub says about it ({@code X-Error-Code}: {@code RepoNotFound},
 * {@code RevisionNotFound}, {@code EntryNotFound}, {@code GatedRepo}; {@code X-Error-Message}). {@link HubDownload}
 * turns it into a message that says what to do, knowing which repository, revision and file it asked for.
 */
final class HubStatusException extends Exception {
    final int status;
    final String errorCode;
    final String errorMessage;
    final URI url;

    HubStatusException(int status, String errorCode, String errorMessage, URI url) {
        super("HTTP " + status + (errorCode != null ? " " + errorCode : "") + " for " + HubHttp.display(url));
        this.status = status;
        this.errorCode = errorCode;
        this.errorMessage = errorMessage;
        this.url = url;
    }

    boolean isEntryNotFound() {
        return status == 404 && (errorCode == null || errorCode.equals("EntryNotFound"));
    }

    boolean isRetryable() {
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }
}
