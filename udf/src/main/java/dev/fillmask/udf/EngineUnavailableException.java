package dev.fillmask.udf;

import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * A slot cannot open its engine: the model folder is missing or broken, or the execution provider asked for cannot be
 * had. Restarting would fail the same way, so Flink fails the job at once instead of restarting it forever.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
public final class EngineUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
