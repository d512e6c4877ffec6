package dev.fillmask.schemas;

import java.util.Objects;

/**
 * One candidate for one mask. JSON: {@code {"sequence": ..., "score": ..., "token": ..., "token_str": ...}}, in that
 * field order.
 *
 * @param sequence the input with this candidate in the mask's place, decoded by the model's tokenizer
 * @param score    the full-vocabulary softmax probability of {@code token} at the mask (a float32 widened to double;
 *                 written as Jackson writes a double, not rounded). Must be finite.
 * @param token    the candidate's token id in the model's vocabulary
 * @param tokenStr the candidate token decoded alone ({@code token_str})
 */
public record Candidate(String sequence, double score, long token, String tokenStr) {

    public Candidate {
        Objects.requireNonNull(sequence, "sequence");
        Objects.requireNonNull(tokenStr, "tokenStr");
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("score must be a finite number, got " + score);
        }
    }
}
