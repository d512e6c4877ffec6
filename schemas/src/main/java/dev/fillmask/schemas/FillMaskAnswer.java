package dev.fillmask.schemas;

import java.util.List;
import java.util.Objects;

/**
 * What one request gets back: the candidates for a single mask, one row of candidates per mask, or an error.
 *
 * <ul>
 *   <li>{@link SingleMask}: JSON a flat array of candidates, best first.</li>
 *   <li>{@link MultiMask}: JSON an array of arrays, one row per mask in text order.</li>
 *   <li>{@link Error}: JSON {@code {"error": "..."}}, the shape the Hugging Face API uses for errors.</li>
 * </ul>
 */
public sealed interface FillMaskAnswer permits FillMaskAnswer.SingleMask, FillMaskAnswer.MultiMask, FillMaskAnswer.Error {

    /** The answer to a request whose input has exactly one mask. JSON: a flat array, best first. */
    record SingleMask(List<Candidate> candidates) implements FillMaskAnswer {
        public SingleMask {
            candidates = List.copyOf(candidates);
        }
    }

    /**
     * The answer to a request whose input has several masks. JSON: an array of arrays, one row per mask in text
     * order. A request with one mask is answered by {@link SingleMask}, never by a {@code MultiMask} of one row
     * (use {@link FillMaskAnswer#ofRows(List)} to pick the right one).
     */
    record MultiMask(List<List<Candidate>> rows) implements FillMaskAnswer {
        public MultiMask {
            rows = rows.stream().map(List::copyOf).toList();
        }
    }

    /** An error: a message a person can act on. JSON: {@code {"error": "..."}}. */
    record Error(String message) implements FillMaskAnswer {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }

    /** An {@link Error} answer with this message. */
    static FillMaskAnswer error(String message) {
        return new Error(message);
    }

    /**
     * The answer for these rows, one per mask in text order: a {@link SingleMask} for one row, a {@link MultiMask}
     * for several (as the Python pipeline does).
     *
     * @throws IllegalArgumentException if there are no rows
     */
    static FillMaskAnswer ofRows(List<List<Candidate>> rowsPerMask) {
        if (rowsPerMask.isEmpty()) {
            throw new IllegalArgumentException("an answer needs at least one row (one per mask)");
        }
        return rowsPerMask.size() == 1 ? new SingleMask(rowsPerMask.get(0)) : new MultiMask(rowsPerMask);
    }

    /** Whether this is an {@link Error}. */
    default boolean isError() {
        return this instanceof Error;
    }
}
