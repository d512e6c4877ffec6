package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.engine.onnx.GraphEditor;
import dev.fillmask.engine.onnx.GraphIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One quantization of a model: the chosen MatMuls grouped by the activation they read; per activation, the outlier
 * channels split off and the rows normalized once (the nodes placed before its first reader, shared by all); then
 * each reader replaced by its int8 form with whatever brings its output back; then the graph rebuilt.
 */
final class QuantizationPass {
    private final ModelProto model;
    private final Int8Options options;
    private final Map<String, float[]> ranges;
    private final Map<String, Float> lowest;
    private final Predicate<NodeProto> eligible;
    private final GraphIndex index;
    private final GraphEditor editor;
    private final Int8MatMul matMuls;
    private int quantized;
    private int outlierChannels;

    /** {@code lowest}: per activation, its calibrated low end for static scales (-1 for any not in it). */
    QuantizationPass(ModelProto model, Int8Options options, Map<String, float[]> ranges, Map<String, Float> lowest,
                     Predicate<NodeProto> eligible) {
        this.model = model;
        this.options = options;
        this.ranges = ranges;
        this.lowest = lowest;
        this.eligible = eligible;
        this.index = new GraphIndex(model.getGraph());
        this.editor = new GraphEditor(index);
        this.matMuls = new Int8MatMul(editor, options);
    }

    Int8Quantizer.Result run() {
        MatMulChoice choice = MatMulChoice.of(model, index, options, eligible);
        Map<String, List<Integer>> byActivation = new LinkedHashMap<>();
        for (int i : choice.chosen()) {
            byActivation.computeIfAbsent(index.node(i).getInput(0), a -> new ArrayList<>()).add(i);
        }
        byActivation.forEach(this::quantizeReaders);
        return new Int8Quantizer.Result(rebuild(), quantized, matMuls.biasesFolded(), choice.keptInFloat(),
                outlierChannels);
    }

    private void quantizeReaders(String activation, List<Integer> readers) {
        float[] activationMax = ranges.get(activation);
        int[] outliers = OutlierChannels.find(activationMax, options.outlierChannels());
        List<NodeProto> preparation = new ArrayList<>();
        OutlierChannels.Split split = outliers.length == 0 ? null
                : OutlierChannels.split(editor, activation, activationMax.length, outliers, preparation);
        String int8Input = split == null ? activation : split.int8Input();
        float[] rowFactors = split == null ? null : split.keep();
        RowScaling.Normalized rows = !options.perRowActivations() ? null
                : RowScaling.normalize(editor, int8Input, GraphIndex.standardOpset(model), preparation);
        if (rows != null) {
            int8Input = rows.normalized();
        }
        // Static scales quantize the normalized activation once here, for all its readers.
        StaticActivations.Quantized quantizedInput = options.staticActivations() && rows != null
                ? StaticActivations.quantize(editor, int8Input, lowest.getOrDefault(activation, -1f), preparation)
                : null;
        if (!preparation.isEmpty()) {
            editor.insertBefore(readers.get(0), preparation);
        }
        outlierChannels += outliers.length;
        for (int i : readers) {
            NodeProto node = index.node(i);
            TensorProto weight = FloatWeights.matrix(index, node);
            // With per-row scales the bias must be added after the product is scaled back, so it is not folded in.
            NodeProto int8 = quantizedInput != null ? matMuls.quantizeStatic(node, weight, quantizedInput, rowFactors)
                    : matMuls.quantize(node, weight, int8Input, rowFactors, rows == null);
            List<NodeProto> nodes = new ArrayList<>();
            if (rows != null) {
                List<NodeProto> scaled = rows.scaleBack(editor, int8);
                nodes.add(scaled.get(0));
                int8 = scaled.get(1);
            }
            if (split == null) {
                nodes.add(int8);
            } else {
                nodes.addAll(split.addBack(editor, int8, weight));
            }
            editor.replace(i, nodes);
            quantized++;
        }
    }

    private ModelProto rebuild() {
        ModelProto.Builder m = model.toBuilder().setGraph(editor.apply());
        if (m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(Int8MatMul.MICROSOFT))) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(Int8MatMul.MICROSOFT).setVersion(1));
        }
        // Worded as while SmoothQuant was an option ("no smoothing", "0 activations smoothed"), so that the same
        // model and options still give a byte-identical model.onnx.
        String description = !options.fused() && !options.staticActivations()
                ? String.format(Locale.ROOT, "dynamic int8: %d MatMuls as com.microsoft.DynamicQuantizeMatMul, %s, "
                        + "no smoothing, %s, 0 activations smoothed; LM head in float32", quantized,
                        options.weightsDescription(), options.float32Description())
                : String.format(Locale.ROOT, "int8: %d MatMuls as com.microsoft.%s, %s, %s, %s; LM head in float32",
                        quantized, options.staticActivations() ? "MatMulIntegerToFloat" : "DynamicQuantizeMatMul",
                        options.weightsDescription(), options.float32Description(), options.formDescription());
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(Int8Quantizer.METADATA_KEY)
                .setValue(description));
        return m.build();
    }
}
