package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.fillmask.engine.onnx.OnnxGraphBuilder.floatAttribute;
import static dev.fillmask.engine.onnx.OnnxGraphBuilder.intAttribute;
import static dev.fillmask.engine.onnx.OnnxGraphBuilder.intsAttribute;
import static dev.fillmask.engine.onnx.MaskedLmSignature.ATTENTION_MASK;
import static dev.fillmask.engine.onnx.MaskedLmSignature.BATCH;
import static dev.fillmask.engine.onnx.MaskedLmSignature.INPUT_IDS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.LOGITS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASKS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_LOGITS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.MASK_POSITIONS;
import static dev.fillmask.engine.onnx.MaskedLmSignature.SEQUENCE;
import static dev.fillmask.engine.onnx.MaskedLmSignature.TOKEN_TYPE_IDS;

/**
 * BertForMaskedLM as an ONNX graph, in either {@link HeadForm}: the full head has exactly the inputs and output of a
 * Hugging Face / optimum export, so one loader serves both; the head at the masks is what the importer writes, since
 * fill-mask only ever reads the mask rows (names in {@link MaskedLmSignature}). The arithmetic follows transformers'
 * eager BERT step by step, so the figures of the model card come out to four decimals. Weight names and layouts are
 * those of Google's TF checkpoints (see {@link WeightSource}); a Hugging Face checkpoint of BERT, RoBERTa, XLM-R or
 * DistilBERT is fed through a source that translates its names and transposes its Linear weights (the
 * {@code importer.huggingface} package), since all four are this same post-layer-norm encoder with this head. Only
 * the positions differ ({@link BertConfig#positionPaddingIdx()}), and whether there are token types.
 */
public final class BertMaskedLmGraph {
    private final BertConfig config;
    private final WeightSource weights;
    private final HeadForm headForm;
    private final OnnxGraphBuilder g = new OnnxGraphBuilder("bert_for_masked_lm");

    private BertMaskedLmGraph(BertConfig config, WeightSource weights, HeadForm headForm) {
        this.config = config;
        this.weights = weights;
        this.headForm = headForm;
    }

    public static ModelProto build(BertConfig config, WeightSource weights, HeadForm headForm) {
        return new BertMaskedLmGraph(config, weights, headForm).build();
    }

    /** Builds and streams the model to {@code file}; the weights' buffers are read while writing, not before. */
    public static void write(BertConfig config, WeightSource weights, HeadForm headForm, Path file) throws IOException {
        OnnxGraphBuilder.write(build(config, weights, headForm), file);
    }

    private ModelProto build() {
        String inputIds = g.input(INPUT_IDS, DataType.INT64, BATCH, SEQUENCE);
        String attentionMask = g.input(ATTENTION_MASK, DataType.INT64, BATCH, SEQUENCE);
        String tokenTypeIds = config.tokenTypeIdsInput() ? g.input(TOKEN_TYPE_IDS, DataType.INT64, BATCH, SEQUENCE) : null;
        String maskPositions = headForm == HeadForm.AT_MASKS ? g.input(MASK_POSITIONS, DataType.INT64, MASKS) : null;

        String hidden = embeddings(inputIds, tokenTypeIds);
        String maskBias = attentionMaskBias(attentionMask);
        int last = config.layers() - 1;
        for (int i = 0; i < last; i++) {
            hidden = feedForward(i, attention(i, hidden, maskBias));
        }
        String attended = attention(last, hidden, maskBias);
        if (headForm == HeadForm.AT_MASKS) {
            // Everything after the last attention (the last feed-forward block, then the head) works one position at
            // a time, so it runs on the mask rows alone: [batch, seq, hidden] → [batch·seq, hidden] → [masks, hidden].
            // The numbers at those rows are the same; the work and the [batch, seq, vocab] output at the others vanish.
            String rows = g.node("Reshape", "at_masks/hidden_rows",
                    List.of(attended, g.int64s("const/hidden_rows_shape", -1, config.hidden())));
            String atMasks = g.node("Gather", "at_masks/hidden", List.of(rows, maskPositions), intAttribute("axis", 0));
            maskedLmHead(feedForward(last, atMasks), MASK_LOGITS);
            g.output(MASK_LOGITS, DataType.FLOAT, MASKS, config.vocab());
        } else {
            maskedLmHead(feedForward(last, attended), LOGITS);
            g.output(LOGITS, DataType.FLOAT, BATCH, SEQUENCE, config.vocab());
        }
        return g.build("fill-mask", "1");
    }

