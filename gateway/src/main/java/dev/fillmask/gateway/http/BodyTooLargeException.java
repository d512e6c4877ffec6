package dev.fillmask.gateway.http;

import java.util.Locale;

/** A request body over the limit: 413, said before it is read when it declares its length. */
public final class BodyTooLargeException extends Exception {
    public BodyTooLargeException(String message) {
        super(message, null, false, false);
    }

    static BodyTooLargeException declared(long length, int limit) {
        return new BodyTooLargeException(String.format(Locale.ROOT,
                "the request body is %,d bytes, more than the limit of %,d", length, limit));
    }

    static BodyTooLargeException counted(int limit) {
        return new BodyTooLargeException(String.format(Locale.ROOT,
                "the request body is more than the limit of %,d bytes", limit));
    }
}
