package dev.fillmask.engine.importer.huggingface;

import dev.fillmask.engine.onnx.FloatTensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Float32 tensors that do not exist as such in the checkpoint: Linear weights transposed from torch's [out, in] to
 * the graph's [in, out], and F16/BF16 tensors widened. They are written to a scratch file and mapped back, so that,
 * like the checkpoint's own float32 tensors, they stay off the heap until the graph is streamed to disk (the model
 * file wraps every weight and is written in one go; BERT-base's Linear weights alone are 340 MB).
 */
final class ScratchFloats implements AutoCloseable {
    /** Element {@code i} of a source tensor, as a float. */
    @FunctionalInterface
    interface Elements {
        float get(int index);
    }

    private static final int CHUNK_FLOATS = 1 << 18;

    private final FileChannel channel;
    private long end;

    ScratchFloats(Path file) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** The source's elements in order, as float32; a 2-D source [rows, cols] is transposed to [cols, rows] if asked. */
    FloatTensor write(Elements source, long[] sourceShape, boolean transpose) throws IOException {
        long count = SafetensorsFile.elementCount(sourceShape);
        long[] shape = sourceShape.clone();
        if (transpose) {
            if (sourceShape.length != 2) {
                throw new IllegalArgumentException("only a matrix can be transposed, not a tensor of rank "
                        + sourceShape.length);
            }
            shape = new long[] {sourceShape[1], sourceShape[0]};
        }
        int rows = transpose ? (int) sourceShape[0] : 0;
        int cols = transpose ? (int) sourceShape[1] : 0;
        long start = end;
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long k = 0; k < count; k++) {
            int from;
            if (transpose) {
                // output [c, r] ← source [r, c]
                int c = (int) (k / rows);
                int r = (int) (k % rows);
                from = r * cols + c;
            } else {
                from = (int) k;
            }
            chunk.putFloat(source.get(from));
            if (!chunk.hasRemaining()) {
                flush(chunk);
            }
        }
        flush(chunk);
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, start, end - start);
        return new FloatTensor(mapped, shape);
    }

    private void flush(ByteBuffer chunk) throws IOException {
        chunk.flip();
        while (chunk.hasRemaining()) {
            end += channel.write(chunk, end);
        }
        chunk.clear();
    }

    /** IEEE half precision to float, every case (zero, subnormal, infinity, NaN) included. */
    static float halfToFloat(int half) {
        int sign = (half >>> 15) & 1;
        int exponent = (half >>> 10) & 0x1f;
        int mantissa = half & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f;
        } else if (exponent == 0x1f) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exponent + 127 - 15) << 23) | (mantissa << 13));
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    /** bfloat16 is the upper half of a float32. */
    static float bfloat16ToFloat(int bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
