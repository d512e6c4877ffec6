package dev.fillmask.engine.weights;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fillmask.engine.GraphOptimization;
import dev.fillmask.engine.model.DerivedFileCache;
import dev.fillmask.engine.model.FillMaskHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The weights the ONNX Runtime sessions of one process share: one entry per model file (by its path, size and
 * modification time) and optimization level, counted by the sessions that use it, and released (unmapped) when the
 * last of them closes. A TaskManager's slots each open their own engine and session, as before; what they no longer
 * each hold is a copy of the weights.
 *
 * <p>An entry is the model's split form ({@link SplitModels}: its optimized graph apart, its weights in one file),
 * memory-mapped once ({@link MappedWeights}) and handed to every session with {@code addInitializer}. What each
 * session still holds of its own: its graph, its activations, and, unless prepacking is turned off, ONNX Runtime's
 * packed copy of every MatMul weight (the Java API has no prepacked-weights container to share those through).
 */
public final class SharedWeights {
    private static final Logger LOG = LoggerFactory.getLogger(SharedWeights.class);
    private static final Object LOCK = new Object();
    private static final Map<DerivedFileCache.Stamp, Entry> ENTRIES = new HashMap<>();
    private static long released;

    private SharedWeights() {}

    /** What the registry holds now, and how many entries it has released since the JVM started. */
    public record Counters(int models, int sessions, long mappedBytes, long released) {}

    /**
     * A session's use of an entry: the graph file to load and the weights to hand it. Close it after the session,
     * never before (the weights are unmapped when the last lease closes).
     */
    public static final class Lease implements AutoCloseable {
        private final DerivedFileCache.Stamp key;
        private final Entry entry;
        private boolean closed;

        private Lease(DerivedFileCache.Stamp key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        /** The optimized graph, whose weights refer to the shared ones: load this instead of the model file. */
        public Path graphFile() {
            return entry.folder.resolve(WeightsFile.GRAPH_FILE);
        }

        /** Gives the session about to be created the shared weights in place of its own. */
        public void addTo(OrtSession.SessionOptions options) throws OrtException {
            synchronized (LOCK) {
                if (closed) {
                    throw new IllegalStateException("the shared weights' lease is closed");
                }
                entry.weights.addTo(options);
            }
        }

        /** The size of the shared weights, in bytes. */
        public long bytes() {
            return entry.weights.bytes();
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                if (closed) {
                    return;
                }
                closed = true;
                if (--entry.leases == 0) {
                    ENTRIES.remove(key);
                    entry.weights.close();
                    released++;
                    LOG.info("Released the shared weights of {} ({} MB): no session uses them any more", key.path(),
                            entry.weights.bytes() / 1_000_000);
                }
            }
        }
    }

    private static final class Entry {
        final Path folder;
        final MappedWeights weights;
        int leases;

        Entry(Path folder, MappedWeights weights) {
            this.folder = folder;
            this.weights = weights;
        }
    }

    /** The shared weights of {@code modelFile} at {@code level}, made and mapped by the first session that asks. */
    public static Lease acquire(Path modelFile, GraphOptimization level) throws IOException {
        return acquire(modelFile, level, FillMaskHome.resolve().resolve("shared-weights"));
    }

    static Lease acquire(Path modelFile, GraphOptimization level, Path cache) throws IOException {
        synchronized (LOCK) {
            DerivedFileCache.Stamp key = SplitModels.stamp(modelFile, level);
            Entry entry = ENTRIES.get(key);
            if (entry == null) {
                Path folder = SplitModels.splitForm(modelFile, level, cache);
                MappedWeights weights = MappedWeights.open(folder);
                entry = new Entry(folder, weights);
                ENTRIES.put(key, entry);
                LOG.info("Mapped the shared weights of {} ({} tensors, {} MB) from {}", modelFile,
                        weights.tensorCount(), weights.bytes() / 1_000_000, folder);
            }
            entry.leases++;
            return new Lease(key, entry);
        }
    }

    public static Counters counters() {
        synchronized (LOCK) {
            int sessions = 0;
            long bytes = 0;
            for (Entry e : ENTRIES.values()) {
                sessions += e.leases;
                bytes += e.weights.bytes();
            }
            return new Counters(ENTRIES.size(), sessions, bytes, released);
        }
    }
}
