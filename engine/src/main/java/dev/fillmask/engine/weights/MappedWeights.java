package dev.fillmask.engine.weights;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One read-only memory map of a split model's {@code weights.bin}, and a tensor over each of its weights that ONNX
 * Runtime reads in place (a direct buffer in native order is not copied). Mapped from the file, the weights live in
 * the page cache: resident once however many sessions (and processes) read them, and never in the JVM heap.
 *
 * <p>Not thread-safe; {@link SharedWeights} serializes its use. Closing unmaps at once rather than when the garbage
 * collector gets to the buffer, so a TaskManager that swaps models gives the old weights back when the last session
 * on them closes; no session may read them after that.
 */
final class MappedWeights implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MappedWeights.class);

    private final MappedByteBuffer map;
    private final Map<String, OnnxTensor> tensors;
    private boolean closed;

    private MappedWeights(MappedByteBuffer map, Map<String, OnnxTensor> tensors) {
        this.map = map;
        this.tensors = tensors;
    }

    /** Maps {@code folder}'s {@code weights.bin} and wraps each tensor {@code graph.onnx} takes from it. */
    static MappedWeights open(Path folder) throws IOException {
        List<WeightsFile.Tensor> list = WeightsFile.tensors(folder.resolve(WeightsFile.GRAPH_FILE));
        MappedByteBuffer map;
        try (FileChannel channel = FileChannel.open(folder.resolve(WeightsFile.WEIGHTS_FILE), StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE) {
                throw new IOException(folder.resolve(WeightsFile.WEIGHTS_FILE) + " is " + channel.size()
                        + " bytes: weights beyond 2 GB are not shared");
            }
            map = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            for (WeightsFile.Tensor t : list) {
                ByteBuffer bytes = map.slice(Math.toIntExact(t.offset()), Math.toIntExact(t.length()))
                        .order(ByteOrder.nativeOrder());
                tensors.put(t.name(), OnnxTensor.createTensor(env, bytes, t.shape(), t.type()));
            }
            return new MappedWeights(map, tensors);
        } catch (OrtException | RuntimeException e) {
            tensors.values().forEach(OnnxTensor::close);
            unmap(map);
            throw new IOException("the weights of " + folder + " cannot be wrapped as tensors: " + e.getMessage(), e);
        }
    }

    /** Hands every weight to a session about to be created: it uses these instead of reading its own. */
    void addTo(OrtSession.SessionOptions options) throws OrtException {
        for (Map.Entry<String, OnnxTensor> e : tensors.entrySet()) {
            options.addInitializer(e.getKey(), e.getValue());
        }
    }

    long bytes() {
        return map.capacity();
    }

    int tensorCount() {
        return tensors.size();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            tensors.values().forEach(OnnxTensor::close);
            unmap(map);
        }
    }

    /**
     * Unmaps now, through the JDK's own cleaner of direct buffers ({@code sun.misc.Unsafe.invokeCleaner}, in the
     * {@code jdk.unsupported} module every JDK ships); where that is not available the mapping goes with the buffer.
     */
    private static void unmap(MappedByteBuffer buffer) {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            unsafeClass.getMethod("invokeCleaner", ByteBuffer.class).invoke(theUnsafe.get(null), buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("cannot unmap the shared weights at once; the garbage collector will", e);
        }
    }
}
