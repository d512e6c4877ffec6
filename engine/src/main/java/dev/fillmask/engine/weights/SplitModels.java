package dev.fillmask.engine.weights;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fillmask.engine.GraphOptimization;
import dev.fillmask.engine.model.DerivedFileCache;
import dev.fillmask.engine.onnx.OnnxModelFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The split form ({@link WeightsFile}) of a model file, made once and kept in {@code <fill-mask home>/shared-weights/
 * <key>/} (a {@link DerivedFileCache}, keyed by the file and the optimization level).
 *
 * <p>The graph is optimized by ONNX Runtime before it is split, because optimizing makes tensors of its own: constant
 * folding turns the BERT graph's transposed LM-head weights (94 MB) into a new tensor, which every session would
 * otherwise make, and hold, again. Split after optimizing, those tensors are shared like the rest. Optimization stops
 * at the extended level here, as ONNX Runtime advises for a saved graph (the all level adds layout changes specific
 * to the CPU); each session still applies the level it is given when it loads the graph.
 */
final class SplitModels {
    private static final Logger LOG = LoggerFactory.getLogger(SplitModels.class);
    /** Bump when the split form changes, so entries made before are made again. */
    static final int LAYOUT_VERSION = 1;

    private SplitModels() {}

    /** The folder holding the split form of {@code modelFile}, made first if it is not there yet. */
    static Path splitForm(Path modelFile, GraphOptimization level, Path cache) throws IOException {
        DerivedFileCache derived = cacheIn(cache);
        DerivedFileCache.Stamp stamp = derived.stamp(modelFile, settings(level));
        Path entry = derived.find(stamp);
        if (entry != null) {
            return entry;
        }
        long start = System.nanoTime();
        entry = derived.store(stamp, staging -> {
            Path optimized = optimize(modelFile, level, staging);
            ModelProto model = OnnxModelFile.read(optimized);
            if (OnnxModelFile.usesExternalData(model)) {
                throw new IOException(modelFile + " keeps its weights in external data files, which are not shared");
            }
            WeightsFile.split(model, staging);
            if (!optimized.equals(modelFile)) {
                Files.delete(optimized);
            }
        });
        LOG.info("{}: optimized ({}) and split into a graph and shared weights in {} ms; kept as {}", modelFile,
                offlineLevel(level), (System.nanoTime() - start) / 1_000_000, entry);
        return entry;
    }

    /**
     * What identifies the split form of {@code modelFile} as it is now: the file, the optimization level, and, fixed
     * for every entry, the layout version and ONNX Runtime's version (its optimizer writes the graph).
     */
    static DerivedFileCache.Stamp stamp(Path modelFile, GraphOptimization level) throws IOException {
        return cacheIn(Path.of(".")).stamp(modelFile, settings(level));
    }

    private static DerivedFileCache cacheIn(Path cache) {
        return new DerivedFileCache(cache, Map.of("layout", Integer.toString(LAYOUT_VERSION),
                "runtime", OrtEnvironment.getEnvironment().getVersion()));
    }

    private static Map<String, String> settings(GraphOptimization level) {
        return Map.of("optimization", level.toString());
    }

    /** The graph ONNX Runtime makes of {@code modelFile} at the offline level, saved in {@code folder}. */
    private static Path optimize(Path modelFile, GraphOptimization level, Path folder) throws IOException {
        GraphOptimization offline = offlineLevel(level);
        if (offline == GraphOptimization.NONE) {
            return modelFile;
        }
        Path optimized = folder.resolve("optimized.onnx");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(offline.ortLevel());
            so.setOptimizedModelFilePath(optimized.toString());
            OrtEnvironment.getEnvironment().createSession(modelFile.toString(), so).close();
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime cannot optimize " + modelFile + ": " + e.getMessage(), e);
        }
        return optimized;
    }

    private static GraphOptimization offlineLevel(GraphOptimization level) {
        return level.compareTo(GraphOptimization.EXTENDED) > 0 ? GraphOptimization.EXTENDED : level;
    }
}
