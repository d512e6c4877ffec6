package dev.fillmask.udf.engine;

import ai.onnxruntime.OrtException;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.model.ModelFolder;
import dev.fillmask.udf.onnx.HeadForm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fill-mask engine: a batch of requests in, one answer per request out, in order, with exactly the semantics of
 * the Hugging Face {@code FillMaskPipeline} (see fill-mask-contract.md). One tokenizer and one ONNX Runtime session
 * per engine; the whole batch goes through the model in ONE run, padded to its longest input. A request that cannot
 * be answered gets an error answer; the others in its batch are not affected. Thread-safe; close it when done.
 */
public final class FillMaskEngine implements AutoCloseable {
    private final ModelFolder folder;
    private final RequestLimits limits;
    private final MaskedLmTokenizer tokenizer;
    private final MaskedLmSession session;
    private final TargetResolver targets;
    private final NativeThread nativeThread;

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
     * LM head is rewritten to run at the mask positions only when it is recognised (see {@link HeadAtMasksModels}).
     */
    public static FillMaskEngine open(Path modelFolder, EngineOptions options) {
        return open(modelFolder, options, true);
    }

    /** The same; {@code rewriteFullHead} false keeps a plain export's head at every position (for comparisons). */
    static FillMaskEngine open(Path modelFolder, EngineOptions options, boolean rewriteFullHead) {
        NativeThread nativeThread = new NativeThread();
        try {
            return nativeThread.call(() -> openOn(nativeThread, modelFolder, options, rewriteFullHead));
        } catch (RuntimeException | Error e) {
            nativeThread.close();
            throw e;
        }
    }

    private static FillMaskEngine openOn(NativeThread nativeThread, Path modelFolder, EngineOptions options,
                                         boolean rewriteFullHead) {
        ModelFolder folder = ModelFolder.open(modelFolder);
        MaskedLmTokenizer tokenizer = MaskedLmTokenizer.open(folder);
        try {
            MaskedLmSession session = MaskedLmSession.open(folder, options, folder.vocabulary().size(), rewriteFullHead);
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

    /** Answers for {@code requests}, in the same order: each an answer or an error, never missing. */
    public List<FillMaskAnswer> predict(List<FillMaskRequest> requests) {
        return nativeThread.call(() -> predictHere(requests));
    }

    private List<FillMaskAnswer> predictHere(List<FillMaskRequest> requests) {
        FillMaskAnswer[] answers = new FillMaskAnswer[requests.size()];
        List<Prepared> ready = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Preparation preparation = prepare(requests.get(i));
            if (preparation instanceof Rejected rejected) {
                answers[i] = rejected.error();
            } else {
                ready.add(new Prepared(i, (Checked) preparation));
            }
        }
        if (!ready.isEmpty()) {
            float[][][] logits = runModel(ready);
            for (int r = 0; r < ready.size(); r++) {
                answers[ready.get(r).index()] = answer(ready.get(r), logits[r]);
            }
        }
        return Arrays.asList(answers);
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
        if (request == null || request.inputs() == null) {
            return rejected("`inputs` is missing: the request must have a string field `inputs`");
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
            return rejected("`inputs` has " + request.inputs().length()
                    + " characters, more than the limit of " + limits.maxInputChars());
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
                return rejected("`parameters.targets` has " + request.targets().size()
                        + " entries, more than the limit of " + limits.maxTargets());
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
        return new Checked(text.ids(), masks, input, targetIds, topK);
    }

    private static Rejected rejected(String message) {
        return new Rejected(FillMaskAnswer.error(message));
    }

    private int[] maskPositions(long[] ids) {
        int maskId = folder.maskTokenId();
        return java.util.stream.IntStream.range(0, ids.length).filter(i -> ids[i] == maskId).toArray();
    }

    /**
     * The mask rows' logits of every ready request, in order. The batch runs as one or more model runs of similar
     * lengths ({@link PaddingPlanner}), so a long input does not make every short one carry its padding.
     */
    private float[][][] runModel(List<Prepared> ready) {
        int[] lengths = ready.stream().mapToInt(p -> p.input().ids().length).toArray();
        float[][][] logits = new float[ready.size()][][];
        try {
            for (int[] run : PaddingPlanner.plan(lengths)) {
                List<ModelInput> inputs = new ArrayList<>(run.length);
                for (int i : run) {
                    inputs.add(ready.get(i).input());
                }
                float[][][] runLogits = session.maskLogits(inputs, folder.padTokenId());
                for (int k = 0; k < run.length; k++) {
                    logits[run[k]] = runLogits[k];
                }
            }
            return logits;
        } catch (OrtException e) {
            // Not the input's fault (the inputs were checked): let the caller fail and retry the batch.
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + ready.size() + ": " + e.getMessage(), e);
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
        return singleMask ? new FillMaskAnswer.SingleMask(rows.get(0)) : new FillMaskAnswer.MultiMask(rows);
    }

    /** The full input with {@code id} at mask {@code m} only, pad ids dropped: what the pipeline decodes. */
    private long[] filledIn(Checked p, int m, long id) {
        long[] ids = p.fullIds().clone();
        ids[p.masks()[m]] = id;
        long pad = folder.padTokenId();
        return Arrays.stream(ids).filter(t -> t != pad).toArray();
    }

    @Override
    public void close() {
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
