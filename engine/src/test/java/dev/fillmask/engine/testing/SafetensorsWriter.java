package dev.fillmask.engine.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files as transformers' {@code save_pretrained} does, for tests: the 8-byte little-endian header
 * length, the JSON header (dtype, shape, data_offsets, a {@code __metadata__} entry), padded with spaces to a multiple
 * of 8, then the tensors' bytes in header order; a sharded set adds {@code model.safetensors.index.json}. Written
 * from the format's description, apart from the importer's reader.
 */
public final class SafetensorsWriter {
    public enum DType { F32, F16, BF16 }

    /** Element {@code i} of a tensor in row-major order. */
    @FunctionalInterface
    public interface Elements {
        float get(long index);
    }

    /** A tensor to write: its values are asked for while writing, so a large one never sits on the heap. */
    public record Tensor(String name, long[] shape, Elements elements) {
        public static Tensor of(String name, float[] values, long... shape) {
            return new Tensor(name, shape, i -> values[(int) i]);
        }

        long count() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, List<Tensor> tensors, DType dtype) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        int width = dtype == DType.F32 ? 4 : 2;
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", dtype.name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long bytes = t.count() * width;
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.write(' ');
            }
            ByteBuffer element = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors) {
                long count = t.count();
                for (long i = 0; i < count; i++) {
                    float v = t.elements().get(i);
                    element.clear();
                    switch (dtype) {
                        case F32 -> element.putFloat(v);
                        case F16 -> element.putShort(toHalf(v));
                        case BF16 -> element.putShort(toBfloat16(v));
                    }
                    out.write(element.array(), 0, element.position());
                }
            }
        }
    }

    /**
     * The tensors split over {@code shards} files named as transformers names them
     * ({@code model-00001-of-00002.safetensors}), in order, by bytes, and the index that maps each name to its file.
     */
    public static void writeSharded(Path dir, List<Tensor> tensors, DType dtype, int shards) throws IOException {
        long total = tensors.stream().mapToLong(Tensor::count).sum();
        List<List<Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            parts.add(new ArrayList<>());
        }
        long seen = 0;
        for (Tensor t : tensors) {
            int shard = (int) Math.min(shards - 1, seen * shards / total);
            parts.get(shard).add(t);
            seen += t.count();
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            write(dir.resolve(name), parts.get(i), dtype);
            parts.get(i).forEach(t -> weightMap.put(t.name(), name));
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total * (dtype == DType.F32 ? 4 : 2));
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }

    /** Exact for the values tests store in F16: normal halves whose low 13 float mantissa bits are zero, or 0. */
    static short toHalf(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        if ((bits & 0x7fffffff) == 0) {
            return (short) sign;
        }
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent <= 0 || exponent >= 31 || (mantissa & 0x1fff) != 0) {
            throw new IllegalArgumentException(v + " is not exactly a normal half; round it with roundToHalf first");
        }
        return (short) (sign | exponent << 10 | mantissa >>> 13);
    }

    /** Exact for values whose low 16 bits are zero (see {@link #roundToBfloat16}). */
    static short toBfloat16(float v) {
        int bits = Float.floatToIntBits(v);
        if ((bits & 0xffff) != 0) {
            throw new IllegalArgumentException(v + " is not exactly a bfloat16; round it with roundToBfloat16 first");
        }
        return (short) (bits >>> 16);
    }

    /** The value on a grid of 1/1024 within ±2: an exact normal half (or zero). */
    public static float roundToHalf(float v) {
        float clamped = Math.max(-2f, Math.min(2f, v));
        return Math.round(clamped * 1024f) / 1024f;
    }

    /** The value with its mantissa cut to bfloat16's 7 bits. */
    public static float roundToBfloat16(float v) {
        return Float.intBitsToFloat(Float.floatToIntBits(v) & 0xffff0000);
    }
}
