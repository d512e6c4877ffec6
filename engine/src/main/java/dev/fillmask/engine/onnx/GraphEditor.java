package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Edits of an existing graph, collected against its original node indices and applied at once by {@link #apply()}:
 * nodes inserted before or after a node, a node replaced or removed, initializers added under fresh names, and
 * initializers that an edit may have made unread dropped. Collecting first keeps every index valid while a rewrite
 * decides; the nodes and tensors themselves come from {@link OnnxGraphBuilder}'s factories.
 */
public final class GraphEditor {
    private final GraphIndex index;
    private final Map<Integer, List<NodeProto>> before = new HashMap<>();
    private final Map<Integer, List<NodeProto>> after = new HashMap<>();
    private final Map<Integer, List<NodeProto>> replacements = new HashMap<>();
    private final List<TensorProto> newInitializers = new ArrayList<>();
    private final Set<String> dropIfUnread = new LinkedHashSet<>();

    public GraphEditor(GraphIndex index) {
        this.index = index;
    }

    public GraphIndex index() {
        return index;
    }

    /** A name no value has yet, {@code base} itself when free. */
    public String freshName(String base) {
        return index.freshName(base);
    }

    /** Adds a float32 initializer under a fresh name from {@code base}; no dimensions make a scalar. */
    public String addFloats(String base, float[] values, long... dims) {
        String name = index.freshName(base);
        newInitializers.add(OnnxGraphBuilder.floatTensor(name, values, dims));
        return name;
    }

    /** Adds a 1-D int64 initializer under a fresh name from {@code base}. */
    public String addInt64s(String base, long... values) {
        String name = index.freshName(base);
        newInitializers.add(OnnxGraphBuilder.int64Tensor(name, values));
        return name;
    }

    /** Adds an initializer of raw little-endian bytes under a fresh name from {@code base}. */
    public String addTensor(String base, TensorProto.DataType type, ByteString data, long... dims) {
        String name = index.freshName(base);
        newInitializers.add(OnnxGraphBuilder.tensor(name, type, data, dims));
        return name;
    }

    /** {@code nodes} go right before node {@code node} (after any inserted before it earlier). */
    public void insertBefore(int node, List<NodeProto> nodes) {
        before.computeIfAbsent(node, i -> new ArrayList<>()).addAll(nodes);
    }

    /** {@code nodes} go right after node {@code node} (after any inserted after it earlier). */
    public void insertAfter(int node, List<NodeProto> nodes) {
        after.computeIfAbsent(node, i -> new ArrayList<>()).addAll(nodes);
    }

    /** Node {@code node} gives way to {@code nodes}, in its place. */
    public void replace(int node, List<NodeProto> nodes) {
        replacements.put(node, List.copyOf(nodes));
    }

    public void remove(int node) {
        replace(node, List.of());
    }

    /**
     * The initializer goes (and with it its entry among the graph inputs, which old exports keep) unless a node or a
     * graph output of the edited graph still reads it, e.g. a weight replaced in one place but tied elsewhere.
     */
    public void dropIfUnread(String initializer) {
        dropIfUnread.add(initializer);
    }

    /** The original graph with every edit applied; the caller may go on changing inputs, outputs and value infos. */
    public GraphProto.Builder apply() {
        GraphProto graph = index.graph();
        GraphProto.Builder g = graph.toBuilder().clearNode();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            before.getOrDefault(i, List.of()).forEach(g::addNode);
            replacements.getOrDefault(i, List.of(graph.getNode(i))).forEach(g::addNode);
            after.getOrDefault(i, List.of()).forEach(g::addNode);
        }
        Set<String> stillRead = new HashSet<>();
        g.getNodeList().forEach(n -> stillRead.addAll(n.getInputList()));
        g.getOutputList().forEach(v -> stillRead.add(v.getName()));
        Set<String> dropped = new HashSet<>(dropIfUnread);
        dropped.removeAll(stillRead);
        List<TensorProto> kept = graph.getInitializerList().stream().filter(t -> !dropped.contains(t.getName())).toList();
        g.clearInitializer().addAllInitializer(kept).addAllInitializer(newInitializers);
        List<ValueInfoProto> inputs = graph.getInputList().stream().filter(v -> !dropped.contains(v.getName())).toList();
        g.clearInput().addAllInput(inputs);
        return g;
    }

    /** The node with every input named {@code from} reading {@code to} instead. */
    public static NodeProto withInputRenamed(NodeProto node, String from, String to) {
        NodeProto.Builder b = node.toBuilder();
        for (int k = 0; k < b.getInputCount(); k++) {
            if (b.getInput(k).equals(from)) {
                b.setInput(k, to);
            }
        }
        return b.build();
    }

    /** The node with its output {@code from} renamed {@code to}. */
    public static NodeProto withOutputRenamed(NodeProto node, String from, String to) {
        NodeProto.Builder b = node.toBuilder();
        for (int k = 0; k < b.getOutputCount(); k++) {
            if (b.getOutput(k).equals(from)) {
                b.setOutput(k, to);
            }
        }
        return b.build();
    }
}
