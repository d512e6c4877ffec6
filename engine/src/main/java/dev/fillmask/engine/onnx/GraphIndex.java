package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who produces and who reads each value of an ONNX graph, and which values are constants (initializers, Constant
 * nodes, and whatever is computed from constants alone, such as the transpose of a tied embedding). Graph rewrites
 * ask these questions over and over; the graph itself is never changed here.
 */
public final class GraphIndex {
    private final GraphProto graph;
    private final Map<String, Integer> producers = new HashMap<>();
    private final Map<String, List<Integer>> consumers = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, NodeProto> constantNodes = new HashMap<>();
    private final Set<String> constants = new HashSet<>();
    private final Set<String> names = new HashSet<>();

    public GraphIndex(GraphProto graph) {
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
            constants.add(t.getName());
            names.add(t.getName());
        }
        graph.getInputList().forEach(v -> names.add(v.getName()));
        graph.getOutputList().forEach(v -> names.add(v.getName()));
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto node = graph.getNode(i);
            for (String in : node.getInputList()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                }
            }
            for (String out : node.getOutputList()) {
                if (!out.isEmpty()) {
                    producers.put(out, i);
                    names.add(out);
                }
            }
            if (node.getOpType().equals("Constant") && isStandard(node) && node.getOutputCount() == 1) {
                constantNodes.put(node.getOutput(0), node);
            }
        }
        // Valid ONNX lists nodes in topological order, but a fixpoint does not depend on it.
        boolean grew = true;
        while (grew) {
            grew = false;
            for (NodeProto node : graph.getNodeList()) {
                if (node.getOutputCount() == 0 || constants.contains(node.getOutput(0))) {
                    continue;
                }
                boolean constantInputs = node.getInputCount() > 0 || node.getOpType().equals("Constant");
                for (String in : node.getInputList()) {
                    constantInputs &= in.isEmpty() || constants.contains(in);
                }
                // Nodes with subgraphs may read outer values implicitly; never count them as constant.
                for (AttributeProto a : node.getAttributeList()) {
                    constantInputs &= !a.hasG() && a.getGraphsCount() == 0;
                }
                if (constantInputs) {
                    node.getOutputList().forEach(constants::add);
                    grew = true;
                }
            }
        }
    }

    public GraphProto graph() {
        return graph;
    }

    public NodeProto node(int index) {
        return graph.getNode(index);
    }

    /** The index of the node that computes {@code value}, or -1 for graph inputs and initializers. */
    public int producer(String value) {
        return producers.getOrDefault(value, -1);
    }

    public List<Integer> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    public boolean isConstant(String value) {
        return constants.contains(value);
    }

    public TensorProto initializer(String name) {
        return initializers.get(name);
    }

    /** Whether any input, output, initializer or node output already has this name. */
    public boolean hasValue(String name) {
        return names.contains(name);
    }

    /** A name no value has yet, {@code base} itself when free. */
    public String freshName(String base) {
        String name = base;
        for (int i = 1; names.contains(name); i++) {
            name = base + "_" + i;
        }
        names.add(name);
        return name;
    }

    public boolean isGraphOutput(String value) {
        for (ValueInfoProto v : graph.getOutputList()) {
            if (v.getName().equals(value)) {
                return true;
            }
        }
        return false;
    }

    public boolean isGraphInput(String value) {
        for (ValueInfoProto v : graph.getInputList()) {
            if (v.getName().equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** The shape of a constant that is an initializer or a Constant node, or null when it is not known here. */
    public long[] constantShape(String value) {
        TensorProto t = initializers.get(value);
        if (t == null) {
            t = constantTensor(value);
        }
        if (t != null) {
            return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        }
        NodeProto c = constantNodes.get(value);
        if (c != null) {
            for (AttributeProto a : c.getAttributeList()) {
                switch (a.getName()) {
                    case "value_float", "value_int":
                        return new long[0];
                    case "value_floats":
                        return new long[] {a.getFloatsCount()};
                    case "value_ints":
                        return new long[] {a.getIntsCount()};
                    default:
                        break;
                }
            }
        }
        return null;
    }

    /** The values of an int64 constant (e.g. the axes of a ReduceMean), or null when they cannot be read here. */
    public long[] constantInt64s(String value) {
        TensorProto t = initializers.get(value);
        if (t == null) {
            t = constantTensor(value);
        }
        if (t != null) {
            if (t.getDataType() != TensorProto.DataType.INT64_VALUE) {
                return null;
            }
            if (t.getInt64DataCount() > 0) {
                return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
            }
            LongBuffer longs = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            long[] out = new long[longs.remaining()];
            longs.get(out);
            return out;
        }
        NodeProto c = constantNodes.get(value);
        if (c != null) {
            for (AttributeProto a : c.getAttributeList()) {
                if (a.getName().equals("value_ints")) {
                    return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
                }
                if (a.getName().equals("value_int")) {
                    return new long[] {a.getI()};
                }
            }
        }
        return null;
    }

    private TensorProto constantTensor(String value) {
        NodeProto c = constantNodes.get(value);
        if (c == null) {
            return null;
        }
        for (AttributeProto a : c.getAttributeList()) {
            if (a.getName().equals("value") && a.hasT()) {
                return a.getT();
            }
        }
        return null;
    }

    /** Every node {@code value} is computed from, directly or not. */
    public Set<Integer> ancestors(String value) {
        Set<Integer> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(value));
        while (!todo.isEmpty()) {
            int p = producer(todo.pop());
            if (p >= 0 && seen.add(p)) {
                for (String in : node(p).getInputList()) {
                    if (!in.isEmpty()) {
                        todo.push(in);
                    }
                }
            }
        }
        return seen;
    }

    /** Every node among {@code within} (all nodes when null) that reads {@code value}, directly or not. */
    public Set<Integer> dependents(String value, Set<Integer> within) {
        Set<Integer> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(value));
        while (!todo.isEmpty()) {
            for (int c : consumers(todo.pop())) {
                if ((within == null || within.contains(c)) && seen.add(c)) {
                    node(c).getOutputList().forEach(todo::push);
                }
            }
        }
        return seen;
    }

    /** Whether the node is an ONNX standard op (the default domain). */
    public static boolean isStandard(NodeProto node) {
        return node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
    }

    /** The model's opset version for the default domain. */
    public static long standardOpset(ModelProto model) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                return o.getVersion();
            }
        }
        return 1;
    }

    /** An int attribute of a node, or {@code fallback} when it has none. */
    public static long intAttribute(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }

    /** An ints attribute of a node, or null when it has none. */
    public static long[] intsAttribute(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return null;
    }
}
