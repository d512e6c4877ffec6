package dev.fillmask.engine.onnx;

/** Where a masked-LM graph runs its LM head; see {@link MaskedLmSignature} for the inputs and outputs of each. */
public enum HeadForm {
    /** At every position, output {@code logits} [batch, sequence, vocab]: the Hugging Face export layout. */
    FULL,
    /** Only at the rows named by {@code mask_positions}, output {@code mask_logits} [masks, vocab]. */
    AT_MASKS
}
