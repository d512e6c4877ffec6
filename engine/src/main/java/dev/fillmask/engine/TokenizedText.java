package dev.fillmask.engine;

/**
 * One input as the model's tokenizer encodes it, special tokens added.
 *
 * @param ids token ids
 * @param typeIds token type (segment) ids
 * @param specialTokens 1 where the tokenizer's template added a special token ([CLS], [SEP], &lt;s&gt;…), else 0
 */
record TokenizedText(long[] ids, long[] typeIds, long[] specialTokens) {
    int length() {
        return ids.length;
    }
}
