package dev.fillmask.engine;

/** The engine cannot start as configured (model, device or options); the message says what to change. */
public class EngineStartException extends RuntimeException {
    public EngineStartException(String message) {
        super(message);
    }

    public EngineStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
