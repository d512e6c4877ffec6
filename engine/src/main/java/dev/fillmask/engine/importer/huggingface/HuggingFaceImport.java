package dev.fillmask.engine.importer.huggingface;

import dev.fillmask.engine.importer.CachedImport;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.model.ModelFolderException;
import dev.fillmask.engine.onnx.BertConfig;
import dev.fillmask.engine.onnx.BertMaskedLmGraph;
import dev.fillmask.engine.onnx.HeadForm;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Imports a Hugging Face fill-mask checkpoint, as the hub serves it ({@code config.json}, {@code model.safetensors}
 * or a sharded set with {@code model.safetensors.index.json}, {@code tokenizer.json}, {@code tokenizer_config.json},
 * {@code special_tokens_map.json}), into the project's model folder layout: the ONNX graph with the LM head at the
 * masks, written by {@link BertMaskedLmGraph} from the checkpoint's tensors, and the tokenizer and config files. Reads
 * BertForMaskedLM, RobertaForMaskedLM, XLMRobertaForMaskedLM (CamemBERT too) and DistilBertForMaskedLM, in F32, F16
 * or BF16 (widened to float32). Java only: no Python, no network.
 *
 * <p>The folder is written like a built-in model's: into a staging folder, with a manifest of every file's size and
 * SHA-256 and the import marker (so the engine checks it at every start), then renamed into place in one step.
 */
public final class HuggingFaceImport {
    /** Bump when the importer writes something different. */
    static final int FORMAT_VERSION = 1;

    private HuggingFaceImport() {}

    /**
     * Imports the checkpoint in {@code checkpointDir} into {@code outFolder}, which must not exist or be empty.
     *
     * @return {@code outFolder}, a finished import that {@code FillMaskEngine.open} takes
     * @throws ModelImportException for anything wrong with the checkpoint or the target, naming the file (and tensor)
     */
    public static Path importCheckpoint(Path checkpointDir, Path outFolder, PrintStream progress) {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        Path source = checkpointDir.toAbsolutePath().normalize();
        Path target = outFolder.toAbsolutePath().normalize();
        if (!Files.isDirectory(source)) {
            throw new ModelImportException("the checkpoint folder " + checkpointDir + " does not exist or is not a folder");
        }
        CheckpointConfig config = CheckpointConfig.read(source);
        TokenizerFiles.requirePresent(source);
        clearTarget(target, source);

        CachedImport cache = new CachedImport(target.getParent(), target.getFileName().toString(), FORMAT_VERSION,
                ModelFolder.REQUIRED_FILES);
        return cache.ensure((staging, scratch, p) -> produce(source, config, staging, scratch, p), Map.of(
                "model", target.getFileName().toString(),
                "architecture", config.className(),
                "source", source.toString(),
                "importer", HuggingFaceImport.class.getName()), out);
    }

    /** Refuses a target with something in it (never overwrite a user's folder); an empty one is taken over. */
    private static void clearTarget(Path target, Path source) {
        if (target.getParent() == null) {
            throw new ModelImportException("cannot import into " + target + ": it has no parent folder");
        }
        if (target.startsWith(source) || source.startsWith(target)) {
            throw new ModelImportException("the import's folder " + target + " must be outside the checkpoint folder "
                    + source + ", and the checkpoint outside it");
        }
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new ModelImportException("cannot import into " + target + ": it is a file, not a folder");
        }
        try (Stream<Path> contents = Files.list(target)) {
            if (contents.findAny().isPresent()) {
                throw new ModelImportException("cannot import into " + target + ": the folder is not empty; choose"
                        + " a new folder (or delete this one to import again)");
            }
            Files.delete(target);
        } catch (IOException e) {
            throw new ModelImportException("cannot import into " + target + ": " + e.getMessage(), e);
        }
    }

    private static void produce(Path source, CheckpointConfig checkpoint, Path staging, Path scratch,
                                PrintStream progress) throws IOException {
        BertConfig config = checkpoint.bert();
        progress.println("importing the " + checkpoint.className() + " checkpoint " + source);
        try (CheckpointTensors tensors = CheckpointTensors.open(source);
             ScratchFloats floats = new ScratchFloats(scratch.resolve("converted.f32"))) {
            progress.printf(Locale.ROOT, "  writing the graph: %d layers, hidden %d, %d heads, vocabulary %d, from %d"
                            + " safetensors file%s, LM head at the masks%n", config.layers(), config.hidden(),
                    config.heads(), config.vocab(), tensors.shardCount(), tensors.shardCount() == 1 ? "" : "s");
            BertMaskedLmGraph.write(config, new CheckpointWeights(tensors, checkpoint.architecture(), floats),
                    HeadForm.AT_MASKS, staging.resolve(ModelFolder.MODEL_FILE));
        }
        progress.println("  copying the tokenizer and config files");
        try {
            TokenizerFiles.copy(source, staging, checkpoint.architecture());
            TokenizerFiles.checkVocabularyFits(staging.resolve(ModelFolder.TOKENIZER_FILE), config.vocab());
            ModelFolder.open(staging);
        } catch (ModelFolderException e) {
            throw new ModelImportException("the checkpoint " + source + " does not make a fill-mask model: "
                    + e.getMessage(), e);
        }
    }
}
