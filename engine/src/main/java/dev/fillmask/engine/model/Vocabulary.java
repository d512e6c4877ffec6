package dev.fillmask.engine.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The token → id table of a {@code tokenizer.json}, added tokens included, as Python's
 * {@code tokenizer.get_vocab()} returns it. The pipeline looks targets up here before tokenizing them, and
 * DJL exposes no such look-up.
 */
public final class Vocabulary {
    private final Map<String, Integer> ids;
    private final int size;
    private final int longestTokenChars;

    private Vocabulary(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        this.size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.longestTokenChars = ids.keySet().stream().mapToInt(String::length).max().orElse(0);
    }

    /** Reads {@code model.vocab} (an object for WordPiece/BPE/WordLevel, a list of [piece, score] for Unigram). */
    public static Vocabulary fromTokenizerJson(JsonNode tokenizerJson) {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = tokenizerJson.path("model").path("vocab");
        if (vocab.isObject()) {
            vocab.fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new ModelFolderException("tokenizer.json has no model.vocab (neither an object nor a list)");
        }
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            ids.put(added.path("content").asText(), added.path("id").asInt());
        }
        return new Vocabulary(ids);
    }

    public Optional<Integer> idOf(String token) {
        return Optional.ofNullable(ids.get(token));
    }

    /** The length, in UTF-16 chars, of the longest token: bounds how much text one decoded token can make. */
    public int longestTokenChars() {
        return longestTokenChars;
    }

    /** One past the largest id: the width of the model's logits. */
    public int size() {
        return size;
    }
}
