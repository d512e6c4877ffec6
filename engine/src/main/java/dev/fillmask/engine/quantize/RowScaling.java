package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.fillmask.engine.onnx.GraphEditor;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-row activation scales ({@link Int8Options#perRowActivations()}): each row (token) is divided by its largest
 * |value| before the int8 MatMuls, so that their one dynamic scale per tensor fits every row rather than the few
 * tokens whose values are far larger, and each product is multiplied back by the row's maximum after them.
 */
final class RowScaling {
    /**
     * @param normalized the activation with every row divided by its largest |value|
     * @param rowMax each row's largest |value|, [.., 1]
     */
    record Normalized(String normalized, String rowMax) {

        /** The nodes that take {@code int8}'s place: it computes the normalized product, a Mul scales it back. */
        List<NodeProto> scaleBack(GraphEditor editor, NodeProto int8) {
            String output = int8.getOutput(0);
            String normalizedProduct = editor.freshName(output + "/row_normalized");
            List<NodeProto> nodes = new ArrayList<>();
            nodes.add(GraphEditor.withOutputRenamed(int8, output, normalizedProduct));
            nodes.add(OnnxGraphBuilder.newNode("Mul", output + "/row_scaled", List.of(normalizedProduct, rowMax), output));
            return nodes;
        }
    }

    private RowScaling() {}

    /** Adds to {@code preparation} the nodes (Abs, ReduceMax, Max, Div) that normalize each row of {@code input}. */
    static Normalized normalize(GraphEditor editor, String input, long opset, List<NodeProto> preparation) {
        String abs = editor.freshName(input + "/abs");
        String rowMax = editor.freshName(input + "/row_max");
        String rawRowMax = editor.freshName(input + "/row_max_raw");
        String normalized = editor.freshName(input + "/row_normalized");
        preparation.add(OnnxGraphBuilder.newNode("Abs", abs, List.of(input), abs));
        // ReduceMax takes its axes as an input from opset 18 on, as an attribute before.
        preparation.add(opset >= 18
                ? OnnxGraphBuilder.newNode("ReduceMax", rawRowMax,
                        List.of(abs, editor.addInt64s(input + "/last_axis", -1)), rawRowMax,
                        OnnxGraphBuilder.intAttribute("keepdims", 1))
                : OnnxGraphBuilder.newNode("ReduceMax", rawRowMax, List.of(abs), rawRowMax,
                        OnnxGraphBuilder.intAttribute("keepdims", 1), OnnxGraphBuilder.intsAttribute("axes", -1)));
        // An all-zero row (padding) must not divide by zero.
        String floor = editor.addFloats(input + "/row_max_floor", new float[] {1e-12f}, 1);
        preparation.add(OnnxGraphBuilder.newNode("Max", rowMax, List.of(rawRowMax, floor), rowMax));
        preparation.add(OnnxGraphBuilder.newNode("Div", normalized, List.of(input, rowMax), normalized));
        return new Normalized(normalized, rowMax);
    }
}
