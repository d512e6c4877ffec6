package dev.fillmask.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.MaskedLmSignature;

import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's ONNX Runtime session with nothing around it: the model file {@link FillMaskEngine} would load for a
 * folder (a recognised plain export's head rewritten), opened with the engine's session settings on a thread like the
 * engine's, and run on input tensors built beforehand. It exists so that the benchmark can measure the engine
 * against a bare {@code session.run} on the same file (the ceiling); it answers no request. CPU only.
 */
public final class ModelRunner implements AutoCloseable {
    private final ModelFolder folder;
    private final MaskedLmTokenizer tokenizer;
    private final OrtSession session;
    private final NativeThread nativeThread;
    private final boolean headAtMasks;
    private final boolean typeIds;

    private ModelRunner(ModelFolder folder, MaskedLmTokenizer tokenizer, OrtSession session,
                        NativeThread nativeThread) throws OrtException {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.session = session;
        this.nativeThread = nativeThread;
        this.headAtMasks = session.getInputNames().contains(MaskedLmSignature.MASK_POSITIONS);
        this.typeIds = session.getInputNames().contains(MaskedLmSignature.TOKEN_TYPE_IDS);
    }

    /** Opens the model file the engine would load for the folder {@code model}. */
    public static ModelRunner open(Path model, EngineOptions options) {
        NativeThread nativeThread = new NativeThread();
        try {
            return nativeThread.call(() -> {
                ModelFolder folder = ModelFolder.open(model);
                MaskedLmTokenizer tokenizer = MaskedLmTokenizer.open(folder);
                Path file = RewrittenModels.modelToLoad(folder.modelFile(), GraphRewrites.ALL,
                        RewrittenModels.defaultCache());
                try (OrtSession.SessionOptions so = MaskedLmSession.cpuSessionOptions(options)) {
                    return new ModelRunner(folder, tokenizer,
                            OrtEnvironment.getEnvironment().createSession(file.toString(), so), nativeThread);
                } catch (OrtException | RuntimeException e) {
                    tokenizer.close();
                    throw e;
                }
            });
        } catch (RuntimeException | Error e) {
            nativeThread.close();
            throw e;
        }
    }

    /** Model input ids of each text (special tokens added), as the engine tokenizes it. */
    public List<long[]> tokenize(List<String> texts) {
        return nativeThread.call(() -> texts.stream().map(t -> tokenizer.encode(t).ids()).toList());
    }

    /**
     * {@code batch} split into the runs the engine would make of it: inputs of similar lengths together
     * ({@link PaddingPlanner}), so that a raw session fed these runs pads exactly as the engine does.
     */
    public static List<List<long[]>> runsOf(List<long[]> batch) {
        int[] lengths = batch.stream().mapToInt(ids -> ids.length).toArray();
        List<List<long[]>> runs = new java.util.ArrayList<>();
        for (int[] run : PaddingPlanner.plan(lengths)) {
            List<long[]> inputs = new java.util.ArrayList<>(run.length);
            for (int i : run) {
                inputs.add(batch.get(i));
            }
            runs.add(inputs);
        }
        return runs;
    }

    /**
     * The input tensors of {@code batches}, each batch padded to its longest input, built now so that running them
     * times the session alone.
     */
    public Prepared prepare(List<List<long[]>> batches) {
        return nativeThread.call(() -> {
            Prepared prepared = new Prepared();
            try {
                for (List<long[]> batch : batches) {
                    prepared.feeds.add(tensors(batch));
                    int longest = batch.stream().mapToInt(a -> a.length).max().orElse(0);
                    prepared.paddedTokens += (long) batch.size() * longest;
                }
                return prepared;
            } catch (OrtException | RuntimeException e) {
                prepared.close();
                throw e;
            }
        });
    }

    /** Runs each prepared batch once, in order, in one hand-over to the session's thread; the outputs are dropped. */
    public void runAll(Prepared prepared) {
        nativeThread.call(() -> {
            for (Map<String, OnnxTensor> feed : prepared.feeds) {
                try (OrtSession.Result ignored = session.run(feed)) {
                    // only the run counts; the engine reads its mask rows from the result
                }
            }
            return null;
        });
    }

    private Map<String, OnnxTensor> tensors(List<long[]> batch) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int seq = batch.stream().mapToInt(a -> a.length).max().orElse(0);
        long[] ids = new long[batch.size() * seq];
        long[] mask = new long[batch.size() * seq];
        Arrays.fill(ids, folder.padTokenId());
        List<Long> maskPositions = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            long[] row = batch.get(b);
            for (int t = 0; t < row.length; t++) {
                ids[b * seq + t] = row[t];
                mask[b * seq + t] = 1;
                if (row[t] == folder.maskTokenId()) {
                    maskPositions.add((long) b * seq + t);
                }
            }
        }
        long[] shape = {batch.size(), seq};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put(MaskedLmSignature.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        inputs.put(MaskedLmSignature.ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        if (typeIds) {
            inputs.put(MaskedLmSignature.TOKEN_TYPE_IDS,
                    OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
        }
        if (headAtMasks) {
            long[] positions = maskPositions.stream().mapToLong(Long::longValue).toArray();
            inputs.put(MaskedLmSignature.MASK_POSITIONS,
                    OnnxTensor.createTensor(env, LongBuffer.wrap(positions), new long[] {positions.length}));
        }
        return inputs;
    }

    @Override
    public void close() {
        try {
            nativeThread.call(() -> {
                session.close();
                tokenizer.close();
                return null;
            });
        } finally {
            nativeThread.close();
        }
    }

    /** Input tensors built by {@link #prepare}; close them when done. */
    public static final class Prepared implements AutoCloseable {
        private final List<Map<String, OnnxTensor>> feeds = new ArrayList<>();
        private long paddedTokens;

        private Prepared() {}

        /** Token positions of one run of every batch, padding included. */
        public long paddedTokens() {
            return paddedTokens;
        }

        @Override
        public void close() {
            feeds.forEach(feed -> feed.values().forEach(OnnxTensor::close));
            feeds.clear();
        }
    }
}
