package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the LM head of a masked-LM graph in the full-head form: the tail that turns a hidden state into
 * {@code logits} one position at a time (dense, activation, layer norm, decoder, bias). Recognition is by data flow,
 * not by node names, so it works on any exporter's naming: the head is what hangs off a hidden state fed to a MatMul
 * (or Gemm) with constant weights, provided that everything from there to {@code logits} reads only that hidden state
 * and constants, and that every op on the way works row by row. The largest such tail is taken; for BERT it starts
 * after the last self-attention, since the last feed-forward block (with its residual) is row-wise too.
 * Anything that could mix positions (attention, a reshape with runtime shapes, an op not known here) disqualifies
 * a candidate, so a graph is only ever rewritten when running its head on fewer rows cannot change an answer.
 */
public final class MaskedLmHead {
    /**
     * A recognised head.
     *
     * @param hidden the encoder's last hidden state, the head's only non-constant input
     * @param hiddenIsRows true when the hidden state is already [rows, hidden] (the head starts with a Gemm, which
     *     only takes 2-D input), false for the usual [batch, sequence, hidden]
     * @param logits the graph output the head computes
     * @param nodes the indices of the head's nodes in the graph
     */
    public record Found(String hidden, boolean hiddenIsRows, String logits, Set<Integer> nodes) {}

    /** What looking for the head gave: the head, or why there is none that can be run on the mask rows alone. */
    public record Recognition(Found head, String problem) {
        public boolean found() {
            return head != null;
        }
    }

    private static final Set<String> UNARY = Set.of("Identity", "Cast", "Erf", "Tanh", "Sqrt", "Relu", "Sigmoid",
            "Neg", "Reciprocal", "Abs", "Exp", "Log", "Softplus", "Gelu", "HardSigmoid", "HardSwish", "Elu",
            "LeakyRelu", "Mish");
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min");
    /** com.microsoft activations: the first input is the value, the others constants (a bias along the row). */
    private static final Set<String> MICROSOFT_ACTIVATIONS = Set.of("Gelu", "FastGelu", "BiasGelu", "QuickGelu");

    private MaskedLmHead() {}

    /** The head of a full-head graph. */
    public static Recognition find(GraphIndex index, long opset) {
        String logits = logitsOutput(index);
        if (logits == null) {
            return new Recognition(null, "it has no output named '" + MaskedLmSignature.LOGITS
                    + "' and more than one output");
        }
        Set<Integer> upstream = index.ancestors(logits);
        Found best = null;
        // When nothing qualifies, the candidate nearest the output says best why: it is the most head-like.
        String bestProblem = null;
        int bestProblemSize = Integer.MAX_VALUE;
        for (int i : upstream) {
            NodeProto node = index.node(i);
            boolean gemm = isOp(node, "Gemm");
            if (!(isOp(node, "MatMul") || gemm || isMicrosoft(node, "DynamicQuantizeMatMul")) || node.getInputCount() < 2
                    || index.isConstant(node.getInput(0)) || !index.isConstant(node.getInput(1))) {
                continue;
            }
            String hidden = node.getInput(0);
            Set<Integer> tail = index.dependents(hidden, upstream);
            String problem = check(index, hidden, gemm, logits, tail, opset);
            if (problem == null) {
                if (best == null || tail.size() > best.nodes().size()) {
                    best = new Found(hidden, gemm, logits, tail);
                }
            } else if (tail.size() < bestProblemSize) {
                bestProblem = problem;
                bestProblemSize = tail.size();
            }
        }
        if (best != null) {
            return new Recognition(best, null);
        }
        return new Recognition(null, bestProblem != null ? bestProblem
                : "no MatMul with constant weights leads to '" + logits + "'");
    }

    /**
     * The head's nodes in either form, e.g. to leave them out of int8 quantization: in the head-at-masks form,
     * every node that reads {@code mask_positions}; in the full form, the recognised head; else none.
     */
    public static Set<Integer> headNodes(GraphIndex index, long opset) {
        if (index.isGraphInput(MaskedLmSignature.MASK_POSITIONS)) {
            return index.dependents(MaskedLmSignature.MASK_POSITIONS, null);
        }
        Recognition r = find(index, opset);
        return r.found() ? r.head().nodes() : Set.of();
    }

    /** {@code logits} by name, else the graph's only output. */
    static String logitsOutput(GraphIndex index) {
        List<ValueInfoProto> outputs = index.graph().getOutputList();
        for (ValueInfoProto v : outputs) {
            if (v.getName().equals(MaskedLmSignature.LOGITS)) {
                return v.getName();
            }
        }
        return outputs.size() == 1 ? outputs.get(0).getName() : null;
    }

