package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.MaskedLmHead;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Dynamic int8 quantization of a fill-mask model: every MatMul of the encoder whose weights are a constant float
 * matrix becomes ONNX Runtime's {@code com.microsoft.DynamicQuantizeMatMul}, which quantizes its activations on the
 * fly (uint8, one scale per tensor per run) and multiplies by int8 weights quantized here ({@link QuantizedMatrix}),
 * with a following bias Add folded in. The result runs on any CPU build of ONNX Runtime.
 *
 * <p>One activation scale per tensor is what makes this fast, and what makes plain dynamic int8 inaccurate on BERT:
 * a few channels at a few tokens are hundreds of times larger than the rest ({@link ActivationRanges}), and on the
 * bench corpus only 72 % of the masks kept their best token. So by default the quantizer first runs the float model
 * on calibration texts, finds those outlier channels, and keeps them out of int8: one Mul zeroes them in the int8
 * MatMuls' input (shared by all MatMuls reading that activation), and a small float32 MatMul over the gathered
 * outlier channels adds their part back (96.5 % agreement). The rest of the error came from the one scale per
 * tensor serving every token of the batch: by default each row (token) is also divided by its own largest value
 * before the int8 MatMul and multiplied back after it, and the last transformer layer stays float32 (115/115 masks
 * agree, about 10 % slower than the per-tensor form; see {@link Int8Options}). SmoothQuant (a per-channel rescaling
 * moved into the weights) is available as an option too.
 *
 * <p>The LM head is left in float32 (in the head-at-masks form, everything after {@code mask_positions}): it runs on
 * a few rows only, so int8 would save next to nothing there, and it is where the ranking of candidates is decided.
 * Embedding tables stay float32 too (they are gathered, not multiplied).
 */
public final class Int8Quantizer {
    /** Recorded in the quantized model's metadata. */
    public static final String METADATA_KEY = "fill-mask.quantization";
    private static final String MICROSOFT = "com.microsoft";

    /**
     * What quantizing did.
     *
     * @param model the quantized model
     * @param quantized how many MatMuls now run in int8
     * @param biasesFolded how many of them took their bias Add in
     * @param keptInFloat MatMuls with constant weights left in float32 because they are part of the LM head
     * @param smoothed activations smoothed (each read by one or more quantized MatMuls)
     * @param outlierChannels activation channels, over all activations, kept out of int8 as outliers
     */
    public record Result(ModelProto model, int quantized, int biasesFolded, int keptInFloat, int smoothed,
                         int outlierChannels) {}

