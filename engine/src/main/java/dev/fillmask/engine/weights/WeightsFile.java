package dev.fillmask.engine.weights;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxJavaType;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The split form of a model that sessions share: {@code graph.onnx} holds the graph and the small tensors, and every
 * tensor worth sharing is an external-data reference into {@code weights.bin}, each at an offset aligned for vector
 * loads. A session then parses a graph of some kilobytes instead of the whole model, and takes the weights from the
 * one memory map of {@code weights.bin} that every session of the process is handed.
 */
final class WeightsFile {
    static final String GRAPH_FILE = "graph.onnx";
    static final String WEIGHTS_FILE = "weights.bin";
    /** A cache line, and the widest vector load (AVX-512): the kernels read aligned weights at full speed. */
    private static final int ALIGNMENT = 64;
    /** Smaller tensors (shapes, scalars) stay in the graph: sharing them saves nothing. */
    private static final int SMALLEST_SHARED_BYTES = 1024;

    /** ONNX data types whose bytes ONNX Runtime's Java API can wrap as a tensor without a copy. */
    private static final Map<Integer, OnnxJavaType> MAPPABLE = Map.of(
            TensorProto.DataType.FLOAT_VALUE, OnnxJavaType.FLOAT,
            TensorProto.DataType.DOUBLE_VALUE, OnnxJavaType.DOUBLE,
            TensorProto.DataType.FLOAT16_VALUE, OnnxJavaType.FLOAT16,
            TensorProto.DataType.BFLOAT16_VALUE, OnnxJavaType.BFLOAT16,
            TensorProto.DataType.INT8_VALUE, OnnxJavaType.INT8,
            TensorProto.DataType.UINT8_VALUE, OnnxJavaType.UINT8,
            TensorProto.DataType.INT16_VALUE, OnnxJavaType.INT16,
            TensorProto.DataType.INT32_VALUE, OnnxJavaType.INT32,
            TensorProto.DataType.INT64_VALUE, OnnxJavaType.INT64,
            TensorProto.DataType.BOOL_VALUE, OnnxJavaType.BOOL);

    /** One tensor in {@code weights.bin}. */
    record Tensor(String name, OnnxJavaType type, long[] shape, long offset, long length) {}

    private WeightsFile() {}

    /**
     * Writes {@code model}'s large tensors into {@code folder/weights.bin} and the rest into {@code folder/graph.onnx}
     * (which refers to them). The model must hold its weights itself (no external data of its own).
     */
    static void split(ModelProto model, Path folder) throws IOException {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        long offset = 0;
        try (FileChannel out = FileChannel.open(folder.resolve(WEIGHTS_FILE), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto tensor = graph.getInitializer(i);
                if (!isShared(tensor)) {
                    continue;
                }
                offset = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
                ByteBuffer bytes = tensor.getRawData().asReadOnlyByteBuffer();
                long length = bytes.remaining();
                long at = offset;
                while (bytes.hasRemaining()) {
                    at += out.write(bytes, at);
                }
                graph.setInitializer(i, tensor.toBuilder()
                        .clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", WEIGHTS_FILE))
                        .addExternalData(entry("offset", Long.toString(offset)))
                        .addExternalData(entry("length", Long.toString(length)))
                        .build());
                offset += length;
            }
            out.force(true);
        }
        OnnxModelFile.write(model.toBuilder().setGraph(graph).build(), folder.resolve(GRAPH_FILE));
    }

    private static boolean isShared(TensorProto tensor) {
        return tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL
                && tensor.getRawData().size() >= SMALLEST_SHARED_BYTES
                && MAPPABLE.containsKey(tensor.getDataType());
    }

    /** The tensors {@code graph.onnx} takes from {@code weights.bin}. */
    static List<Tensor> tensors(Path graphFile) throws IOException {
        ModelProto model = OnnxModelFile.read(graphFile);
        return model.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL)
                .map(t -> new Tensor(t.getName(), mappable(t), t.getDimsList().stream().mapToLong(Long::longValue)
                        .toArray(), longEntry(t, "offset"), longEntry(t, "length")))
                .toList();
    }

    private static OnnxJavaType mappable(TensorProto tensor) {
        return Optional.ofNullable(MAPPABLE.get(tensor.getDataType())).orElseThrow(() -> new IllegalStateException(
                "tensor " + tensor.getName() + " has data type " + tensor.getDataType() + ", which is not shared"));
    }

    private static long longEntry(TensorProto tensor, String key) {
        for (StringStringEntryProto e : tensor.getExternalDataList()) {
            if (e.getKey().equals(key)) {
                return Long.parseLong(e.getValue());
            }
        }
        throw new IllegalStateException("tensor " + tensor.getName() + " has no external data '" + key + "'");
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