    /** Null when {@code tail} is a head that can run on the mask rows alone, else why not. */
    private static String check(GraphIndex index, String hidden, boolean hiddenIsRows, String logits,
                                Set<Integer> tail, long opset) {
        int producer = index.producer(logits);
        if (!tail.contains(producer)) {
            return "'" + logits + "' is not computed from '" + hidden + "'";
        }
        Set<String> headValues = new HashSet<>();
        headValues.add(hidden);
        tail.forEach(i -> headValues.addAll(index.node(i).getOutputList()));
        int rank = hiddenIsRows ? 2 : 3;
        for (int i : tail) {
            NodeProto node = index.node(i);
            for (String in : node.getInputList()) {
                if (!in.isEmpty() && !headValues.contains(in) && !index.isConstant(in)) {
                    return describe(node) + " also reads '" + in + "', computed outside the head: the head would "
                            + "see more than the hidden state at its own position";
                }
            }
            for (String out : node.getOutputList()) {
                if (out.equals(logits)) {
                    continue;
                }
                if (index.isGraphOutput(out)) {
                    return "'" + out + "' is a graph output inside the head";
                }
                for (int c : index.consumers(out)) {
                    if (!tail.contains(c)) {
                        return describe(index.node(c)) + " reads '" + out + "' from inside the head";
                    }
                }
            }
            String problem = rowWiseProblem(index, node, headValues, rank, opset);
            if (problem != null) {
                return problem;
            }
        }
        if (!index.consumers(logits).isEmpty()) {
            return "'" + logits + "' is read by other nodes too";
        }
        return null;
    }

    /** Null when {@code node} computes each row from that row alone (and constants), else why it may not. */
    private static String rowWiseProblem(GraphIndex index, NodeProto node, Set<String> headValues, int rank, long opset) {
        String op = node.getOpType();
        if (GraphIndex.isStandard(node)) {
            if (UNARY.contains(op)) {
                return null;
            }
            if (BINARY.contains(op)) {
                for (String in : node.getInputList()) {
                    if (!headValues.contains(in) && !broadcastsAlongRows(index.constantShape(in))) {
                        return describe(node) + " has a constant operand '" + in + "' that is not a row vector";
                    }
                }
                return null;
            }
            switch (op) {
                case "MatMul":
                    return weightsProblem(index, node, headValues);
                case "Gemm":
                    if (rank != 2 || GraphIndex.intAttribute(node, "transA", 0) != 0) {
                        return describe(node) + " is a Gemm on something other than the rows";
                    }
                    return weightsProblem(index, node, headValues);
                case "LayerNormalization":
                    return lastAxis(GraphIndex.intAttribute(node, "axis", -1), rank) ? null
                            : describe(node) + " normalizes over more than the last axis";
                case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare":
                    long[] axes = GraphIndex.intsAttribute(node, "axes");
                    if (axes == null && node.getInputCount() > 1) {
                        axes = index.constantInt64s(node.getInput(1));
                    }
                    if (axes == null || axes.length != 1 || !lastAxis(axes[0], rank)) {
                        return describe(node) + " does not reduce over the last axis alone";
                    }
                    return null;
                case "Softmax", "LogSoftmax":
                    long axis = GraphIndex.intAttribute(node, "axis", opset >= 13 ? -1 : 1);
                    return lastAxis(axis, rank) ? null : describe(node) + " does not work along the last axis";
                default:
                    return describe(node) + " is not an op known to work row by row";
            }
        }
        if (node.getDomain().equals("com.microsoft")) {
            if (MICROSOFT_ACTIVATIONS.contains(op)) {
                for (int k = 1; k < node.getInputCount(); k++) {
                    String in = node.getInput(k);
                    if (!in.isEmpty() && !index.isConstant(in)) {
                        return describe(node) + " takes a non-constant bias";
                    }
                }
                return null;
            }
            if (op.equals("DynamicQuantizeMatMul")) {
                // Its activations are quantized with one scale for the whole input, so fewer rows can move results
                // by quantization noise; that is the nature of int8, not a mixing of positions in the model.
                return weightsProblem(index, node, headValues);
            }
            if (op.equals("SimplifiedLayerNormalization")) {
                return lastAxis(GraphIndex.intAttribute(node, "axis", -1), rank) ? null
                        : describe(node) + " normalizes over more than the last axis";
            }
        }
        return describe(node) + " is not an op known to work row by row";
    }

    /** A matrix product is row-wise when the rows come first and everything else is constant. */
    private static String weightsProblem(GraphIndex index, NodeProto node, Set<String> headValues) {
        if (!headValues.contains(node.getInput(0))) {
            return describe(node) + " multiplies constants by the hidden states from the left";
        }
        for (int k = 1; k < node.getInputCount(); k++) {
            String in = node.getInput(k);
            if (!in.isEmpty() && !index.isConstant(in)) {
                return describe(node) + " multiplies by a computed value, not by weights";
            }
        }
        return null;
    }

    private static boolean broadcastsAlongRows(long[] shape) {
        if (shape == null) {
            return false;
        }
        for (int d = 0; d < shape.length - 1; d++) {
            if (shape[d] != 1) {
                return false;
            }
        }
        return true;
    }

    private static boolean lastAxis(long axis, int rank) {
        return axis == -1 || axis == rank - 1;
    }

    private static boolean isOp(NodeProto node, String op) {
        return node.getOpType().equals(op) && GraphIndex.isStandard(node);
    }

    private static boolean isMicrosoft(NodeProto node, String op) {
        return node.getOpType().equals(op) && node.getDomain().equals("com.microsoft");
    }

    private static String describe(NodeProto node) {
        return node.getOpType() + " node '" + node.getName() + "'";
    }
}
