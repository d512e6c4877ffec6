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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ceiling for the benchmark: a bare ONNX Runtime session on the same model file and session options as the
 * engine, fed pre-tokenized, pre-padded batches whose tensors are built before the clock starts. Only
 * {@code session.run} is timed. What the engine and the job reach is compared with this, measured in the same run.
 */
public final class RawSessionBenchmark implements AutoCloseable {
    private final ModelFolder folder;
    private final MaskedLmTokenizer tokenizer;
    private final OrtSession session;
    private final NativeThread nativeThread;
    private final boolean headAtMasks;
    private final boolean typeIds;

    /** Throughput of one configuration. */
    public record Figures(int batchSize, int sequences, long paddedTokens, double seconds) {
        public double sequencesPerSecond() {
            return sequences / seconds;
        }

        public double paddedTokensPerSecond() {
            return paddedTokens / seconds;
        }
    }

    private RawSessionBenchmark(ModelFolder folder, MaskedLmTokenizer tokenizer, OrtSession session,
                                NativeThread nativeThread) throws OrtException {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.session = session;
        this.nativeThread = nativeThread;
        this.headAtMasks = session.getInputNames().contains(MaskedLmSignature.MASK_POSITIONS);
        this.typeIds = session.getInputNames().contains(MaskedLmSignature.TOKEN_TYPE_IDS);
    }

    /** The model file the engine would load for {@code model} (a recognised plain export's head rewritten). */
    public static RawSessionBenchmark open(Path model, EngineOptions options) {
        NativeThread nativeThread = new NativeThread();
        return nativeThread.call(() -> {
            ModelFolder folder = ModelFolder.open(model);
            MaskedLmTokenizer tokenizer = MaskedLmTokenizer.open(folder);
            Path file = HeadAtMasksModels.modelToLoad(folder.modelFile(), HeadAtMasksModels.defaultCache());
            OrtSession.SessionOptions so = new OrtSession.SessionOptions();
            so.setIntraOpNumThreads(options.effectiveIntraOpThreads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(options.optimization().ortLevel);
            return new RawSessionBenchmark(folder, tokenizer,
                    OrtEnvironment.getEnvironment().createSession(file.toString(), so), nativeThread);
        });
    }

    /** Model input ids of each text (special tokens added), as the engine would tokenize it. */
    public List<long[]> tokenize(List<String> texts) {
        return nativeThread.call(() -> texts.stream().map(t -> tokenizer.encode(t).ids()).toList());
    }

    /**
     * Runs all of {@code inputs} in batches of {@code batchSize} (in the given order, each padded to its longest),
     * {@code rounds} times after one untimed warm-up round.
     */
    public Figures measure(List<long[]> inputs, int batchSize, int rounds) {
        return nativeThread.call(() -> {
            List<Map<String, OnnxTensor>> batches = new ArrayList<>();
            long padded = 0;
            try {
                for (int from = 0; from < inputs.size(); from += batchSize) {
                    List<long[]> batch = inputs.subList(from, Math.min(inputs.size(), from + batchSize));
                    batches.add(tensors(batch));
                    padded += (long) batch.size() * batch.stream().mapToInt(a -> a.length).max().orElse(0);
                }
                runAll(batches);
                long start = System.nanoTime();
                for (int r = 0; r < rounds; r++) {
                    runAll(batches);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                return new Figures(batchSize, inputs.size() * rounds, padded * rounds, seconds);
            } finally {
                for (Map<String, OnnxTensor> b : batches) {
                    b.values().forEach(OnnxTensor::close);
                }
            }
        });
    }

    private void runAll(List<Map<String, OnnxTensor>> batches) throws OrtException {
        for (Map<String, OnnxTensor> inputs : batches) {
            try (OrtSession.Result ignored = session.run(inputs)) {
                // Only the run is measured; the engine reads its mask rows from the result.
            }
        }
    }

    private Map<String, OnnxTensor> tensors(List<long[]> batch) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int seq = batch.stream().mapToInt(a -> a.length).max().orElse(0);
        long[] ids = new long[batch.size() * seq];
        long[] mask = new long[batch.size() * seq];
        java.util.Arrays.fill(ids, folder.padTokenId());
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
}
