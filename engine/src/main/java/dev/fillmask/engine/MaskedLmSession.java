package dev.fillmask.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.onnx.MaskedLmSignature;
import dev.fillmask.engine.weights.SharedWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.fillmask.engine.onnx.MaskedLmSignature.ATTENTION_MASK;
import static dev.fillmask.engine.onnx.MaskedLmSignature.INPUT_IDS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.LOGITS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_LOGITS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_POSITIONS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.TOKEN_TYPE_IDS;

/**
 * One ONNX Runtime session over a masked-LM graph in either form of {@link MaskedLmSignature}: with the LM head at
 * the masks ({@code mask_positions} in, {@code mask_logits} [masks, vocab] out), which is what the importer writes
 * and what a plain export is rewritten to when its head is recognised ({@link RewrittenModels}), or with the head
 * at every position ({@code logits} [batch, sequence, vocab], a plain export whose head was not recognised). The form
 * is read off the loaded graph's input and output names.
 *
 * <p>No wasted copies: inputs and the output live in direct buffers that are reused from run to run and that ONNX
 * Runtime reads and writes in place (the output is pinned, so it is never materialised as Java arrays), and only the
 * rows at mask positions are copied out, once, into the arrays the scorer reads. Runs are serialized: the buffers are
 * shared, and one run already uses every intra-op thread.
 *
 * <p>On CPU, sessions of the same model share its weights ({@link SharedWeights}, unless the options say otherwise):
 * the session loads the model's optimized graph without its weights and is handed the one memory-mapped copy of
 * them that every session of the process reads.
 */
