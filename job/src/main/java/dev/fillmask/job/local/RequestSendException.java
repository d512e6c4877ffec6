package dev.fillmask.job.local;

/** A request the broker did not take: the run stops with Kafka's reason instead of waiting for answers that never come. */
public final class RequestSendException extends RuntimeException {
    RequestSendException(String message, Throwable cause) {
        super(message, cause);
    }
}
