package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.onnx.GraphEditor;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One float32 MatMul as ONNX Runtime's {@code com.microsoft.DynamicQuantizeMatMul}: the activations quantized on the
 * fly (uint8, one scale per tensor per run), the weights quantized here ({@link QuantizedMatrix}), and a following
 * bias Add folded in when asked. A weight read by several MatMuls with the same input is quantized once; the float
 * weight is dropped unless something else still reads it (a tied embedding).
 */
final class Int8MatMul {
    static final String MICROSOFT = "com.microsoft";
    /** The zero point of uint8 weights ({@link Int8Options#unsignedWeights()}). */
    private static final int UNSIGNED_ZERO = 128;

    private final GraphEditor editor;
    private final GraphIndex index;
    private final Int8Options options;
    /** (weight, input when its rows are scaled) → names of its int8 values and scales. */
    private final Map<String, String[]> quantizedWeights = new HashMap<>();
    private final Set<Integer> foldedAdds = new HashSet<>();

    Int8MatMul(GraphEditor editor, Int8Options options) {
        this.editor = editor;
        this.index = editor.index();
        this.options = options;
    }

    /** How many bias Adds were folded into int8 MatMuls (and removed). */
    int biasesFolded() {
        return foldedAdds.size();
    }

    /**
     * The int8 node for {@code matMul}, reading {@code input} instead of its own input, with {@code weight}'s rows
     * scaled by {@code rowFactors} (null: none). With {@code foldBias}, a constant bias Add that only reads the
     * product is taken in (and removed), and the node writes that Add's output.
     */
    NodeProto quantize(NodeProto matMul, TensorProto weight, String input, float[] rowFactors, boolean foldBias) {
        int columns = Math.toIntExact(weight.getDims(1));
        String key = rowFactors == null ? weight.getName() : weight.getName() + "\u0000" + input;
        String[] names = quantizedWeights.computeIfAbsent(key, k -> addQuantized(weight, rowFactors));
        editor.dropIfUnread(weight.getName());
        List<String> inputs = new ArrayList<>(List.of(input, names[0], names[1]));
        if (!names[2].isEmpty()) {
            inputs.add(names[2]);
        }
        String output = matMul.getOutput(0);
        int add = foldBias ? foldableBiasAdd(output, columns) : -1;
        if (add >= 0) {
            NodeProto addNode = index.node(add);
            String bias = addNode.getInput(0).equals(output) ? addNode.getInput(1) : addNode.getInput(0);
            if (names[2].isEmpty()) {
                inputs.add(""); // no zero point: the int8 weights are symmetric
            }
            inputs.add(bias);
            output = addNode.getOutput(0);
            foldedAdds.add(add);
            editor.remove(add);
        }
        String name = (matMul.getName().isEmpty() ? output : matMul.getName()) + "/int8";
        return OnnxGraphBuilder.newNode(MICROSOFT, "DynamicQuantizeMatMul", name, inputs, output);
    }

    /**
     * The int8 node for {@code matMul} when its input is quantized already, once for all its readers, with a
     * constant scale and zero point ({@link StaticActivations}): {@code com.microsoft.MatMulIntegerToFloat}, which
     * multiplies the uint8 activation by the int8 weight and scales the int32 sums back to float, without the
     * min/max pass and the quantizing of its input that {@code DynamicQuantizeMatMul} does at every run. No bias is
     * folded in: the rows' scales are multiplied back after it, and the bias must come after them.
     */
    NodeProto quantizeStatic(NodeProto matMul, TensorProto weight, StaticActivations.Quantized input,
                             float[] rowFactors) {
        String key = rowFactors == null ? weight.getName() : weight.getName() + "\u0000" + input.rowsOf();
        String[] names = quantizedWeights.computeIfAbsent(key, k -> addQuantized(weight, rowFactors));
        editor.dropIfUnread(weight.getName());
        String output = matMul.getOutput(0);
        String name = (matMul.getName().isEmpty() ? output : matMul.getName()) + "/int8";
        return OnnxGraphBuilder.newNode(MICROSOFT, "MatMulIntegerToFloat", name,
                names[2].isEmpty() ? List.of(input.values(), names[0], input.scale(), names[1], input.zeroPoint())
                        : List.of(input.values(), names[0], input.scale(), names[1], input.zeroPoint(), names[2]),
                output);
    }

    /** The Add that adds a constant [N] bias to the product and nothing else reads it, or -1. */
    private int foldableBiasAdd(String product, int columns) {
        List<Integer> readers = index.consumers(product);
        if (readers.size() != 1 || index.isGraphOutput(product)) {
            return -1;
        }
        int add = readers.get(0);
        NodeProto node = index.node(add);
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

    /** The int8 values [K, N] and scales ([N] per column, a scalar per tensor) as new initializers. */
    private String[] addQuantized(TensorProto weight, float[] rowFactors) {
        int rows = Math.toIntExact(weight.getDims(0));
        int columns = Math.toIntExact(weight.getDims(1));
        QuantizedMatrix q = QuantizedMatrix.quantize(FloatTensor.values(weight), rowFactors, rows, columns, options);
        String scales = options.perChannel()
                ? editor.addFloats(weight.getName() + "_scale", q.scales(), columns)
                : editor.addFloats(weight.getName() + "_scale", q.scales());
        if (!options.unsignedWeights()) {
            String values = editor.addTensor(weight.getName() + "_int8", TensorProto.DataType.INT8,
                    UnsafeByteOperations.unsafeWrap(q.values()), rows, columns);
            return new String[] {values, scales, ""};
        }
        // The same symmetric levels shifted by 128 into uint8, with 128 as every column's zero point.
        byte[] shifted = q.values().clone();
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] = (byte) (shifted[i] + UNSIGNED_ZERO);
        }
        String values = editor.addTensor(weight.getName() + "_uint8", TensorProto.DataType.UINT8,
                UnsafeByteOperations.unsafeWrap(shifted), rows, columns);
        int zeroPoints = options.perChannel() ? columns : 1;
        byte[] zeros = new byte[zeroPoints];
        java.util.Arrays.fill(zeros, (byte) UNSIGNED_ZERO);
        String zeroPoint = options.perChannel()
                ? editor.addTensor(weight.getName() + "_zero_point", TensorProto.DataType.UINT8,
                        UnsafeByteOperations.unsafeWrap(zeros), columns)
                : editor.addTensor(weight.getName() + "_zero_point", TensorProto.DataType.UINT8,
                        UnsafeByteOperations.unsafeWrap(zeros));
        return new String[] {values, scales, zeroPoint};
    }
}
