package dev.fillmask.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A fill-mask model in the Hugging Face / optimum ONNX export layout: {@code model.onnx}, {@code tokenizer.json},
 * {@code tokenizer_config.json}, {@code config.json}. Everything model-specific (mask token, pad id, maximum length,
 * clean-up of decoded text) is read from these files, so the engine serves BERT, RoBERTa, XLM-R… alike.
 */
public record ModelFolder(
        Path path,
        String maskToken,
        int maskTokenId,
        int padTokenId,
        int maxLength,
        boolean cleanUpTokenizationSpaces,
        Vocabulary vocabulary) {

    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    public static final String CONFIG_FILE = "config.json";
    /** The manifest a maker may leave (the default-model importer does): file sizes and checksums. */
    public static final String MANIFEST_FILE = "fill-mask-import.json";
    /**
     * Written by the importer beside its manifest: a folder that has it must have the manifest too (and is refused
     * without it), while a folder with neither is someone's own export and loads unchecked.
     */
    public static final String IMPORT_MARKER_FILE = "fill-mask-imported.txt";
    /** Files that describe one import: a copy that changes the model (the int8 quantizer's) leaves them behind. */
    public static final List<String> IMPORT_FILES = List.of(MANIFEST_FILE, IMPORT_MARKER_FILE);
    public static final List<String> REQUIRED_FILES = List.of(MODEL_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, CONFIG_FILE);

    /** Transformers writes this (int(1e30)) when a tokenizer has no known maximum length. */
    private static final long UNKNOWN_MAX_LENGTH = 1_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper();

    public Path modelFile() {
        return path.resolve(MODEL_FILE);
    }

    public Path tokenizerFile() {
        return path.resolve(TOKENIZER_FILE);
    }

    /** Reads and checks the folder; every problem is a {@link ModelFolderException} naming the file and the fix. */
    public static ModelFolder open(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ModelFolderException("model folder " + folder + " does not exist or is not a folder"
                    + " (expected " + String.join(", ", REQUIRED_FILES) + "; `./fill-mask model` makes the default one)");
        }
        for (String file : REQUIRED_FILES) {
            Path p = folder.resolve(file);
            if (!Files.isRegularFile(p)) {
                throw new ModelFolderException("model folder " + folder + " has no " + file
                        + " (a fill-mask folder needs " + String.join(", ", REQUIRED_FILES) + ")");
            }
        }
        FolderIntegrity.check(folder);
        JsonNode tokenizer = readJson(folder, TOKENIZER_FILE);
        JsonNode tokenizerConfig = readJson(folder, TOKENIZER_CONFIG_FILE);
        JsonNode config = readJson(folder, CONFIG_FILE);
        Vocabulary vocabulary = Vocabulary.fromTokenizerJson(tokenizer);

        String maskToken = tokenText(tokenizerConfig.get("mask_token"));
        if (maskToken == null) {
            throw new ModelFolderException(folder.resolve(TOKENIZER_CONFIG_FILE)
                    + " names no mask_token: a fill-mask model needs one (e.g. \"[MASK]\" or \"<mask>\")");
        }
        int maskId = vocabulary.idOf(maskToken).orElseThrow(() -> new ModelFolderException(
                "the mask token " + maskToken + " of " + TOKENIZER_CONFIG_FILE + " is not in the vocabulary of "
                        + TOKENIZER_FILE));

        int padId;
        if (config.hasNonNull("pad_token_id")) {
            padId = config.get("pad_token_id").asInt();
        } else {
            String padToken = tokenText(tokenizerConfig.get("pad_token"));
            padId = padToken == null ? 0 : vocabulary.idOf(padToken).orElse(0);
        }

        return new ModelFolder(folder, maskToken, maskId, padId, maxLength(folder, tokenizerConfig, config),
                tokenizerConfig.path("clean_up_tokenization_spaces").asBoolean(true), vocabulary);
    }

    /**
     * The tokenizer's {@code model_max_length} when it is real, never more than the positions the model has;
     * otherwise the model's positions (less RoBERTa's offset of pad id + 1, which is how its 514 becomes 512).
     */
    private static int maxLength(Path folder, JsonNode tokenizerConfig, JsonNode config) {
        long positions = config.path("max_position_embeddings").asLong(0);
        String modelType = config.path("model_type").asText("");
        if (positions > 0 && (modelType.contains("roberta") || modelType.equals("camembert"))) {
            positions -= config.path("pad_token_id").asLong(1) + 1;
        }
        long tokenizerMax = tokenizerConfig.path("model_max_length").asLong(0);
        long max;
        if (tokenizerMax > 0 && tokenizerMax < UNKNOWN_MAX_LENGTH) {
            max = positions > 0 ? Math.min(tokenizerMax, positions) : tokenizerMax;
        } else {
            max = positions;
        }
        if (max < 3) {
            throw new ModelFolderException("cannot tell the maximum sequence length of " + folder + ": set "
                    + "model_max_length in " + TOKENIZER_CONFIG_FILE + " or max_position_embeddings in " + CONFIG_FILE);
        }
        return (int) max;
    }

    /** A special token is written either as a string or as an AddedToken object with a "content" field. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    private static JsonNode readJson(Path folder, String file) {
        Path p = folder.resolve(file);
        try {
            JsonNode node = JSON.readTree(p.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelFolderException(p + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelFolderException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