    private String embeddings(String inputIds, String tokenTypeIds) {
        int h = config.hidden();
        String prefix = "bert/embeddings/";
        String words = g.node("Gather", "embeddings/words",
                List.of(weight(prefix + "word_embeddings", config.vocab(), h), inputIds));

        String zero = g.int64Scalar("const/zero", 0);
        String positionIds = config.positionsAfterPadding() ? positionsAfterPadding(inputIds) : positionsFromZero(inputIds, zero);
        String positions = g.node("Gather", "embeddings/positions",
                List.of(weight(prefix + "position_embeddings", config.maxPositions(), h), positionIds));
        String sum = g.node("Add", "embeddings/words_positions", List.of(words, positions));

        if (config.typeVocab() > 0) {
            String typeTable = weight(prefix + "token_type_embeddings", config.typeVocab(), h);
            String types = g.node("Gather", "embeddings/token_types",
                    List.of(typeTable, tokenTypeIds != null ? tokenTypeIds : zero));
            sum = g.node("Add", "embeddings/sum", List.of(sum, types));
        }
        return layerNorm("embeddings/output", sum, prefix + "LayerNorm/");
    }

    /** Positions 0..sequence-1 as a Range, so any length up to max positions works without a position_ids input. */
    private String positionsFromZero(String inputIds, String zero) {
        String shape = g.node("Shape", "embeddings/input_shape", List.of(inputIds));
        String length = g.node("Gather", "embeddings/sequence_length",
                List.of(shape, g.int64Scalar("const/one_index", 1)), intAttribute("axis", 0));
        return g.node("Range", "embeddings/position_ids", List.of(zero, length, g.int64Scalar("const/one", 1)));
    }

    /**
     * RoBERTa's positions, [batch, sequence], from the ids themselves as transformers computes them: tokens that are
     * not the pad id count up from {@code padding_idx + 1}, pad tokens stay at {@code padding_idx}. So padding a batch
     * moves no token's position, wherever the padding is.
     */
    private String positionsAfterPadding(String inputIds) {
        String padId = g.int64Scalar("const/position_padding_idx", config.positionPaddingIdx());
        String isPad = g.node("Equal", "embeddings/is_padding", List.of(inputIds, padId));
        String notPad = g.node("Not", "embeddings/is_token", List.of(isPad));
        String tokens = g.node("Cast", "embeddings/token_flags", List.of(notPad), intAttribute("to", DataType.INT64_VALUE));
        String counted = g.node("CumSum", "embeddings/tokens_so_far",
                List.of(tokens, g.int64Scalar("const/sequence_axis", 1)));
        String atTokens = g.node("Mul", "embeddings/token_positions", List.of(counted, tokens));
        return g.node("Add", "embeddings/position_ids", List.of(atTokens, padId));
    }

    /** transformers' extended attention mask: 0 where attended, -10000 where padded, as [batch, 1, 1, sequence]. */
    private String attentionMaskBias(String attentionMask) {
        String mask = g.node("Cast", "mask/float", List.of(attentionMask), intAttribute("to", DataType.FLOAT_VALUE));
        String mask4d = g.node("Unsqueeze", "mask/4d", List.of(mask, g.int64s("const/mask_axes", 1, 2)));
        String inverted = g.node("Sub", "mask/inverted", List.of(g.floatScalar("const/one_float", 1f), mask4d));
        return g.node("Mul", "mask/bias", List.of(inverted, g.floatScalar("const/mask_bias", -10000f)));
    }

    /** A layer's self-attention block, residual and layer norm included: the only part that mixes positions. */
    private String attention(int index, String input, String maskBias) {
        String p = "bert/encoder/layer_" + index + "/";
        String n = "layer_" + index + "/";
        int h = config.hidden();

        String q = heads(n + "query", dense(n + "query", input, p + "attention/self/query/", h, h), false);
        String k = heads(n + "key", dense(n + "key", input, p + "attention/self/key/", h, h), true);
        String v = heads(n + "value", dense(n + "value", input, p + "attention/self/value/", h, h), false);

        String scores = g.node("MatMul", n + "scores", List.of(q, k));
        String scaled = g.node("Div", n + "scores_scaled",
                List.of(scores, g.floatScalar(n + "const/sqrt_head_size", (float) Math.sqrt(config.headSize()))));
        String masked = g.node("Add", n + "scores_masked", List.of(scaled, maskBias));
        String probs = g.node("Softmax", n + "attention_probs", List.of(masked), intAttribute("axis", -1));
        String context = g.node("MatMul", n + "context_heads", List.of(probs, v));
        String merged = g.node("Transpose", n + "context_transposed", List.of(context), intsAttribute("perm", 0, 2, 1, 3));
        String contextFlat = g.node("Reshape", n + "context",
                List.of(merged, g.int64s(n + "const/merged_shape", 0, 0, h)));

        String attentionOut = dense(n + "attention_output", contextFlat, p + "attention/output/dense/", h, h);
        String residual1 = g.node("Add", n + "attention_residual", List.of(attentionOut, input));
        return layerNorm(n + "attention_norm", residual1, p + "attention/output/LayerNorm/");
    }

