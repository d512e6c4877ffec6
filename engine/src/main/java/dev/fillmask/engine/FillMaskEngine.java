package dev.fillmask.engine;

import ai.onnxruntime.OrtException;
import dev.fillmask.schemas.AnswerSize;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.HeadForm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fill-mask engine: a batch of requests in, one answer per request out, in order, with exactly the semantics of
 * the Hugging Face {@code FillMaskPipeline} (see docs/contract.md). One tokenizer and one ONNX Runtime session
 * per engine; the whole batch goes through the model in ONE run, padded to its longest input. A request that cannot
 * be answered gets an error answer; the others in its batch are not affected. Thread-safe; close it when done.
 *
 * <p>A failure belongs to the request that caused it. A request the tokenizer cannot read, whose answer would be too
 * large, or on which ONNX Runtime fails gets an error answer of its own: a failed model run is split in halves until
 * the requests that fail it stand alone ({@link FaultIsolation}). Only when the model fails even on a known-good
 * request does {@link #predict} throw {@link EngineFailureException}: that is a failure of the machine, not of a
 * record, and the caller restarts.
 */
public final class FillMaskEngine implements AutoCloseable {
    private static final String MISSING_INPUTS = "`inputs` is missing: the request must have a string field `inputs`";

    private final ModelFolder folder;
    private final RequestLimits limits;
    private final MaskedLmTokenizer tokenizer;
    private final MaskedLmSession session;
    private final TargetResolver targets;
    private final NativeThread nativeThread;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FillMaskEngine(ModelFolder folder, RequestLimits limits, MaskedLmTokenizer tokenizer,
                           MaskedLmSession session, NativeThread nativeThread) {
        this.folder = folder;
        this.limits = limits;
        this.tokenizer = tokenizer;
        this.session = session;
        this.targets = new TargetResolver(folder.vocabulary(), tokenizer);
        this.nativeThread = nativeThread;
    }

    /**
     * Loads the model folder (any Hugging Face / optimum fill-mask export) and opens its session. A plain export's
     * LM head is rewritten to run at the mask positions only when it is recognised, and a float32 encoder of the
     * importer's form is fused into ONNX Runtime's contrib ops (see {@link RewrittenModels}).
     */
    public static FillMaskEngine open(Path modelFolder, EngineOptions options) {
        return open(modelFolder, options, GraphRewrites.ALL);
    }

    /**
     * The same with only some of the load-time rewrites, or none (the model file as it is): for measuring what they
     * save and comparing the forms' answers (the bench's head and int8 comparison, the fusion's tests).
     */
    public static FillMaskEngine open(Path modelFolder, EngineOptions options, GraphRewrites rewrites) {
        NativeThread nativeThread = new NativeThread();
        try {
            return nativeThread.call(() -> openOn(nativeThread, modelFolder, options, rewrites));
        } catch (RuntimeException | Error e) {
            nativeThread.close();
            throw e;
        }
    }

    private static FillMaskEngine openOn(NativeThread nativeThread, Path modelFolder, EngineOptions options,
                                         GraphRewrites rewrites) {
        ModelFolder folder = ModelFolder.open(modelFolder);
        MaskedLmTokenizer tokenizer = MaskedLmTokenizer.open(folder);
        try {
            MaskedLmSession session = MaskedLmSession.open(folder, options, folder.vocabulary().size(), rewrites);
            return new FillMaskEngine(folder, options.limits(), tokenizer, session, nativeThread);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public ModelFolder modelFolder() {
        return folder;
    }

    /** Where the loaded graph runs its LM head: at the masks only, or at every position. */
    public HeadForm headForm() {
        return session.headForm();
    }

    /** The provider the session really runs on (CPU when CUDA fell back). */
    public ExecutionProvider provider() {
        return session.provider();
    }

    public FillMaskAnswer predict(FillMaskRequest request) {
        return predict(List.of(request)).get(0);
    }

    /**
     * Answers for {@code requests}, in the same order: each an answer or an error, never missing.
     *
     * @throws EngineFailureException if the model fails even on a request that cannot be at fault
     */
    public List<FillMaskAnswer> predict(List<FillMaskRequest> requests) {
        List<DecodedRequest> decoded = new ArrayList<>(requests.size());
        for (FillMaskRequest request : requests) {
            decoded.add(request == null ? new DecodedRequest.Invalid(MISSING_INPUTS) : new DecodedRequest.Valid(request));
        }
        return answer(decoded);
    }

    /**
     * Answers for decoded requests, in the same order: a request the codec refused gets its refusal as its error
     * answer, in its place; the others are predicted together. The one batch path of every caller (the operator,
     * {@code predict}).
     *
     * @throws EngineFailureException if the model fails even on a request that cannot be at fault
     */
    public List<FillMaskAnswer> answer(List<DecodedRequest> requests) {
        return nativeThread.call(() -> answerHere(requests));
    }

    private List<FillMaskAnswer> answerHere(List<DecodedRequest> requests) {
        FillMaskAnswer[] answers = new FillMaskAnswer[requests.size()];
        List<Prepared> ready = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Preparation preparation = prepareGuarded(requests.get(i));
            if (preparation instanceof Rejected rejected) {
                answers[i] = rejected.error();
            } else {
                ready.add(new Prepared(i, (Checked) preparation));
            }
        }
        if (!ready.isEmpty()) {
            FaultIsolation isolation = new FaultIsolation(this::canaryWorks);
            for (int[] run : PaddingPlanner.plan(ready.stream().mapToInt(p -> p.input().ids().length).toArray())) {
                List<Prepared> runRequests = new ArrayList<>(run.length);
                for (int i : run) {
                    runRequests.add(ready.get(i));
                }
                isolation.run(runRequests, this::runModel, (prepared, logits) -> answers[prepared.index()] =
                        answerGuarded(prepared, logits), (prepared, message) -> answers[prepared.index()] =
                        FillMaskAnswer.error(message));
            }
        }
        return Arrays.asList(answers);
    }

    /** {@link #prepare}, with whatever the tokenizer throws on this one request turned into its error answer. */
    private Preparation prepareGuarded(DecodedRequest decoded) {
        if (decoded instanceof DecodedRequest.Invalid invalid) {
            return rejected(invalid.reason());
        }
        try {
            return prepare(((DecodedRequest.Valid) decoded).request());
        } catch (RuntimeException | OutOfMemoryError e) {
            return rejected("the request could not be tokenized: " + FaultIsolation.describe(e));
        }
    }

    /** {@link #answer}, with a failure while building this one answer turned into its error answer. */
    private FillMaskAnswer answerGuarded(Prepared prepared, float[][] maskLogits) {
        try {
            return answer(prepared, maskLogits);
        } catch (RuntimeException | OutOfMemoryError e) {
            return FillMaskAnswer.error("the answer could not be built: " + FaultIsolation.describe(e));
        }
    }

    /** What checking a request against the model gives: model input, or the error that explains why not. */
    private sealed interface Preparation permits Checked, Rejected {}

    /** A request checked against the model and turned into model input. */
    private record Checked(long[] fullIds, int[] masks, ModelInput input, long[] targetIds, int topK)
            implements Preparation {}

    private record Rejected(FillMaskAnswer error) implements Preparation {}

    /** A runnable request and its place in the batch. */
    private record Prepared(int index, Checked request) {
        ModelInput input() {
            return request.input();
        }
    }

    private Preparation prepare(FillMaskRequest request) {
        if (request.inputs() == null) {
            return rejected(MISSING_INPUTS);
        }
        int topK = request.topKOrDefault();
        if (topK < 1) {
            return rejected("`parameters.top_k` must be an integer >= 1, got " + topK);
        }
        if (topK > session.vocabSize()) {
            return rejected("`parameters.top_k` is " + topK + ", more than the vocabulary size "
                    + session.vocabSize());
        }
        if (request.inputs().length() > limits.maxInputChars()) {
            return rejected(limits.inputTooLong(request.inputs().length()));
        }
        TokenizedText text = tokenizer.encode(request.inputs());
        int[] masks = maskPositions(text.ids());
        if (masks.length == 0) {
            return rejected("No mask_token (" + folder.maskToken() + ") found on the input");
        }
        if (masks.length > limits.maxMasks()) {
            return rejected("the input has " + masks.length + " mask tokens, more than the limit of "
                    + limits.maxMasks());
        }
        long[] targetIds = null;
        if (request.hasTargets()) {
            if (request.targets().size() > limits.maxTargets()) {
                return rejected(limits.tooManyTargets(request.targets().size()));
            }
            targetIds = targets.resolve(request.targets());
            if (targetIds.length == 0) {
                return rejected("At least one target must be provided when passed.");
            }
            topK = Math.min(topK, targetIds.length);
        }
        for (long id : text.ids()) {
            if (id < 0 || id >= session.vocabSize()) {
                return rejected("the tokenizer produced token id " + id + ", outside the model's "
                        + session.vocabSize() + "-token vocabulary: tokenizer.json does not match model.onnx");
            }
        }
        ModelInput input = MaskWindow.fit(text, masks, folder.maxLength());
        if (input == null) {
            return rejected("the masks are " + (masks[masks.length - 1] - masks[0] + 1)
                    + " tokens apart, more than fit in one window of the model's maximum length ("
                    + folder.maxLength() + " tokens with special tokens): put them closer or split the request");
        }
        if (AnswerSize.atLeast(masks.length, topK, mostSequenceBytes(text.ids())) > limits.maxAnswerBytes()) {
            long atLeast = answerAtLeast(text.ids(), masks.length, topK);
            if (atLeast > limits.maxAnswerBytes()) {
                return new Rejected(FillMaskAnswer.error(
                        AnswerSize.tooLarge(atLeast, true, masks.length, topK, limits.maxAnswerBytes())));
            }
        }
        return new Checked(text.ids(), masks, input, targetIds, topK);
    }

    /**
     * The most bytes any sequence decoded from {@code ids} can take: when even this keeps an answer within the bound
     * (every ordinary request), the input need not be decoded to bound its answer.
     */
    private long mostSequenceBytes(long[] ids) {
        return (long) ids.length * (3L * folder.vocabulary().longestTokenChars() + 1);
    }

    /**
     * The fewest bytes this request's answer can take, known before any candidate is built: every candidate carries
     * the whole input (less its masks, less a few characters that decoding may tidy away) besides its own fields.
     */
    private long answerAtLeast(long[] ids, int masks, int topK) {
        int maskId = folder.maskTokenId();
        long[] withoutMasks = Arrays.stream(ids).filter(id -> id != maskId).toArray();
        String base = tokenizer.decode(withoutMasks, masks == 1);
        long minSequenceBytes = base.getBytes(StandardCharsets.UTF_8).length - SEQUENCE_TIDY_BYTES;
        return AnswerSize.atLeast(masks, topK, minSequenceBytes);
    }

    /** {@link #answerAtLeast(long[], int, int)} of one request with its own top_k (for tests of the bound). */
    long answerAtLeast(String inputs, int topK) {
        return nativeThread.call(() -> {
            long[] ids = tokenizer.encode(inputs).ids();
            return answerAtLeast(ids, maskPositions(ids).length, topK);
        });
    }

    /**
     * Filling a mask can make a sequence shorter than the input without its masks by a few bytes at most: decoding's
     * clean-up joins the filled-in token to its neighbours (" ." to ".", " n't" to "n't"). Generous on purpose: this
     * bound only refuses what is surely too large; the codec checks the exact size.
     */
    private static final int SEQUENCE_TIDY_BYTES = 16;

    private static Rejected rejected(String message) {
        return new Rejected(FillMaskAnswer.error(message));
    }

    private int[] maskPositions(long[] ids) {
        int maskId = folder.maskTokenId();
        return java.util.stream.IntStream.range(0, ids.length).filter(i -> ids[i] == maskId).toArray();
    }

    /** One session run over these requests: the mask rows' logits of each, in order. */
    private float[][][] runModel(List<Prepared> run) throws OrtException {
        List<ModelInput> inputs = new ArrayList<>(run.size());
        for (Prepared p : run) {
            inputs.add(p.input());
        }
        return session.maskLogits(inputs, folder.padTokenId());
    }

    /** Whether the model still answers a request that cannot be at fault: one mask and nothing else. */
    private boolean canaryWorks() {
        try {
            TokenizedText mask = tokenizer.encode(folder.maskToken());
            ModelInput canary = MaskWindow.fit(mask, maskPositions(mask.ids()), folder.maxLength());
            session.maskLogits(List.of(canary), folder.padTokenId());
            return true;
        } catch (OrtException | RuntimeException | OutOfMemoryError e) {
            return false;
        }
    }

    private FillMaskAnswer answer(Prepared prepared, float[][] maskLogits) {
        Checked p = prepared.request();
        boolean singleMask = p.masks().length == 1;
        List<List<Candidate>> rows = new ArrayList<>(p.masks().length);
        for (int m = 0; m < p.masks().length; m++) {
            MaskScorer.Scored scored = MaskScorer.score(maskLogits[m], p.targetIds(), p.topK());
            List<Candidate> row = new ArrayList<>(scored.ids().length);
            for (int c = 0; c < scored.ids().length; c++) {
                long id = scored.ids()[c];
                String sequence = tokenizer.decode(filledIn(p, m, id), singleMask);
                String tokenStr = tokenizer.decode(new long[] {id}, false);
                row.add(new Candidate(sequence, scored.scores()[c], id, tokenStr));
            }
            rows.add(row);
        }
        return FillMaskAnswer.ofRows(rows);
    }

    /** The full input with {@code id} at mask {@code m} only, pad ids dropped: what the pipeline decodes. */
    private long[] filledIn(Checked p, int m, long id) {
        long[] ids = p.fullIds().clone();
        ids[p.masks()[m]] = id;
        long pad = folder.padTokenId();
        return Arrays.stream(ids).filter(t -> t != pad).toArray();
    }

    /** Closes the session and its thread; once only, however often it is called. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            nativeThread.call(() -> {
                try {
                    session.close();
                } finally {
                    tokenizer.close();
                }
                return null;
            });
        } finally {
            nativeThread.close();
        }
    }
}
