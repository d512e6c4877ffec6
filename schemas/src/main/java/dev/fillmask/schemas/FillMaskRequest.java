package dev.fillmask.schemas;

import java.util.List;
import java.util.Objects;

/**
 * One fill-mask request: {@code {"inputs": "...", "parameters": {"top_k": 3, "targets": ["a", "b"]}}}.
 *
 * @param inputs  the text with one or more of the model's mask tokens (never {@code null})
 * @param topK    {@code parameters.top_k}, or {@code null} when absent (the default, {@value #DEFAULT_TOP_K}, applies).
 *                Not checked here, so that clients and tests can build out-of-range requests; the codec checks it
 *                when it reads a request.
 * @param targets {@code parameters.targets}, or {@code null} when absent. A lone string target is read as a list of
 *                one. An empty list is kept (the engine answers "At least one target must be provided when
 *                passed."). Stored as an unmodifiable copy.
 */
public record FillMaskRequest(String inputs, Integer topK, List<String> targets) {

    /** {@code top_k} when the request does not give one (as in the Python {@code FillMaskPipeline}). */
    public static final int DEFAULT_TOP_K = 5;

    public FillMaskRequest {
        Objects.requireNonNull(inputs, "inputs");
        targets = targets == null ? null : List.copyOf(targets);
    }

    /** A request with only {@code inputs}: default {@code top_k}, no targets. */
    public static FillMaskRequest of(String inputs) {
        return new FillMaskRequest(inputs, null, null);
    }

    /** {@code topK}, or {@value #DEFAULT_TOP_K} when the request gave none. */
    public int topKOrDefault() {
        return topK == null ? DEFAULT_TOP_K : topK;
    }

    /** Whether {@code parameters.targets} was given (possibly as an empty list). */
    public boolean hasTargets() {
        return targets != null;
    }
}