    /** A layer's feed-forward block, residual and layer norm included: position by position, any leading shape. */
    private String feedForward(int index, String attention) {
        String p = "bert/encoder/layer_" + index + "/";
        String n = "layer_" + index + "/";
        int h = config.hidden();
        String intermediate = gelu(n + "intermediate",
                dense(n + "intermediate", attention, p + "intermediate/dense/", h, config.intermediate()));
        String output = dense(n + "output", intermediate, p + "output/dense/", config.intermediate(), h);
        String residual2 = g.node("Add", n + "output_residual", List.of(output, attention));
        return layerNorm(n + "output_norm", residual2, p + "output/LayerNorm/");
    }

    /** [batch, seq, hidden] → [batch, heads, seq, head] (or [batch, heads, head, seq] for keys, ready for QKᵀ). */
    private String heads(String name, String x, boolean transposeForKeys) {
        String split = g.node("Reshape", name + "_split",
                List.of(x, g.int64s(name + "/const/split_shape", 0, 0, config.heads(), config.headSize())));
        long[] perm = transposeForKeys ? new long[] {0, 2, 3, 1} : new long[] {0, 2, 1, 3};
        return g.node("Transpose", name + "_heads", List.of(split), intsAttribute("perm", perm));
    }

    private void maskedLmHead(String hidden, String output) {
        String p = "cls/predictions/";
        int h = config.hidden();
        String transformed = gelu("head/transform",
                dense("head/transform", hidden, p + "transform/dense/", h, h));
        String normed = layerNorm("head/transform_norm", transformed, p + "transform/LayerNorm/");
        // The decoder is tied to the word embeddings; transposing in the graph keeps one copy of them in the file.
        String decoder = g.node("Transpose", "head/decoder_weight",
                List.of("bert/embeddings/word_embeddings"), intsAttribute("perm", 1, 0));
        String scores = g.node("MatMul", "head/decoder", List.of(normed, decoder));
        g.node("Add", output, List.of(scores, weight(p + "output_bias", config.vocab())));
    }

    private String dense(String name, String x, String prefix, int in, int out) {
        String product = g.node("MatMul", name + "_matmul", List.of(x, weight(prefix + "kernel", in, out)));
        return g.node("Add", name + "_dense", List.of(product, weight(prefix + "bias", out)));
    }

    /** The exact GELU BERT was trained with, 0.5·x·(1 + erf(x/√2)), not the tanh approximation. */
    private String gelu(String name, String x) {
        String scaled = g.node("Div", name + "_gelu_scaled", List.of(x, g.floatScalar(name + "/const/sqrt2", (float) Math.sqrt(2.0))));
        String erf = g.node("Erf", name + "_gelu_erf", List.of(scaled));
        String onePlus = g.node("Add", name + "_gelu_one_plus", List.of(erf, g.floatScalar(name + "/const/one", 1f)));
        String times = g.node("Mul", name + "_gelu_times_x", List.of(x, onePlus));
        return g.node("Mul", name + "_gelu", List.of(times, g.floatScalar(name + "/const/half", 0.5f)));
    }

    private String layerNorm(String name, String x, String prefix) {
        int h = config.hidden();
        return g.node("LayerNormalization", name, List.of(x, weight(prefix + "gamma", h), weight(prefix + "beta", h)),
                intAttribute("axis", -1), floatAttribute("epsilon", config.layerNormEps()));
    }

    private String weight(String name, long... shape) {
        FloatTensor tensor = weights.tensor(name, shape);
        if (!Arrays.equals(tensor.shape(), shape)) {
            throw new IllegalArgumentException("weight " + name + " has shape " + Arrays.toString(tensor.shape())
                    + ", the graph needs " + Arrays.toString(shape));
        }
        return g.initializer(name, tensor);
    }
}