    /** What quantizing a folder did, with the sizes of the model file before and after. */
    public record FolderResult(Path out, int quantized, int biasesFolded, int keptInFloat, int smoothed,
                               int outlierChannels, long bytesBefore, long bytesAfter, Int8Options options) {
        public String describe() {
            return String.format(Locale.ROOT, "%d MatMuls to int8 (%d with their bias folded in; %s; %d activations "
                            + "smoothed, %d outlier channels in float32), %d left in float32 (the LM head and those the options keep); "
                            + "model.onnx %.1f MB -> %.1f MB, in %s", quantized, biasesFolded, options.describe(),
                    smoothed, outlierChannels, keptInFloat, bytesBefore / 1e6, bytesAfter / 1e6, out);
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
        ModelFolder folder = ModelFolder.open(in);
        Files.createDirectories(out);
        if (Files.isSameFile(folder.path(), out)) {
            throw new IllegalArgumentException("--out must be another folder than the model's own (" + in + ")");
        }
        log.println("reading " + folder.modelFile());
        ModelProto model = OnnxModelFile.read(folder.modelFile());
        if (OnnxModelFile.usesExternalData(model)) {
            throw new IllegalArgumentException(folder.modelFile() + " keeps its weights in external data files,"
                    + " which the quantizer does not read; export the model as one file (under 2 GB)");
        }
        Map<String, float[]> ranges = Map.of();
        if (options.needsCalibration()) {
            List<String> texts = ActivationRanges.defaultTexts(folder.maskToken());
            log.println("measuring activation ranges on " + texts.size() + " calibration texts");
            ranges = ActivationRanges.measure(model, folder, texts, activationsToQuantize(model, options), out);
        }
        log.println("quantizing (" + options.describe() + ")");
        Result result = quantize(model, options, ranges, node -> true);
        Path target = out.resolve(ModelFolder.MODEL_FILE);
        log.println("writing " + target);
        OnnxModelFile.write(result.model(), target);
        copyCompanionFiles(folder.path(), out);
        return new FolderResult(out, result.quantized(), result.biasesFolded(), result.keptInFloat(), result.smoothed(),
                result.outlierChannels(), Files.size(folder.modelFile()), Files.size(target), options);
    }

    /** Tokenizer and config files go along unchanged; the import manifest and marker do not: they describe the source. */
    private static void copyCompanionFiles(Path in, Path out) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".onnx") || name.endsWith(".onnx_data") || ModelFolder.IMPORT_FILES.contains(name)) {
                    continue;
                }
                Files.copy(file, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * The quantized model without calibration (no activation ranges: no outlier channels, no smoothing); {@code model}
     * itself is not changed. {@link #quantizeFolder} calibrates.
     */
    public static Result quantize(ModelProto model, Int8Options options) {
        return quantize(model, options, Map.of(), node -> true);
    }

    /**
     * The quantized model, using the per-channel maxima in {@code ranges} (by activation name) for outlier channels
     * and smoothing as the options ask, and quantizing only the MatMuls {@code eligible} accepts.
     */
    static Result quantize(ModelProto model, Int8Options options, Map<String, float[]> ranges,
                           Predicate<NodeProto> eligible) {
        return new Pass(model, options, ranges, eligible).run();
    }

    /** The activations the quantized MatMuls read: what calibration measures. */
    static Set<String> activationsToQuantize(ModelProto model, Int8Options options) {
        Pass pass = new Pass(model, options, Map.of(), node -> true);
        Set<String> values = new java.util.LinkedHashSet<>();
        for (int i : pass.chosenMatMuls()) {
            values.add(model.getGraph().getNode(i).getInput(0));
        }
        return values;
    }

    /** One quantization: decide each MatMul, smooth each activation read by quantized MatMuls, rebuild the graph. */
    private static final class Pass {
        private final ModelProto model;
        private final Int8Options options;
        private final Map<String, float[]> ranges;
        private final Predicate<NodeProto> eligible;
        private final GraphProto graph;
        private final GraphIndex index;
        /** Each quantized MatMul's index → the nodes that take its place. */
        private final Map<Integer, List<NodeProto>> replacements = new HashMap<>();
        /** Nodes preparing a shared activation (smoothing Mul, outlier Gather), placed before its first reader. */
        private final Map<Integer, List<NodeProto>> insertBefore = new HashMap<>();
        private final Set<Integer> foldedAdds = new HashSet<>();
        /** (weight, smoothing) → names of its int8 values and scales: a weight read by several MatMuls is quantized once. */
        private final Map<String, String[]> quantizedWeights = new LinkedHashMap<>();
        private final Set<String> replacedWeights = new HashSet<>();
        private final List<TensorProto> newInitializers = new ArrayList<>();
        private int keptInFloat;
        private int smoothed;
        private int outlierChannels;

        Pass(ModelProto model, Int8Options options, Map<String, float[]> ranges, Predicate<NodeProto> eligible) {
            this.model = model;
            this.options = options;
            this.ranges = ranges;
            this.eligible = eligible;
            this.graph = model.getGraph();
            this.index = new GraphIndex(graph);
        }

        /** MatMuls to quantize, in graph order; counts those left in float because they belong to the LM head. */
        List<Integer> chosenMatMuls() {
            Set<Integer> head = MaskedLmHead.headNodes(index, GraphIndex.standardOpset(model));
            List<Integer> chosen = new ArrayList<>();
            keptInFloat = 0;
            int layers = (int) java.util.stream.IntStream.range(0, graph.getNodeCount())
                    .filter(i -> isFeedForwardOutput(graph.getNode(i))).count();
            int layer = 0;
            for (int i = 0; i < graph.getNodeCount(); i++) {
                NodeProto node = graph.getNode(i);
                boolean ffnOutput = isFeedForwardOutput(node);
                int fromTheEnd = layers - layer; // 1 for the last layer, 0 after it (the head)
                if (ffnOutput) {
                    layer++;
                }
                if (floatMatrixWeight(node) == null || !eligible.test(node)) {
                    continue;
                }
                boolean keptByOptions = fromTheEnd <= options.floatLayers()
                        || ffnOutput && fromTheEnd <= options.floatFfnOutputLayers();
                if (head.contains(i) || keptByOptions) {
                    keptInFloat++;
                } else {
                    chosen.add(i);
                }
            }
            return chosen;
        }

        Result run() {
            Map<String, List<Integer>> byActivation = new LinkedHashMap<>();
            for (int i : chosenMatMuls()) {
                byActivation.computeIfAbsent(graph.getNode(i).getInput(0), a -> new ArrayList<>()).add(i);
            }
            for (Map.Entry<String, List<Integer>> group : byActivation.entrySet()) {
                quantizeGroup(group.getKey(), group.getValue());
            }
            return new Result(rebuild(), replacements.size(), foldedAdds.size(), keptInFloat, smoothed, outlierChannels);
        }

        /**
         * Quantizes the MatMuls that read one activation. With calibration ranges, the activation's outlier channels
         * (if any) leave the int8 path: the int8 MatMul sees them as zeros (weight rows zeroed) and a small float32
         * MatMul over just those channels adds their part back. The remaining channels are smoothed. Both share one
         * Mul (by 0 or 1/s per channel) and one Gather per activation, whatever the number of readers.
         */
        private void quantizeGroup(String activation, List<Integer> readers) {
            float[] factors = smoothingFactors(activation, readers);
            int[] outliers = outlierChannels(ranges.get(activation));
            String int8Input = activation;
            float[] rowFactors = factors;
            String gathered = null;
            List<NodeProto> preparation = new ArrayList<>();
            if (factors != null || outliers.length > 0) {
                int k = ranges.get(activation).length;
                rowFactors = new float[k];
                float[] multiplier = new float[k];
                for (int j = 0; j < k; j++) {
                    rowFactors[j] = factors == null ? 1f : factors[j];
                    multiplier[j] = 1f / rowFactors[j];
                }
                for (int j : outliers) {
                    rowFactors[j] = 0f;
                    multiplier[j] = 0f;
                }
                String multiplierName = floatInitializer(activation + "/int8_multiplier", multiplier);
                int8Input = index.freshName(activation + "/int8_input");
                preparation.add(NodeProto.newBuilder().setOpType("Mul").setName(int8Input)
                        .addInput(activation).addInput(multiplierName).addOutput(int8Input).build());
                smoothed += factors != null ? 1 : 0;
            }
            if (outliers.length > 0) {
                long[] indices = java.util.Arrays.stream(outliers).asLongStream().toArray();
                String indexName = index.freshName(activation + "/outlier_channels");
                ByteBuffer bytes = ByteBuffer.allocate(indices.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (long i : indices) {
                    bytes.putLong(i);
                }
                newInitializers.add(TensorProto.newBuilder().setName(indexName).setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(indices.length).setRawData(ByteString.copyFrom(bytes.flip())).build());
                gathered = index.freshName(activation + "/outliers");
                preparation.add(NodeProto.newBuilder().setOpType("Gather").setName(gathered)
                        .addInput(activation).addInput(indexName).addOutput(gathered)
                        .addAttribute(OnnxGraphBuilder.intAttribute("axis", -1)).build());
                outlierChannels += outliers.length;
            }
            String rowScale = null;
            if (options.perRowActivations() && options.blockSize() == 0) {
                // Each row (token) divided by its largest |value|: the one dynamic scale per tensor then fits every
                // row, and the product is multiplied back by the row's maximum after the int8 MatMul.
                String abs = index.freshName(int8Input + "/abs");
                rowScale = index.freshName(int8Input + "/row_max");
                String rowMax = index.freshName(int8Input + "/row_max_raw");
                String normalized = index.freshName(int8Input + "/row_normalized");
                preparation.add(NodeProto.newBuilder().setOpType("Abs").setName(abs)
                        .addInput(int8Input).addOutput(abs).build());
                NodeProto.Builder reduce = NodeProto.newBuilder().setOpType("ReduceMax").setName(rowMax)
                        .addInput(abs).addOutput(rowMax).addAttribute(OnnxGraphBuilder.intAttribute("keepdims", 1));
                if (GraphIndex.standardOpset(model) >= 18) {
                    reduce.addInput(longInitializer(int8Input + "/last_axis", -1));
                } else {
                    reduce.addAttribute(OnnxGraphBuilder.intsAttribute("axes", -1));
                }
                preparation.add(reduce.build());
                // An all-zero row (padding) must not divide by zero.
                preparation.add(NodeProto.newBuilder().setOpType("Max").setName(rowScale).addInput(rowMax)
                        .addInput(floatInitializer(int8Input + "/row_max_floor", new float[] {1e-12f}, new long[0]))
                        .addOutput(rowScale).build());
                preparation.add(NodeProto.newBuilder().setOpType("Div").setName(normalized)
                        .addInput(int8Input).addInput(rowScale).addOutput(normalized).build());
                int8Input = normalized;
            }
            if (!preparation.isEmpty()) {
                insertBefore.put(readers.get(0), preparation);
            }
            for (int i : readers) {
                NodeProto node = graph.getNode(i);
                TensorProto weight = floatMatrixWeight(node);
                NodeProto int8 = options.blockSize() > 0
                        ? blockQuantizedMatMul(node, weight, int8Input, rowFactors)
                        : quantizedMatMul(node, weight, int8Input, rowFactors, rowScale == null);
                List<NodeProto> nodes = new ArrayList<>();
                if (rowScale != null) {
                    String output = int8.getOutput(0);
                    String normalizedProduct = index.freshName(output + "/row_normalized");
                    nodes.add(int8.toBuilder().setOutput(0, normalizedProduct).build());
                    int8 = NodeProto.newBuilder().setOpType("Mul").setName(output + "/row_scaled")
                            .addInput(normalizedProduct).addInput(rowScale).addOutput(output).build();
                }
                if (gathered == null) {
                    nodes.add(int8);
                    replacements.put(i, nodes);
                    continue;
                }
                // Y = int8 part + outlier channels' part in float32 (bias already in the int8 part).
                String output = int8.getOutput(0);
                String int8Part = index.freshName(output + "/int8_part");
                String floatPart = index.freshName(output + "/outlier_part");
                String outlierRows = floatInitializer(weight.getName() + "/outlier_rows", rows(weight, outliers),
                        outliers.length, weight.getDims(1));
                nodes.addAll(List.of(
                        int8.toBuilder().setOutput(0, int8Part).build(),
                        NodeProto.newBuilder().setOpType("MatMul").setName(floatPart)
                                .addInput(gathered).addInput(outlierRows).addOutput(floatPart).build(),
                        NodeProto.newBuilder().setOpType("Add").setName(output)
                                .addInput(int8Part).addInput(floatPart).addOutput(output).build()));
                replacements.put(i, nodes);
            }
        }

        /**
         * The channels whose calibrated maximum is over {@link Int8Options#CHANNEL_OUTLIER_RATIO} times the median
         * channel's, largest first, at most {@link Int8Options#outlierChannels()}, in activations whose largest channel
         * is over {@link Int8Options#ACTIVATION_OUTLIER_RATIO} times the median: BERT has a handful per layer-norm and
         * GELU output (e.g. 308 and 381 after its layer norms) at 40–700 times the median.
         */
        private int[] outlierChannels(float[] activationMax) {
            if (activationMax == null || options.outlierChannels() <= 0) {
                return new int[0];
            }
            float[] sorted = activationMax.clone();
            java.util.Arrays.sort(sorted);
            float median = sorted[sorted.length / 2];
            if (sorted[sorted.length - 1] <= Int8Options.ACTIVATION_OUTLIER_RATIO * median) {
                return new int[0];
            }
            double limit = Int8Options.CHANNEL_OUTLIER_RATIO * median;
            return java.util.stream.IntStream.range(0, activationMax.length)
                    .filter(j -> activationMax[j] > limit)
                    .boxed()
                    .sorted((a, b) -> Float.compare(activationMax[b], activationMax[a]))
                    .limit(options.outlierChannels())
                    .mapToInt(Integer::intValue)
                    .sorted()
                    .toArray();
        }

        /** The weight's rows {@code rows}, as a float [rows, N] array. */
        private float[] rows(TensorProto weight, int[] rows) {
            int columns = Math.toIntExact(weight.getDims(1));
            FloatBuffer w = floats(weight);
            float[] out = new float[rows.length * columns];
            for (int r = 0; r < rows.length; r++) {
                w.get(rows[r] * columns, out, r * columns, columns);
            }
            return out;
        }

        private String longInitializer(String base, long... values) {
            String name = index.freshName(base);
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                bytes.putLong(v);
            }
            newInitializers.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                    .addDims(values.length).setRawData(ByteString.copyFrom(bytes.flip())).build());
            return name;
        }

        private String floatInitializer(String base, float[] values, long... dims) {
            String name = index.freshName(base);
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                bytes.putFloat(v);
            }
            TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .setRawData(ByteString.copyFrom(bytes.flip()));
            if (dims.length == 0) {
                t.addDims(values.length);
            }
            for (long d : dims) {
                t.addDims(d);
            }
            newInitializers.add(t.build());
            return name;
        }

        /**
         * SmoothQuant's s_j = max|X_j|^α / max|W_j|^(1-α) over the MatMuls reading X (they share one smoothed X), or
         * null when there is nothing to smooth with. A channel never seen non-zero keeps factor 1.
         */
        private float[] smoothingFactors(String activation, List<Integer> readers) {
            float[] activationMax = ranges.get(activation);
            if (options.smoothing() <= 0 || activationMax == null) {
                return null;
            }
            int rows = activationMax.length;
            float[] weightMax = new float[rows];
            for (int i : readers) {
                TensorProto w = floatMatrixWeight(graph.getNode(i));
                if (w.getDims(0) != rows) {
                    return null;
                }
                int columns = Math.toIntExact(w.getDims(1));
                FloatBuffer values = floats(w);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < columns; c++) {
                        weightMax[r] = Math.max(weightMax[r], Math.abs(values.get(r * columns + c)));
                    }
                }
            }
            double alpha = options.smoothing();
            float[] factors = new float[rows];
            for (int r = 0; r < rows; r++) {
                double f = activationMax[r] > 0 && weightMax[r] > 0
                        ? Math.pow(activationMax[r], alpha) / Math.pow(weightMax[r], 1 - alpha) : 1.0;
                factors[r] = (float) Math.max(1e-4, Math.min(1e4, f));
            }
            return factors;
        }

        /**
         * A transformer layer's feed-forward output dense (intermediate → hidden, after the activation function): the
         * one MatMul with constant weights that narrows its input (K > N). Each layer has exactly one, and it closes
         * the layer, which is how MatMuls are counted into layers.
         */
        private boolean isFeedForwardOutput(NodeProto node) {
            TensorProto weight = floatMatrixWeight(node);
            return weight != null && weight.getDims(0) > weight.getDims(1);
        }

        /** The constant float [K, N] weight of a MatMul that multiplies a computed value by it, else null. */
        private TensorProto floatMatrixWeight(NodeProto node) {
            if (!node.getOpType().equals("MatMul") || !GraphIndex.isStandard(node) || node.getInputCount() != 2) {
                return null;
            }
            TensorProto weight = index.initializer(node.getInput(1));
            if (weight == null || index.isConstant(node.getInput(0)) || weight.getDimsCount() != 2
                    || weight.getDataType() != TensorProto.DataType.FLOAT_VALUE
                    || weight.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return null;
            }
            return weight;
        }

        private NodeProto quantizedMatMul(NodeProto matMul, TensorProto weight, String input, float[] factors,
                                          boolean foldBias) {
            if (options.blockSize() > 0) {
                return blockQuantizedMatMul(matMul, weight, input, factors);
            }
            int columns = Math.toIntExact(weight.getDims(1));
            String key = factors == null ? weight.getName() : weight.getName() + "\u0000" + input;
            String[] names = quantizedWeights.computeIfAbsent(key, k -> addQuantized(weight, factors));
            replacedWeights.add(weight.getName());
            List<String> inputs = new ArrayList<>(List.of(input, names[0], names[1]));
            String output = matMul.getOutput(0);
            int add = foldBias ? foldableBiasAdd(output, columns) : -1;
            if (add >= 0) {
                NodeProto addNode = graph.getNode(add);
                String bias = addNode.getInput(0).equals(output) ? addNode.getInput(1) : addNode.getInput(0);
                inputs.add(""); // no zero point: the weights are symmetric
                inputs.add(bias);
                output = addNode.getOutput(0);
                foldedAdds.add(add);
            }
            return NodeProto.newBuilder()
                    .setOpType("DynamicQuantizeMatMul")
                    .setDomain(MICROSOFT)
                    .setName(matMul.getName().isEmpty() ? output + "/int8" : matMul.getName() + "/int8")
                    .addAllInput(inputs)
                    .addOutput(output)
                    .build();
        }

        /**
         * {@code com.microsoft.MatMulNBits} with 8-bit weights in blocks along K and accuracy level 4: ONNX Runtime
         * quantizes the activations per row and per block too, so one outlier token no longer costs the others.
         */
        private NodeProto blockQuantizedMatMul(NodeProto matMul, TensorProto weight, String input, float[] factors) {
            int k = Math.toIntExact(weight.getDims(0));
            int n = Math.toIntExact(weight.getDims(1));
            int block = options.blockSize();
            int blocks = (k + block - 1) / block;
            FloatBuffer w = floats(weight);
            byte[] packed = new byte[n * blocks * block];
            ByteBuffer scales = ByteBuffer.allocate(n * blocks * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int level = options.maxLevel();
            for (int col = 0; col < n; col++) {
                for (int b = 0; b < blocks; b++) {
                    float max = 0;
                    for (int row = b * block; row < Math.min(k, (b + 1) * block); row++) {
                        max = Math.max(max, Math.abs(w.get(row * n + col) * (factors == null ? 1f : factors[row])));
                    }
                    float scale = max > 0 ? max / level : 1f;
                    scales.putFloat(scale);
                    for (int i = 0; i < block; i++) {
                        int row = b * block + i;
                        double q = row < k ? Math.rint(w.get(row * n + col) * (factors == null ? 1f : factors[row]) / scale) : 0;
                        // Stored unsigned around the default zero point 128.
                        packed[(col * blocks + b) * block + i] = (byte) (Math.max(-level, Math.min(level, q)) + 128);
                    }
                }
            }
            String values = index.freshName(weight.getName() + "_q8_blocks");
            String scaleName = index.freshName(weight.getName() + "_block_scales");
            newInitializers.add(TensorProto.newBuilder().setName(values).setDataType(TensorProto.DataType.UINT8_VALUE)
                    .addDims(n).addDims(blocks).addDims(block).setRawData(UnsafeByteOperations.unsafeWrap(packed)).build());
            newInitializers.add(TensorProto.newBuilder().setName(scaleName).setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .addDims((long) n * blocks).setRawData(ByteString.copyFrom(scales.flip())).build());
            replacedWeights.add(weight.getName());
            List<String> inputs = new ArrayList<>(List.of(input, values, scaleName));
            String output = matMul.getOutput(0);
            int add = foldableBiasAdd(output, n);
            if (add >= 0) {
                NodeProto addNode = graph.getNode(add);
                inputs.add(""); // zero points: the default 128
                inputs.add(""); // g_idx
                inputs.add(addNode.getInput(0).equals(output) ? addNode.getInput(1) : addNode.getInput(0));
                output = addNode.getOutput(0);
                foldedAdds.add(add);
            }
            return NodeProto.newBuilder().setOpType("MatMulNBits").setDomain(MICROSOFT)
                    .setName((matMul.getName().isEmpty() ? output : matMul.getName()) + "/int8_blocks")
                    .addAllInput(inputs).addOutput(output)
                    .addAttribute(OnnxGraphBuilder.intAttribute("K", k))
                    .addAttribute(OnnxGraphBuilder.intAttribute("N", n))
                    .addAttribute(OnnxGraphBuilder.intAttribute("bits", 8))
                    .addAttribute(OnnxGraphBuilder.intAttribute("block_size", block))
                    .addAttribute(OnnxGraphBuilder.intAttribute("accuracy_level", 4))
                    .build();
        }

        /** The Add that adds a constant [N] bias to the product and nothing else reads it, or -1. */
        private int foldableBiasAdd(String product, int columns) {
            List<Integer> readers = index.consumers(product);
            if (readers.size() != 1 || index.isGraphOutput(product)) {
                return -1;
            }
            int add = readers.get(0);
            NodeProto node = graph.getNode(add);
            if (!node.getOpType().equals("Add") || !GraphIndex.isStandard(node) || node.getInputCount() != 2
                    || foldedAdds.contains(add)) {
                return -1;
            }
            String other = node.getInput(0).equals(product) ? node.getInput(1) : node.getInput(0);
            TensorProto bias = index.initializer(other);
            boolean vector = bias != null && bias.getDataType() == TensorProto.DataType.FLOAT_VALUE
                    && bias.getDimsCount() == 1 && bias.getDims(0) == columns;
            return vector ? add : -1;
        }

        private String[] addQuantized(TensorProto weight, float[] rowFactors) {
            int rows = Math.toIntExact(weight.getDims(0));
            int columns = Math.toIntExact(weight.getDims(1));
            QuantizedMatrix q = QuantizedMatrix.quantize(floats(weight), rowFactors, rows, columns, options);
            String values = index.freshName(weight.getName() + "_int8");
            String scales = index.freshName(weight.getName() + "_scale");
            newInitializers.add(TensorProto.newBuilder().setName(values).setDataType(TensorProto.DataType.INT8_VALUE)
                    .addDims(rows).addDims(columns).setRawData(UnsafeByteOperations.unsafeWrap(q.values())).build());
            ByteBuffer scaleBytes = ByteBuffer.allocate(q.scales().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float s : q.scales()) {
                scaleBytes.putFloat(s);
            }
            TensorProto.Builder scaleTensor = TensorProto.newBuilder().setName(scales)
                    .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(scaleBytes.flip()));
            if (options.perChannel()) {
                scaleTensor.addDims(columns); // a scalar scale has no dims: per-tensor
            }
            newInitializers.add(scaleTensor.build());
            return new String[] {values, scales};
        }

        private ModelProto rebuild() {
            GraphProto.Builder g = graph.toBuilder().clearNode();
            for (int i = 0; i < graph.getNodeCount(); i++) {
                if (foldedAdds.contains(i)) {
                    continue;
                }
                insertBefore.getOrDefault(i, List.of()).forEach(g::addNode);
                replacements.getOrDefault(i, List.of(graph.getNode(i))).forEach(g::addNode);
            }
            Set<String> stillRead = new HashSet<>();
            g.getNodeList().forEach(n -> stillRead.addAll(n.getInputList()));
            g.getOutputList().forEach(v -> stillRead.add(v.getName()));
            // The float weights now quantized are dropped unless something else still reads them (a tied embedding).
            List<TensorProto> kept = graph.getInitializerList().stream()
                    .filter(t -> !replacedWeights.contains(t.getName()) || stillRead.contains(t.getName()))
                    .toList();
            Set<String> dropped = new HashSet<>(replacedWeights);
            kept.forEach(t -> dropped.remove(t.getName()));
            g.clearInitializer().addAllInitializer(kept).addAllInitializer(newInitializers);
            // Old exports also list initializers as graph inputs: those of dropped weights must go too.
            List<ai.onnx.proto.OnnxMl.ValueInfoProto> inputs = graph.getInputList().stream()
                    .filter(v -> !dropped.contains(v.getName())).toList();
            g.clearInput().addAllInput(inputs);

            ModelProto.Builder m = model.toBuilder().setGraph(g);
            if (m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(MICROSOFT))) {
                m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(MICROSOFT).setVersion(1));
            }
            m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(METADATA_KEY).setValue(String.format(
                    Locale.ROOT, "dynamic int8: %d MatMuls as com.microsoft.DynamicQuantizeMatMul, %s, %d activations "
                            + "smoothed; LM head in float32", replacements.size(), options.describe(), smoothed)));
            return m.build();
        }
    }

    /** A float tensor's values, read in place from raw bytes (no copy) or from the repeated float field. */
    private static FloatBuffer floats(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        float[] values = new float[t.getFloatDataCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = t.getFloatData(i);
        }
        return FloatBuffer.wrap(values);
    }
}
