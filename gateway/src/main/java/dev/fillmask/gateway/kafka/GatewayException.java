package dev.fillmask.gateway.kafka;

/** Why a request waiting for its answer will not get it: the HTTP status and the message its caller reads. */
public final class GatewayException extends RuntimeException {
    private final int status;

    public GatewayException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
