package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float32 tensor as raw little-endian bytes, the layout ONNX's {@code raw_data} and TF checkpoints share, so a
 * slice of a memory-mapped checkpoint can go into the model file without ever being copied onto the heap.
 */
public record FloatTensor(ByteBuffer data, long[] shape) {

    public FloatTensor {
        long expectedBytes = Float.BYTES * elementCount(shape);
        if (data.remaining() != expectedBytes) {
            throw new IllegalArgumentException("a float32 tensor of shape " + Arrays.toString(shape) + " needs "
                    + expectedBytes + " bytes, got " + data.remaining());
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A float initializer's values, read in place from its raw bytes (no copy) or from its repeated float field. */
    public static FloatBuffer values(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        float[] values = new float[t.getFloatDataCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = t.getFloatData(i);
        }
        return FloatBuffer.wrap(values);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
