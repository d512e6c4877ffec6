package dev.fillmask.engine.testing;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/** Loads a tokenizer.json with DJL the way the engine does: offline, no truncation, no padding. */
public final class Tokenizers {
    private Tokenizers() {}

    public static HuggingFaceTokenizer load(Path tokenizerJson) {
        // DJL calls a cloud metadata address unless told not to (docs/operations.md); never rely on the launcher.
        setIfAbsent("OPT_OUT_TRACKING", "true");
        setIfAbsent("ai.djl.offline", "true");
        try {
            return HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "true", "truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
