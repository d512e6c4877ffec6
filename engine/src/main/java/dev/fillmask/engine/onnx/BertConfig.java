package dev.fillmask.engine.onnx;

/**
 * The shape of a BERT-style masked language model, as in a Hugging Face {@code config.json}.
 *
 * @param tokenTypeIdsInput whether the graph takes {@code token_type_ids}; RoBERTa-like models have no such input,
 *                          and then row 0 of the token type embeddings (if any) is added to every position, which is
 *                          what those models compute for their all-zero token types
 * @param positionPaddingIdx {@link #POSITIONS_FROM_ZERO} for BERT's positions 0, 1, 2…; otherwise RoBERTa's
 *                          {@code padding_idx} (its pad token id): a token's position is {@code padding_idx + 1} plus
 *                          the number of non-padding tokens before it, and every pad token sits at {@code padding_idx},
 *                          as transformers' {@code create_position_ids_from_input_ids} computes from the input ids
 */
public record BertConfig(
        int layers,
        int hidden,
        int heads,
        int intermediate,
        int vocab,
        int maxPositions,
        int typeVocab,
        float layerNormEps,
        boolean tokenTypeIdsInput,
        int positionPaddingIdx) {

    public static final float BERT_LAYER_NORM_EPS = 1e-12f;
    /** BERT's and DistilBERT's positions: the index in the sequence. */
    public static final int POSITIONS_FROM_ZERO = -1;

    /** A model whose positions count from zero (BERT, DistilBERT). */
    public BertConfig(int layers, int hidden, int heads, int intermediate, int vocab, int maxPositions, int typeVocab,
                      float layerNormEps, boolean tokenTypeIdsInput) {
        this(layers, hidden, heads, intermediate, vocab, maxPositions, typeVocab, layerNormEps, tokenTypeIdsInput,
                POSITIONS_FROM_ZERO);
    }

    public BertConfig {
        if (layers < 1 || hidden < 1 || heads < 1 || intermediate < 1 || vocab < 1 || maxPositions < 1 || typeVocab < 0) {
            throw new IllegalArgumentException("sizes must be positive: " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        if (tokenTypeIdsInput && typeVocab < 1) {
            throw new IllegalArgumentException("a token_type_ids input needs token type embeddings (typeVocab >= 1)");
        }
        if (positionPaddingIdx < POSITIONS_FROM_ZERO || positionPaddingIdx + 2 > maxPositions) {
            throw new IllegalArgumentException("the padding index of the positions, " + positionPaddingIdx
                    + ", leaves no position for a token among " + maxPositions);
        }
    }

    /** Google's BERT-base: 12 layers, 768 wide, 12 heads of 64. */
    public static BertConfig bertBase(int vocab) {
        return new BertConfig(12, 768, 12, 3072, vocab, 512, 2, BERT_LAYER_NORM_EPS, true);
    }

    public boolean positionsAfterPadding() {
        return positionPaddingIdx != POSITIONS_FROM_ZERO;
    }

    public int headSize() {
        return hidden / heads;
    }
}
