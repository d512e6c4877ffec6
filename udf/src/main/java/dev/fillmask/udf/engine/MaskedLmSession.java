package dev.fillmask.udf.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.fillmask.udf.model.ModelFolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime session over a masked-LM graph with the Hugging Face export signature ({@code input_ids},
 * {@code attention_mask}, optional {@code token_type_ids} → {@code logits} [batch, sequence, vocab]).
 *
 * <p>Inputs and the logits output live in direct buffers that are reused from run to run (ONNX Runtime reads and
 * writes them in place), and only the rows at mask positions are copied out. Runs are serialized: the buffers are
 * shared, and one run already uses every intra-op thread.
 */
final class MaskedLmSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MaskedLmSession.class);
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";
    static final String LOGITS = "logits";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String outputName;
    private final boolean takesTokenTypeIds;
    private final int vocabSize;
    private final ExecutionProvider provider;

    private LongBuffer idsBuffer = LongBuffer.allocate(0);
    private LongBuffer maskBuffer = LongBuffer.allocate(0);
    private LongBuffer typesBuffer = LongBuffer.allocate(0);
    private FloatBuffer logitsBuffer = FloatBuffer.allocate(0);

    private MaskedLmSession(OrtEnvironment env, OrtSession session, String outputName, boolean takesTokenTypeIds,
                            int vocabSize, ExecutionProvider provider) {
        this.env = env;
        this.session = session;
        this.outputName = outputName;
        this.takesTokenTypeIds = takesTokenTypeIds;
        this.vocabSize = vocabSize;
        this.provider = provider;
    }

    static MaskedLmSession open(ModelFolder folder, EngineOptions options, int tokenizerVocabSize) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(options.effectiveIntraOpThreads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(options.optimization().ortLevel);
            ExecutionProvider provider = addProvider(so, options);
            session = env.createSession(folder.modelFile().toString(), so);
            MaskedLmSession opened = describe(env, session, folder, tokenizerVocabSize, provider);
            LOG.info("Opened {} on {} ({} intra-op threads, optimization {}, vocabulary {})", folder.modelFile(),
                    provider, options.effectiveIntraOpThreads(), options.optimization(), opened.vocabSize);
            return opened;
        } catch (OrtException e) {
            closeQuietly(session);
            throw new EngineStartException("ONNX Runtime cannot load " + folder.modelFile() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    /** Adds the CUDA provider when asked; when it cannot be had, falls back to CPU or fails, as the options say. */
    private static ExecutionProvider addProvider(OrtSession.SessionOptions so, EngineOptions options) {
        if (options.provider() == ExecutionProvider.CPU) {
            return ExecutionProvider.CPU;
        }
        String problem;
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            problem = "this ONNX Runtime build has no CUDA execution provider (available: "
                    + OrtEnvironment.getAvailableProviders() + "); build the job with -Pgpu to use onnxruntime_gpu";
        } else {
            try {
                so.addCUDA(options.deviceId());
                return ExecutionProvider.CUDA;
            } catch (OrtException e) {
                problem = "CUDA device " + options.deviceId() + " cannot be used (" + e.getMessage()
                        + "); the node needs an NVIDIA GPU with CUDA 12.x and cuDNN 9 on the library path";
            }
        }
        if (options.cpuFallback()) {
            LOG.warn("CUDA was asked for but {}. Falling back to CPU, as cpu-fallback allows.", problem);
            return ExecutionProvider.CPU;
        }
        throw new EngineStartException("CUDA was asked for but " + problem
                + ". Choose the cpu provider, or allow CPU fallback.");
    }

    private static MaskedLmSession describe(OrtEnvironment env, OrtSession session, ModelFolder folder,
                                            int tokenizerVocabSize, ExecutionProvider provider) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (!inputs.containsKey(required)) {
                throw new EngineStartException(folder.modelFile() + " has no input '" + required + "' (it has "
                        + inputs.keySet() + "): a fill-mask export takes input_ids and attention_mask");
            }
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String output = outputs.containsKey(LOGITS) ? LOGITS : outputs.keySet().iterator().next();
        if (!(outputs.get(output).getInfo() instanceof TensorInfo info) || info.getShape().length != 3) {
            throw new EngineStartException(folder.modelFile() + ": output '" + output
                    + "' is not a [batch, sequence, vocab] tensor, so this is not a masked-LM export");
        }
        long lastDim = info.getShape()[2];
        int vocab = lastDim > 0 ? (int) lastDim : tokenizerVocabSize;
        return new MaskedLmSession(env, session, output, inputs.containsKey(TOKEN_TYPE_IDS), vocab, provider);
    }

    int vocabSize() {
        return vocabSize;
    }

    ExecutionProvider provider() {
        return provider;
    }

    /**
     * Runs the batch, padded to its longest window, in ONE session run, and returns the logits at every mask:
     * {@code result[item][mask]} is a row of {@link #vocabSize()} floats.
     */
    synchronized float[][][] maskLogits(List<ModelInput> batch, long padId) throws OrtException {
        int rows = batch.size();
        int seq = batch.stream().mapToInt(in -> in.ids().length).max().orElse(0);
        int cells = rows * seq;
        ensureCapacity(cells, (long) cells * vocabSize);
        idsBuffer.clear();
        maskBuffer.clear();
        typesBuffer.clear();
        for (ModelInput in : batch) {
            int n = in.ids().length;
            idsBuffer.put(in.ids());
            typesBuffer.put(in.typeIds());
            for (int i = 0; i < n; i++) {
                maskBuffer.put(1L);
            }
            for (int i = n; i < seq; i++) {
                idsBuffer.put(padId);
                typesBuffer.put(0L);
                maskBuffer.put(0L);
            }
        }
        long[] shape = {rows, seq};
        Map<String, OnnxTensor> feed = new HashMap<>();
        OnnxTensor logits = null;
        try {
            feed.put(INPUT_IDS, OnnxTensor.createTensor(env, idsBuffer.flip(), shape));
            feed.put(ATTENTION_MASK, OnnxTensor.createTensor(env, maskBuffer.flip(), shape));
            if (takesTokenTypeIds) {
                feed.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, typesBuffer.flip(), shape));
            }
            logits = OnnxTensor.createTensor(env, logitsBuffer.clear().limit((int) ((long) cells * vocabSize)),
                    new long[] {rows, seq, vocabSize});
            try (OrtSession.Result ignored = session.run(feed, Map.of(outputName, logits))) {
                return copyMaskRows(batch, seq);
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
            if (logits != null) {
                logits.close();
            }
        }
    }

    private float[][][] copyMaskRows(List<ModelInput> batch, int seq) {
        float[][][] out = new float[batch.size()][][];
        for (int item = 0; item < batch.size(); item++) {
            int[] positions = batch.get(item).maskPositions();
            out[item] = new float[positions.length][vocabSize];
            for (int m = 0; m < positions.length; m++) {
                int offset = (item * seq + positions[m]) * vocabSize;
                logitsBuffer.get(offset, out[item][m]);
            }
        }
        return out;
    }

    private void ensureCapacity(int cells, long logitCells) {
        if (logitCells * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + logitCells + " logits exceed one buffer;"
                    + " use a smaller batch size");
        }
        if (idsBuffer.capacity() < cells) {
            int grown = Math.max(cells, idsBuffer.capacity() * 2);
            idsBuffer = directLongs(grown);
            maskBuffer = directLongs(grown);
            typesBuffer = directLongs(grown);
        }
        if (logitsBuffer.capacity() < logitCells) {
            logitsBuffer = ByteBuffer.allocateDirect((int) (logitCells * Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    private static LongBuffer directLongs(int n) {
        return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.debug("closing a half-opened session", e);
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the ONNX Runtime session failed", e);
        }
    }
}