final class MaskedLmSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MaskedLmSession.class);

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HeadForm headForm;
    private final String outputName;
    private final boolean takesTokenTypeIds;
    private final int vocabSize;
    private final ExecutionProvider provider;
    /** The shared weights this session reads, released after it closes; null when it holds its own. */
    private final SharedWeights.Lease sharedWeights;

    private boolean closed;
    private LongBuffer idsBuffer = LongBuffer.allocate(0);
    private LongBuffer maskBuffer = LongBuffer.allocate(0);
    private LongBuffer typesBuffer = LongBuffer.allocate(0);
    private LongBuffer positionsBuffer = LongBuffer.allocate(0);
    private FloatBuffer outputBuffer = FloatBuffer.allocate(0);

    private MaskedLmSession(OrtEnvironment env, OrtSession session, HeadForm headForm, String outputName,
                            boolean takesTokenTypeIds, int vocabSize, ExecutionProvider provider,
                            SharedWeights.Lease sharedWeights) {
        this.env = env;
        this.session = session;
        this.headForm = headForm;
        this.outputName = outputName;
        this.takesTokenTypeIds = takesTokenTypeIds;
        this.vocabSize = vocabSize;
        this.provider = provider;
        this.sharedWeights = sharedWeights;
    }

    /** Opens the folder's model with every load-time rewrite ({@link GraphRewrites#ALL}). */
    static MaskedLmSession open(ModelFolder folder, EngineOptions options, int tokenizerVocabSize) {
        return open(folder, options, tokenizerVocabSize, GraphRewrites.ALL);
    }

    /**
     * @param rewrites what is done to the graph before it loads ({@link RewrittenModels}); less than all is for
     *     measuring what the rewrites save, and for comparing the forms' answers
     */
    static MaskedLmSession open(ModelFolder folder, EngineOptions options, int tokenizerVocabSize,
                                GraphRewrites rewrites) {
        Path original = folder.modelFile();
        Path file = RewrittenModels.modelToLoad(original, rewrites, RewrittenModels.defaultCache());
        if (!file.equals(original)) {
            try {
                return openFile(file, folder, options, tokenizerVocabSize);
            } catch (EngineStartException e) {
                LOG.warn("the rewrite {} does not load ({}); loading {} as it is", file, e.getMessage(), original);
            }
        }
        return openFile(original, folder, options, tokenizerVocabSize);
    }

    private static MaskedLmSession openFile(Path file, ModelFolder folder, EngineOptions options,
                                            int tokenizerVocabSize) {
        if (options.sharedWeights() && options.provider() == ExecutionProvider.CPU) {
            SharedWeights.Lease weights = sharedWeights(file, options);
            if (weights != null) {
                try {
                    return openFile(file, options, tokenizerVocabSize, weights);
                } catch (EngineStartException e) {
                    LOG.warn("{} does not load with shared weights ({}); this session loads its own copy", file,
                            e.getMessage());
                }
            }
        }
        return openFile(file, options, tokenizerVocabSize, null);
    }

    /** The lease on the model's shared weights, or null (with a log line saying why) when they cannot be had. */
    private static SharedWeights.Lease sharedWeights(Path file, EngineOptions options) {
        try {
            return SharedWeights.acquire(file, options.optimization());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: its weights cannot be shared ({}); this session loads its own copy", file, e.toString());
            return null;
        }
    }

    /** Opens {@code file}, or with {@code weights} their graph file handed the shared weights; owns the lease. */
    private static MaskedLmSession openFile(Path file, EngineOptions options, int tokenizerVocabSize,
                                            SharedWeights.Lease weights) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions so = cpuSessionOptions(options)) {
            ExecutionProvider provider = addProvider(so, options);
            Path load = file;
            if (weights != null) {
                weights.addTo(so);
                load = weights.graphFile();
            }
            session = env.createSession(load.toString(), so);
            MaskedLmSession opened = describe(env, session, file, tokenizerVocabSize, provider, weights);
            LOG.info("Opened {} on {} ({} intra-op threads, optimization {}, vocabulary {}, LM head {}, weights {})",
                    file, provider, options.effectiveIntraOpThreads(), options.optimization(), opened.vocabSize,
                    opened.headForm == HeadForm.AT_MASKS ? "at the masks" : "at every position",
                    weights != null ? "shared (" + weights.bytes() / 1_000_000 + " MB mapped once)" : "its own");
            return opened;
        } catch (OrtException e) {
            closeQuietly(session);
            closeQuietly(weights);
            throw new EngineStartException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            closeQuietly(weights);
            throw e;
        }
    }

    /**
     * The session settings of the options, without an execution provider: intra-op threads, one inter-op thread,
     * sequential execution, the graph optimization level, prepacking, spinning. Also {@link ModelRunner}'s, so that it runs
     * what the engine runs.
     */
    static OrtSession.SessionOptions cpuSessionOptions(EngineOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setIntraOpNumThreads(options.effectiveIntraOpThreads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(options.optimization().ortLevel);
            if (!options.prepacking()) {
                so.addConfigEntry("session.disable_prepacking", "1");
            }
            so.addConfigEntry("session.intra_op.allow_spinning", options.spinWait() ? "1" : "0");
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
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
                so.addCUDA(options.effectiveDeviceId());
                return ExecutionProvider.CUDA;
            } catch (OrtException e) {
                problem = "CUDA device " + options.effectiveDeviceId() + " cannot be used (" + e.getMessage()
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

    private static MaskedLmSession describe(OrtEnvironment env, OrtSession session, Path file,
                                            int tokenizerVocabSize, ExecutionProvider provider,
                                            SharedWeights.Lease weights) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (!inputs.containsKey(required)) {
                throw new EngineStartException(file + " has no input '" + required + "' (it has "
                        + inputs.keySet() + "): a fill-mask export takes input_ids and attention_mask");
            }
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        boolean atMasks = inputs.containsKey(MASK_POSITIONS) && outputs.containsKey(MASK_LOGITS);
        HeadForm form = atMasks ? HeadForm.AT_MASKS : HeadForm.FULL;
        String output = atMasks ? MASK_LOGITS : outputs.containsKey(LOGITS) ? LOGITS : outputs.keySet().iterator().next();
        int rank = atMasks ? 2 : 3;
        if (!(outputs.get(output).getInfo() instanceof TensorInfo info) || info.getShape().length != rank) {
            throw new EngineStartException(file + ": output '" + output + "' is not a "
                    + (atMasks ? "[masks, vocab]" : "[batch, sequence, vocab]")
                    + " tensor, so this is not a masked-LM export");
        }
        long lastDim = info.getShape()[rank - 1];
        int vocab = lastDim > 0 ? (int) lastDim : tokenizerVocabSize;
        return new MaskedLmSession(env, session, form, output, inputs.containsKey(TOKEN_TYPE_IDS), vocab, provider,
                weights);
    }

    int vocabSize() {
        return vocabSize;
    }

    ExecutionProvider provider() {
        return provider;
    }

    HeadForm headForm() {
        return headForm;
    }

    /**
     * Runs the batch, padded to its longest window, in ONE session run, and returns the logits at every mask:
     * {@code result[item][mask]} is a row of {@link #vocabSize()} floats.
     */
    synchronized float[][][] maskLogits(List<ModelInput> batch, long padId) throws OrtException {
        int rows = batch.size();
        int seq = 0;
        int masks = 0;
        for (ModelInput in : batch) {
            seq = Math.max(seq, in.ids().length);
            masks += in.maskPositions().length;
        }
        int cells = rows * seq;
        boolean atMasks = headForm == HeadForm.AT_MASKS;
        long outputCells = (long) (atMasks ? masks : cells) * vocabSize;
        ensureCapacity(cells, masks, outputCells);
        fillInputs(batch, seq, padId);
        long[] shape = {rows, seq};
        Map<String, OnnxTensor> feed = new HashMap<>(6);
        OnnxTensor output = null;
        try {
            feed.put(INPUT_IDS, OnnxTensor.createTensor(env, idsBuffer.flip(), shape));
            feed.put(ATTENTION_MASK, OnnxTensor.createTensor(env, maskBuffer.flip(), shape));
            if (takesTokenTypeIds) {
                feed.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, typesBuffer.flip(), shape));
            }
            if (atMasks) {
                feed.put(MASK_POSITIONS, OnnxTensor.createTensor(env, positionsBuffer.flip(), new long[] {masks}));
            }
            long[] outputShape = atMasks ? new long[] {masks, vocabSize} : new long[] {rows, seq, vocabSize};
            output = OnnxTensor.createTensor(env, outputBuffer.clear().limit((int) outputCells), outputShape);
            try (OrtSession.Result ignored = session.run(feed, Map.of(outputName, output))) {
                return copyMaskRows(batch, seq);
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
            if (output != null) {
                output.close();
            }
        }
    }

    /** Fills the reused input buffers: ids and types padded to {@code seq}, the attention mask, the mask rows. */
    private void fillInputs(List<ModelInput> batch, int seq, long padId) {
        idsBuffer.clear();
        maskBuffer.clear();
        typesBuffer.clear();
        positionsBuffer.clear();
        for (int item = 0; item < batch.size(); item++) {
            ModelInput in = batch.get(item);
            int n = in.ids().length;
            idsBuffer.put(in.ids());
            if (takesTokenTypeIds) {
                typesBuffer.put(in.typeIds());
            }
            for (int i = 0; i < n; i++) {
                maskBuffer.put(1L);
            }
            for (int i = n; i < seq; i++) {
                idsBuffer.put(padId);
                maskBuffer.put(0L);
                if (takesTokenTypeIds) {
                    typesBuffer.put(0L);
                }
            }
            for (int position : in.maskPositions()) {
                positionsBuffer.put((long) item * seq + position);
            }
        }
    }

    /** Copies each mask's row out of the output buffer, in item order then mask order (the order of the positions). */
    private float[][][] copyMaskRows(List<ModelInput> batch, int seq) {
        float[][][] out = new float[batch.size()][][];
        int row = 0;
        for (int item = 0; item < batch.size(); item++) {
            int[] positions = batch.get(item).maskPositions();
            out[item] = new float[positions.length][vocabSize];
            for (int m = 0; m < positions.length; m++) {
                int index = headForm == HeadForm.AT_MASKS ? row++ : item * seq + positions[m];
                outputBuffer.get(index * vocabSize, out[item][m]);
            }
        }
        return out;
    }

    private void ensureCapacity(int cells, int masks, long outputCells) {
        if (outputCells * Float.BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + outputCells + " logits exceed one buffer;"
                    + " use a smaller batch size");
        }
        if (idsBuffer.capacity() < cells) {
            int grown = Math.max(cells, idsBuffer.capacity() * 2);
            idsBuffer = directLongs(grown);
            maskBuffer = directLongs(grown);
            typesBuffer = directLongs(grown);
        }
        if (positionsBuffer.capacity() < masks) {
            positionsBuffer = directLongs(Math.max(masks, positionsBuffer.capacity() * 2));
        }
        if (outputBuffer.capacity() < outputCells) {
            outputBuffer = ByteBuffer.allocateDirect((int) (outputCells * Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
    }

    private static LongBuffer directLongs(int n) {
        return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static void closeQuietly(SharedWeights.Lease weights) {
        if (weights != null) {
            weights.close();
        }
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
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the ONNX Runtime session failed", e);
        } finally {
            // Only after the session: the weights are unmapped when the last lease closes.
            closeQuietly(sharedWeights);
        }
    }
}
