package dev.fillmask.udf;

import java.io.Serializable;
import java.time.Duration;

/**
 * When the operator runs the model: as soon as {@code maxSize} records wait, or when the oldest waiting record has
 * waited {@code maxDelay}, whichever comes first (and always before a checkpoint barrier or the end of input).
 */
public record BatchPolicy(int maxSize, Duration maxDelay) implements Serializable {
    public BatchPolicy {
        if (maxSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + maxSize);
        }
        if (maxDelay == null || maxDelay.isNegative()) {
            throw new IllegalArgumentException("max batch delay must be >= 0, got " + maxDelay);
        }
    }
}
