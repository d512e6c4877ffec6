package dev.fillmask.engine.importer.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.onnx.BertConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a checkpoint's {@code config.json} says, as the graph writer needs it: the architecture (from
 * "architectures"), the sizes, the layer-norm epsilon, the pad id, and the checks that rule out what the graph does
 * not compute (another activation, relative positions, an untied decoder). Key names and defaults are transformers'
 * (BertConfig, RobertaConfig, XLMRobertaConfig, DistilBertConfig), the pad id of RoBERTa's positions included; the
 * sizes have no default here: a config without them is not a model's.
 */
record CheckpointConfig(Architecture architecture, String className, BertConfig bert) {
    static final String FILE = "config.json";

    static CheckpointConfig read(Path checkpointDir) {
        Path file = checkpointDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelImportException(checkpointDir + " has no " + FILE + ": a Hugging Face checkpoint folder"
                    + " holds config.json, model.safetensors (or a sharded set with model.safetensors.index.json),"
                    + " tokenizer.json and tokenizer_config.json");
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelImportException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (json == null || !json.isObject()) {
            throw new ModelImportException(file + " is not a JSON object");
        }
        return parse(json, file);
    }

    static CheckpointConfig parse(JsonNode json, Path file) {
        JsonNode architectures = json.path("architectures");
        String className = architectures.isArray() && architectures.size() > 0 ? architectures.get(0).asText() : null;
        if (className == null) {
            throw new ModelImportException(file + " names no architecture (\"architectures\"); the importer reads "
                    + String.join(", ", Architecture.supportedClassNames()));
        }
        Architecture architecture = Architecture.ofClassName(className).orElseThrow(() -> new ModelImportException(
                file + " is a " + className + ", which the importer does not read: it reads the fill-mask"
                        + " architectures " + String.join(", ", Architecture.supportedClassNames())));
        if (!json.path("tie_word_embeddings").asBoolean(true)) {
            throw new ModelImportException(file + " sets tie_word_embeddings to false; the importer writes the"
                    + " decoder tied to the word embeddings, as every " + className + " on the hub has it");
        }
        return architecture == Architecture.DISTILBERT ? distilBert(json, file, className) : bert(json, file, architecture, className);
    }

    private static CheckpointConfig bert(JsonNode json, Path file, Architecture architecture, String className) {
        requireActivation(json, file, "hidden_act");
        String positionType = json.path("position_embedding_type").asText("absolute");
        if (!positionType.equals("absolute")) {
            throw new ModelImportException(file + " sets position_embedding_type to " + positionType
                    + "; the importer reads absolute position embeddings only");
        }
        boolean roberta = architecture == Architecture.ROBERTA;
        int pad = json.path("pad_token_id").asInt(roberta ? 1 : 0);
        BertConfig config = bertConfig(file, () -> new BertConfig(
                size(json, file, "num_hidden_layers"),
                size(json, file, "hidden_size"),
                size(json, file, "num_attention_heads"),
                size(json, file, "intermediate_size"),
                size(json, file, "vocab_size"),
                size(json, file, "max_position_embeddings"),
                json.path("type_vocab_size").asInt(2),
                (float) json.path("layer_norm_eps").asDouble(BertConfig.BERT_LAYER_NORM_EPS),
                // RoBERTa's token types are all zero, so its graph adds row 0 and takes no token_type_ids.
                !roberta,
                roberta ? pad : BertConfig.POSITIONS_FROM_ZERO));
        return new CheckpointConfig(architecture, className, config);
    }

    private static CheckpointConfig distilBert(JsonNode json, Path file, String className) {
        requireActivation(json, file, "activation");
        BertConfig config = bertConfig(file, () -> new BertConfig(
                size(json, file, "n_layers"),
                size(json, file, "dim"),
                size(json, file, "n_heads"),
                size(json, file, "hidden_dim"),
                size(json, file, "vocab_size"),
                size(json, file, "max_position_embeddings"),
                0,
                // DistilBERT's layer norms are made with eps 1e-12 in its code, not from a config key.
                BertConfig.BERT_LAYER_NORM_EPS,
                false));
        return new CheckpointConfig(Architecture.DISTILBERT, className, config);
    }

    private interface ConfigMaker {
        BertConfig make();
    }

    private static BertConfig bertConfig(Path file, ConfigMaker maker) {
        try {
            return maker.make();
        } catch (IllegalArgumentException e) {
            throw new ModelImportException(file + " does not describe a model the importer can write: " + e.getMessage(), e);
        }
    }

    private static void requireActivation(JsonNode json, Path file, String key) {
        String activation = json.path(key).asText("gelu").toLowerCase(Locale.ROOT);
        if (!activation.equals("gelu")) {
            throw new ModelImportException(file + " sets " + key + " to " + activation
                    + "; the importer writes the exact (erf) GELU, \"gelu\", only");
        }
    }

    private static int size(JsonNode json, Path file, String key) {
        JsonNode node = json.get(key);
        if (node == null || !node.canConvertToInt() || node.asInt() < 1) {
            throw new ModelImportException(file + " has no positive integer " + key + " (it has " + node + ")");
        }
        return node.asInt();
    }
}
