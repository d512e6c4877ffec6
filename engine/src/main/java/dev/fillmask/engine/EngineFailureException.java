package dev.fillmask.engine;

/**
 * The engine cannot answer any request: the model fails even on one that cannot be at fault (a device lost, memory
 * exhausted, a broken session). Not a request's fault, so no request is answered with it: the caller fails, and
 * Flink restarts the task, perhaps elsewhere.
 */
public final class EngineFailureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
