package dev.fillmask.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.fillmask.engine.model.DerivedFileCache;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.EncoderFusion;
import dev.fillmask.engine.onnx.MaskedLmHeadRewriter;
import dev.fillmask.engine.onnx.OnnxModelFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which graph file a session loads for a model folder, and the load-time rewrites that make it
 * ({@link GraphRewrites}):
 * <ul>
 *     <li>a plain export (head at every position) gets its head rewritten by {@link MaskedLmHeadRewriter} to run at
 *     the masks; a graph whose head already runs there (the importer's) keeps it;</li>
 *     <li>a float32 encoder of the importer's form is fused into ONNX Runtime's contrib ops by
 *     {@link EncoderFusion}, which ONNX Runtime's own optimizer does not do for it.</li>
 * </ul>
 * Both are done once: the result is kept in {@code <fill-mask home>/rewritten/<key>/model.onnx} (a
 * {@link DerivedFileCache}, keyed by the source file and the rewrites asked for), so later starts and the other slots
 * of a TaskManager load it directly. The model file itself is never changed: the int8 quantizer reads its plain MatMuls.
 * A graph where neither rewrite applies, or any trouble on the way, leaves the model as it is, with a log line saying
 * why: the rewrites only ever save work, they are never needed for a correct answer.
 *
 * <p>The rewrite goes through a file rather than bytes in memory because a BERT-base graph would otherwise cost
 * the JVM heap 438 MB twice over while ONNX Runtime copies it; on disk it costs that much once, and nothing later.
 */
final class RewrittenModels {
    private static final Logger LOG = LoggerFactory.getLogger(RewrittenModels.class);
    /** Bump when a rewrite changes, so cached rewrites are made again. 2: the float32 fusions. */
    static final int REWRITE_VERSION = 2;
    /** Slots of one TaskManager open their sessions at the same time: one rewrite is enough for all of them. */
    private static final Object IN_PROCESS = new Object();

    private RewrittenModels() {}

    /** The rewrite cache in the fill-mask home. */
    static Path defaultCache() {
        return FillMaskHome.resolve().resolve("rewritten");
    }

    /** The file to load for {@code modelFile} with {@code rewrites}: its rewrite when one can be had, else itself. */
    static Path modelToLoad(Path modelFile, GraphRewrites rewrites, Path cache) {
        if (rewrites == GraphRewrites.NONE) {
            return modelFile;
        }
        synchronized (IN_PROCESS) {
            try {
                DerivedFileCache derived = new DerivedFileCache(cache,
                        Map.of("rewrite", Integer.toString(REWRITE_VERSION)));
                DerivedFileCache.Stamp stamp = derived.stamp(modelFile, Map.of("rewrites", rewrites.name()));
                Path entry = derived.find(stamp);
                if (entry != null && Files.isRegularFile(entry.resolve(ModelFolder.MODEL_FILE))) {
                    LOG.info("{}: loading its rewrite {}", modelFile, entry.resolve(ModelFolder.MODEL_FILE));
                    return entry.resolve(ModelFolder.MODEL_FILE);
                }
                ModelProto model = OnnxModelFile.read(modelFile);
                if (OnnxModelFile.usesExternalData(model)) {
                    LOG.info("{} keeps its weights in external data files; it is loaded as it is", modelFile);
                    return modelFile;
                }
                long start = System.nanoTime();
                List<String> done = new ArrayList<>();
                ModelProto rewritten = headAtMasks(modelFile, model, done);
                if (rewrites == GraphRewrites.ALL) {
                    rewritten = fused(modelFile, rewritten, done);
                }
                if (done.isEmpty()) {
                    return modelFile;
                }
                ModelProto toWrite = rewritten;
                Path written = derived.store(stamp,
                        staging -> OnnxModelFile.write(toWrite, staging.resolve(ModelFolder.MODEL_FILE)))
                        .resolve(ModelFolder.MODEL_FILE);
                LOG.info("{}: {}, in {} ms; kept as {}", modelFile, String.join("; ", done),
                        (System.nanoTime() - start) / 1_000_000, written);
                return written;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: could not rewrite it ({}); loading it as it is", modelFile, e.toString());
                return modelFile;
            }
        }
    }

    private static ModelProto headAtMasks(Path modelFile, ModelProto model, List<String> done) {
        MaskedLmHeadRewriter.Outcome outcome = MaskedLmHeadRewriter.rewrite(model);
        if (outcome instanceof MaskedLmHeadRewriter.NotRecognised notRecognised) {
            LOG.info("{}: the masked-LM head was not recognised ({}); it runs at every position, as exported",
                    modelFile, notRecognised.reason());
        }
        if (!(outcome instanceof MaskedLmHeadRewriter.Rewritten rewritten)) {
            return model;
        }
        done.add("rewrote its LM head (" + rewritten.headNodes() + " nodes after '" + rewritten.hidden()
                + "') to run at the mask positions only");
        return rewritten.model();
    }

    private static ModelProto fused(Path modelFile, ModelProto model, List<String> done) {
        EncoderFusion.Outcome outcome = EncoderFusion.fuse(model);
        if (outcome instanceof EncoderFusion.NotFused notFused) {
            LOG.info("{}: its encoder is left unfused ({})", modelFile, notFused.reason());
            return model;
        }
        EncoderFusion.Fused fused = (EncoderFusion.Fused) outcome;
        done.add("fused its encoder into " + fused.describe());
        return fused.model();
    }
}
