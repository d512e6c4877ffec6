package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Dynamic int8 quantization of a fill-mask model: every MatMul of the encoder whose weights are a constant float
 * matrix becomes ONNX Runtime's {@code com.microsoft.DynamicQuantizeMatMul} ({@link Int8MatMul}), which quantizes its
 * activations on the fly (uint8, one scale per tensor per run) and multiplies by int8 weights quantized here
 * ({@link QuantizedMatrix}). The result runs on any CPU build of ONNX Runtime.
 *
 * <p>One activation scale per tensor is what makes this fast, and what makes plain dynamic int8 inaccurate on BERT:
 * a few channels at a few tokens are hundreds of times larger than the rest ({@link ActivationRanges}), and on the
 * bench corpus only 72 % of the masks kept their best token. So by default the quantizer first runs the float model
 * on calibration texts, finds those outlier channels, and keeps them out of int8 ({@link OutlierChannels}; 96.5 %
 * agreement). The rest of the error came from the one scale per tensor serving every token of the batch: by default
 * each row (token) is also divided by its own largest value before the int8 MatMul and multiplied back after it
 * ({@link RowScaling}), and the last transformer layer stays float32 ({@link MatMulChoice}; 115/115 masks agree,
 * about 10 % slower than the per-tensor form; see {@link Int8Options}).
 *
 * <p>Tried and removed because they did not pay on BERT-base: SmoothQuant on top of the outlier channels (agreement
 * 0.974 → 0.913 at α 0.25), {@code MatMulNBits} with 8-bit blocks (more accurate, but on ONNX Runtime 1.29 no faster
 * than fp32 for batches of sentences), and the feed-forward output dense kept in float32 (0.957 with all twelve
 * layers' in float32 against 0.965 without, for +80 % time).
 *
 * <p>Two other forms are options ({@link Int8Options#fused()}, {@link Int8Options#staticActivations()}): the fused
 * float32 graph quantized ({@link FusedForQuantizing}: MultiHeadAttention, SkipLayerNormalization and BiasGelu around
 * the int8 MatMuls), and each activation quantized once with a constant scale ({@link StaticActivations}) for
 * {@code MatMulIntegerToFloat}s. On an AVX2 CPU without VNNI the fused form was 4-8 % faster and static scales added
 * nothing measurable (docs/performance.md, int8); 8-bit weights there need {@link Int8Options#unsignedWeights()}.
 *
 * <p>The LM head is left in float32 (in the head-at-masks form, everything after {@code mask_positions}), and so are
 * embedding tables (they are gathered, not multiplied).
 */
public final class Int8Quantizer {
    /** Recorded in the quantized model's metadata. */
    public static final String METADATA_KEY = "fill-mask.quantization";

    /**
     * What quantizing did.
     *
     * @param model the quantized model
     * @param quantized how many MatMuls now run in int8
     * @param biasesFolded how many of them took their bias Add in
     * @param keptInFloat MatMuls with constant weights left in float32 (the LM head and those the options keep)
     * @param outlierChannels activation channels, over all activations, kept out of int8 as outliers
     */
    public record Result(ModelProto model, int quantized, int biasesFolded, int keptInFloat, int outlierChannels) {}

    /** What quantizing a folder did, with the sizes of the model file before and after. */
    public record FolderResult(Path out, int quantized, int biasesFolded, int keptInFloat, int outlierChannels,
                               long bytesBefore, long bytesAfter, Int8Options options) {
        public String describe() {
            return String.format(Locale.ROOT, "%d MatMuls to int8 (%d with their bias folded in; %s; %d outlier "
                            + "channels in float32), %d left in float32 (the LM head and those the options keep); "
                            + "model.onnx %.1f MB -> %.1f MB, in %s", quantized, biasesFolded, options.describe(),
                    outlierChannels, keptInFloat, bytesBefore / 1e6, bytesAfter / 1e6, out);
        }
    }

    private Int8Quantizer() {}

    /**
     * Writes an int8 copy of the model folder {@code in} to {@code out}: the quantized {@code model.onnx} and every
     * other file of the folder (tokenizer and config files) as it is. {@code out} is created if needed.
     */
    public static FolderResult quantizeFolder(Path in, Path out, Int8Options options, PrintStream progress)
            throws IOException {
        PrintStream log = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        ModelFolder folder = FolderFiles.open(in, out);
        log.println("reading " + folder.modelFile());
        ModelProto model = FolderFiles.readModel(folder);
        if (options.fused()) {
            model = FusedForQuantizing.of(model, log);
        }
        Map<String, float[]> ranges = Map.of();
        Map<String, Float> lowest = Map.of();
        if (options.needsCalibration() || options.staticActivations()) {
            List<String> texts = ActivationRanges.defaultTexts(folder.maskToken());
            Set<String> activations = activationsToQuantize(model, options);
            log.println("measuring activation ranges on " + texts.size() + " calibration texts");
            ranges = ActivationRanges.measure(model, folder, texts, activations, out);
            if (options.staticActivations()) {
                Map<String, int[]> outliers = new HashMap<>();
                for (String a : activations) {
                    outliers.put(a, OutlierChannels.find(ranges.get(a), options.outlierChannels()));
                }
                log.println("measuring the low ends of the normalized activations for static scales");
                lowest = ActivationRanges.lowestNormalized(model, folder, texts, outliers, out);
            }
        }
        log.println("quantizing (" + options.describe() + ")");
        Result result = new QuantizationPass(model, options, ranges, lowest, node -> true).run();
        Path target = out.resolve(ModelFolder.MODEL_FILE);
        log.println("writing " + target);
        OnnxModelFile.write(result.model(), target);
        FolderFiles.copyCompanionFiles(folder.path(), out);
        return new FolderResult(out, result.quantized(), result.biasesFolded(), result.keptInFloat(),
                result.outlierChannels(), Files.size(folder.modelFile()), Files.size(target), options);
    }

    /**
     * The quantized model without calibration (no activation ranges: no outlier channels); {@code model} itself is
     * not changed. {@link #quantizeFolder} calibrates.
     */
    public static Result quantize(ModelProto model, Int8Options options) {
        return quantize(model, options, Map.of(), node -> true);
    }

    /**
     * The quantized model, using the per-channel maxima in {@code ranges} (by activation name) for outlier channels,
     * and quantizing only the MatMuls {@code eligible} accepts.
     */
    static Result quantize(ModelProto model, Int8Options options, Map<String, float[]> ranges,
                           Predicate<NodeProto> eligible) {
        return new QuantizationPass(model, options, ranges, Map.of(), eligible).run();
    }

    /** The activations the quantized MatMuls read: what calibration measures. */
    static Set<String> activationsToQuantize(ModelProto model, Int8Options options) {
        GraphIndex index = new GraphIndex(model.getGraph());
        Set<String> values = new LinkedHashSet<>();
        for (int i : MatMulChoice.of(model, index, options, node -> true).chosen()) {
            values.add(index.node(i).getInput(0));
        }
        return values;
    }
}
