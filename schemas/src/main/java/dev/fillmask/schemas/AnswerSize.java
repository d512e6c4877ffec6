package dev.fillmask.schemas;

import java.util.Locale;

/**
 * What an answer's size costs, and what a request whose answer is too large is told. An answer holds, for each mask,
 * {@code top_k} candidates, and each candidate carries the whole filled-in sequence: masks × top_k × sequence length
 * is known before any candidate is built, so a surely-too-large answer is refused before it is materialised (by the
 * engine, with {@link #atLeast}) and the exact size is checked when it is written (by the codec).
 */
public final class AnswerSize {
    /**
     * The fewest JSON bytes one candidate takes besides the text of its {@code sequence} and {@code token_str}:
     * {@code {"sequence":"","score":0.0,"token":0,"token_str":""}}.
     */
    public static final int MIN_CANDIDATE_BYTES = 52;

    private AnswerSize() {}

    /**
     * The fewest bytes an answer of {@code masks} rows of {@code candidatesPerMask} candidates takes, when each
     * candidate's sequence takes at least {@code minSequenceBytes}.
     */
    public static long atLeast(int masks, int candidatesPerMask, long minSequenceBytes) {
        return (long) masks * candidatesPerMask * (MIN_CANDIDATE_BYTES + Math.max(0, minSequenceBytes));
    }

    /** The error message of an answer of (at least, when {@code lowerBound}) {@code bytes} over {@code limit}. */
    public static String tooLarge(long bytes, boolean lowerBound, int masks, int candidatesPerMask, int limit) {
        return String.format(Locale.ROOT,
                "the answer would be %s%,d bytes (%,d mask%s x %,d candidate%s, each with the whole sequence), more "
                        + "than the limit of %,d bytes: ask for fewer candidates (`parameters.top_k`), use fewer "
                        + "masks or send a shorter input",
                lowerBound ? "at least " : "", bytes, masks, masks == 1 ? "" : "s", candidatesPerMask,
                candidatesPerMask == 1 ? "" : "s", limit);
    }
}
