package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.MaskedLmHead;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which MatMuls go to int8: those with a constant float32 weight matrix, except the LM head's (it runs on a few rows
 * only, so int8 would save next to nothing there, and it is where the ranking of candidates is decided) and those of
 * the last {@link Int8Options#floatLayers()} transformer layers.
 *
 * @param chosen the MatMuls to quantize, by node index, in graph order
 * @param keptInFloat MatMuls with constant weights left in float32 (the head's and those the options keep)
 */
record MatMulChoice(List<Integer> chosen, int keptInFloat) {

    /** The choice for {@code model}, among the MatMuls {@code eligible} accepts. */
    static MatMulChoice of(ModelProto model, GraphIndex index, Int8Options options, Predicate<NodeProto> eligible) {
        Set<Integer> head = MaskedLmHead.headNodes(index, GraphIndex.standardOpset(model));
        int nodes = index.graph().getNodeCount();
        int layers = (int) java.util.stream.IntStream.range(0, nodes)
                .filter(i -> isFeedForwardOutput(index, index.node(i))).count();
        List<Integer> chosen = new ArrayList<>();
        int keptInFloat = 0;
        int layer = 0;
        for (int i = 0; i < nodes; i++) {
            NodeProto node = index.node(i);
            int fromTheEnd = layers - layer; // 1 for the last layer, 0 after it (the head)
            if (isFeedForwardOutput(index, node)) {
                layer++;
            }
            if (FloatWeights.matrix(index, node) == null || !eligible.test(node)) {
                continue;
            }
            if (head.contains(i) || fromTheEnd <= options.floatLayers()) {
                keptInFloat++;
            } else {
                chosen.add(i);
            }
        }
        return new MatMulChoice(chosen, keptInFloat);
    }

    /**
     * A transformer layer's feed-forward output dense (intermediate → hidden, after the activation function): the
     * one MatMul with constant weights that narrows its input (K > N). Each layer has exactly one, and it closes
     * the layer, which is how MatMuls are counted into layers.
     */
    private static boolean isFeedForwardOutput(GraphIndex index, NodeProto node) {
        TensorProto weight = FloatWeights.matrix(index, node);
        return weight != null && weight.getDims(0) > weight.getDims(1);
    }
}
