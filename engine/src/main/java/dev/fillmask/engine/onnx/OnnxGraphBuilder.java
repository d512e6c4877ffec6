package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A thin layer over the generated ONNX protobuf classes: enough to write a transformer graph by hand. Weights are
 * wrapped, never copied (the default model is 438 MB), and the model is streamed to disk. Its static factories
 * ({@link #newNode}, {@link #tensor}, {@link #valueInfo}, the attributes) are the one place nodes, tensors and value
 * infos are made, also for edits of an existing graph ({@link GraphEditor}).
 */
public final class OnnxGraphBuilder {
    /** LayerNormalization became a standard op in 17; ONNX Runtime 1.29 loads it with IR version 8. */
    public static final long OPSET = 17;
    public static final long IR_VERSION = 8;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> valueNames = new HashSet<>();
    private int nodeCount;

    public OnnxGraphBuilder(String graphName) {
        graph.setName(graphName);
    }

    /** Adds a float32 initializer that wraps the tensor's bytes; the buffer must stay valid until the model is written. */
    public String initializer(String name, FloatTensor tensor) {
        claim(name);
        graph.addInitializer(tensor(name, TensorProto.DataType.FLOAT,
                UnsafeByteOperations.unsafeWrap(tensor.data().duplicate()), tensor.shape()));
        return name;
    }

    /** A 1-D int64 constant, e.g. a target shape for Reshape or the axes of Unsqueeze. */
    public String int64s(String name, long... values) {
        claim(name);
        graph.addInitializer(int64Tensor(name, values));
        return name;
    }

    public String int64Scalar(String name, long value) {
        ByteBuffer data = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        claim(name);
        graph.addInitializer(tensor(name, TensorProto.DataType.INT64, UnsafeByteOperations.unsafeWrap(data.flip())));
        return name;
    }

    public String floatScalar(String name, float value) {
        claim(name);
        graph.addInitializer(floatTensor(name, new float[] {value}));
        return name;
    }

    /**
     * A graph input. Each dimension is a {@link String} (a symbolic name such as {@code batch}, shared by every
     * tensor that uses it) or a {@link Number} (a fixed size).
     */
    public String input(String name, TensorProto.DataType type, Object... dims) {
        claim(name);
        graph.addInput(valueInfo(name, type.getNumber(), dims));
        return name;
    }

    /** A graph output, produced by a node added before or after this call. */
    public void output(String name, TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(name, type.getNumber(), dims));
    }

    /** Adds a node with a single output called {@code output} and returns that name, ready to be the next input. */
    public String node(String opType, String output, List<String> inputs, AttributeProto... attributes) {
        claim(output);
        graph.addNode(newNode(opType, opType + "_" + nodeCount++, inputs, output, attributes));
        return output;
    }

    /** A standard-domain node with one output; for graphs built here and for edits of existing ones alike. */
    public static NodeProto newNode(String opType, String name, List<String> inputs, String output,
                                    AttributeProto... attributes) {
        return newNode(null, opType, name, inputs, output, attributes);
    }

    /**
     * A node with one output in {@code domain} (null for the standard one, which is left unset rather than set to
     * "": ONNX's protobuf is proto2, where an explicit empty domain is written to the file).
     */
    public static NodeProto newNode(String domain, String opType, String name, List<String> inputs, String output,
                                    AttributeProto... attributes) {
        NodeProto.Builder node = NodeProto.newBuilder()
                .setName(name)
                .setOpType(opType)
                .addAllInput(inputs)
                .addOutput(output);
        if (domain != null) {
            node.setDomain(domain);
        }
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        return node.build();
    }

    /**
     * A tensor holding {@code data} as its raw little-endian bytes (wrapped, not copied), with the given dimensions:
     * none for a scalar.
     */
    public static TensorProto tensor(String name, TensorProto.DataType type, ByteString data, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder()
                .setName(name)
                .setDataType(type.getNumber())
                .setRawData(data);
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** A float32 tensor of these values; no dimensions make a scalar. */
    public static TensorProto floatTensor(String name, float[] values, long... dims) {
        ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        return tensor(name, TensorProto.DataType.FLOAT, UnsafeByteOperations.unsafeWrap(data.flip()), dims);
    }

    /** A 1-D int64 tensor of these values. */
    public static TensorProto int64Tensor(String name, long... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            data.putLong(v);
        }
        return tensor(name, TensorProto.DataType.INT64, UnsafeByteOperations.unsafeWrap(data.flip()), values.length);
    }

    public static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    public static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    public ModelProto build(String producerName, String producerVersion) {
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(producerName)
                .setProducerVersion(producerVersion)
                .setGraph(graph)
                .build();
    }

    /**
     * Streams the model to {@code file} through a temporary sibling, so a crash never leaves a truncated model
     * under the final name.
     */
    public static void write(ModelProto model, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            model.writeTo(out);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void claim(String name) {
        if (!valueNames.add(name)) {
            throw new IllegalArgumentException("the graph already has a value named " + name);
        }
    }

    /**
     * A value's name, element type and shape. Each dimension is a {@link String} (symbolic), a {@link Number} (fixed)
     * or a {@link TensorShapeProto.Dimension} taken over from another value.
     */
    public static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String symbol) {
                shape.addDimBuilder().setDimParam(symbol);
            } else if (d instanceof Number size) {
                shape.addDimBuilder().setDimValue(size.longValue());
            } else if (d instanceof TensorShapeProto.Dimension dimension) {
                shape.addDim(dimension);
            } else {
                throw new IllegalArgumentException("a dimension is a String (symbolic), a Number or a Dimension, not " + d);
            }
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(elemType)
                        .setShape(shape)))
                .build();
    }
}
