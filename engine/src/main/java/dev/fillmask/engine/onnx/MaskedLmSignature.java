package dev.fillmask.engine.onnx;

/**
 * The names of a masked-LM graph's inputs and outputs: the one place that defines them, for the importer, the head
 * rewrite, the quantizer and the session. A graph comes in one of two forms ({@link HeadForm}):
 *
 * <ul>
 *   <li><b>Full head</b>, as Hugging Face / optimum export it: {@value #INPUT_IDS}, {@value #ATTENTION_MASK} and
 *       optionally {@value #TOKEN_TYPE_IDS}, int64 [batch, sequence] → {@value #LOGITS}, float
 *       [batch, sequence, vocab]. The head runs at every position.</li>
 *   <li><b>Head at the masks</b>, what the importer writes and what {@link MaskedLmHeadRewriter} makes of a full-head
 *       export: the same inputs plus {@value #MASK_POSITIONS}, int64 [masks], each a flat index
 *       {@code item * sequence + position} into the padded batch → {@value #MASK_LOGITS}, float [masks, vocab], row
 *       {@code i} for {@code mask_positions[i]}, in any order. The hidden states are gathered at those rows as soon
 *       as nothing mixes positions any more (for BERT: after the last self-attention, so the last feed-forward block
 *       and the LM head run on the mask rows alone), so neither that work nor a [batch, sequence, vocab] tensor
 *       exist at the other positions.</li>
 * </ul>
 */
public final class MaskedLmSignature {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    /** Full head: float [batch, sequence, vocab]. */
    public static final String LOGITS = "logits";
    /** Head at the masks: int64 [masks], flat indices {@code item * sequence + position}. */
    public static final String MASK_POSITIONS = "mask_positions";
    /** Head at the masks: float [masks, vocab], one row per entry of {@link #MASK_POSITIONS}, in its order. */
    public static final String MASK_LOGITS = "mask_logits";

    /** Symbolic dimension names used in the graphs this project writes. */
    public static final String BATCH = "batch";
    public static final String SEQUENCE = "sequence";
    public static final String MASKS = "masks";

    private MaskedLmSignature() {}
}
