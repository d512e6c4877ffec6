package dev.fillmask.engine.importer.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.model.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint's tokenizer and config files, into the imported folder. {@code tokenizer.json} (what the engine
 * tokenizes with), {@code config.json} and {@code special_tokens_map.json} are copied as they are;
 * {@code tokenizer_config.json} is copied with the special tokens it leaves out filled in, because the engine reads
 * the mask and pad tokens there, and many hub checkpoints (bert-base-uncased, xlm-roberta-base) leave them to
 * {@code special_tokens_map.json} or to the tokenizer class's defaults: first that file's, then the class's, and only
 * tokens the vocabulary has.
 */
final class TokenizerFiles {
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    private static final List<String> SPECIAL_KEYS = List.of(
            "mask_token", "pad_token", "unk_token", "cls_token", "sep_token", "bos_token", "eos_token");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerFiles() {}

    /** The files every import needs, checked before anything is written. */
    static void requirePresent(Path checkpointDir) {
        for (String file : List.of(ModelFolder.TOKENIZER_FILE, ModelFolder.TOKENIZER_CONFIG_FILE)) {
            if (!Files.isRegularFile(checkpointDir.resolve(file))) {
                throw new ModelImportException(checkpointDir + " has no " + file + ": the importer needs the"
                        + " checkpoint's fast tokenizer (tokenizer.json) and its tokenizer_config.json as the hub"
                        + " serves them");
            }
        }
    }

    static void copy(Path checkpointDir, Path into, Architecture architecture) throws IOException {
        for (String file : List.of(ModelFolder.TOKENIZER_FILE, ModelFolder.CONFIG_FILE, SPECIAL_TOKENS_MAP)) {
            Path source = checkpointDir.resolve(file);
            if (Files.isRegularFile(source)) {
                Files.copy(source, into.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Vocabulary vocabulary = Vocabulary.fromTokenizerJson(readObject(checkpointDir.resolve(ModelFolder.TOKENIZER_FILE)));
        ObjectNode tokenizerConfig = readObject(checkpointDir.resolve(ModelFolder.TOKENIZER_CONFIG_FILE));
        Path mapFile = checkpointDir.resolve(SPECIAL_TOKENS_MAP);
        ObjectNode specialTokensMap = Files.isRegularFile(mapFile) ? readObject(mapFile) : JSON.createObjectNode();
        Map<String, String> defaults = classDefaults(architecture);
        for (String key : SPECIAL_KEYS) {
            if (tokenizerConfig.hasNonNull(key)) {
                continue;
            }
            if (specialTokensMap.hasNonNull(key)) {
                tokenizerConfig.set(key, specialTokensMap.get(key));
            } else if (defaults.containsKey(key) && vocabulary.idOf(defaults.get(key)).isPresent()) {
                tokenizerConfig.put(key, defaults.get(key));
            }
        }
        JSON.writeValue(into.resolve(ModelFolder.TOKENIZER_CONFIG_FILE).toFile(), tokenizerConfig);
    }

    /** The special tokens transformers' tokenizer classes use when nothing names them. */
    private static Map<String, String> classDefaults(Architecture architecture) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (architecture == Architecture.ROBERTA) {
            tokens.put("mask_token", "<mask>");
            tokens.put("pad_token", "<pad>");
            tokens.put("unk_token", "<unk>");
            tokens.put("cls_token", "<s>");
            tokens.put("sep_token", "</s>");
            tokens.put("bos_token", "<s>");
            tokens.put("eos_token", "</s>");
        } else {
            tokens.put("mask_token", "[MASK]");
            tokens.put("pad_token", "[PAD]");
            tokens.put("unk_token", "[UNK]");
            tokens.put("cls_token", "[CLS]");
            tokens.put("sep_token", "[SEP]");
        }
        return tokens;
    }

    static ObjectNode readObject(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw new ModelImportException(file + " is not a JSON object");
        } catch (IOException e) {
            throw new ModelImportException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The ids the tokenizer can produce must have a row in the model's logits. */
    static void checkVocabularyFits(Path tokenizerJson, int modelVocab) {
        Vocabulary vocabulary = Vocabulary.fromTokenizerJson(readObject(tokenizerJson));
        if (vocabulary.size() > modelVocab) {
            throw new ModelImportException(tokenizerJson + " has token ids up to " + (vocabulary.size() - 1)
                    + ", but the model's vocabulary (vocab_size in config.json) has " + modelVocab + " rows");
        }
    }
}
