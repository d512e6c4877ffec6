package dev.fillmask.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.model.ModelFolderException;

import java.io.IOException;
import java.util.Map;

/**
 * The model's own Hugging Face tokenizer (Rust, through DJL), with no truncation and no padding: the engine windows
 * long inputs and pads batches itself. Decoding follows the Python fast tokenizer: the tokenizer's decoder, then
 * transformers' {@code clean_up_tokenization} when the folder's tokenizer_config asks for it.
 */
final class MaskedLmTokenizer implements AutoCloseable {
    private static final Map<String, String> NO_TRUNCATION_NO_PADDING = Map.of(
            "addSpecialTokens", "true",
            "withOverflowingTokens", "false",
            "truncation", "false",
            "padding", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final boolean cleanUpSpaces;

    private MaskedLmTokenizer(HuggingFaceTokenizer tokenizer, boolean cleanUpSpaces) {
        this.tokenizer = tokenizer;
        this.cleanUpSpaces = cleanUpSpaces;
    }

    static MaskedLmTokenizer open(ModelFolder folder) {
        DjlOffline.ensure();
        try {
            return new MaskedLmTokenizer(
                    HuggingFaceTokenizer.newInstance(folder.tokenizerFile(), NO_TRUNCATION_NO_PADDING),
                    folder.cleanUpTokenizationSpaces());
        } catch (IOException | RuntimeException e) {
            throw new ModelFolderException("cannot load the tokenizer " + folder.tokenizerFile() + ": " + e.getMessage(), e);
        }
    }

    TokenizedText encode(String text) {
        Encoding encoding = tokenizer.encode(text, true, false);
        return new TokenizedText(encoding.getIds(), encoding.getTypeIds(), encoding.getSpecialTokenMask());
    }

    long[] encodeWithoutSpecialTokens(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    String decode(long[] ids, boolean skipSpecialTokens) {
        String text = tokenizer.decode(ids, skipSpecialTokens);
        return cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
    }

    /** transformers' {@code PreTrainedTokenizerBase.clean_up_tokenization}: the same replacements, in the same order. */
    static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
