package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.engine.quantize.Int8Options;
import dev.fillmask.engine.quantize.Int8Quantizer;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fusion on the graph the importer's writer makes (the tiny model, in both head forms): which ops it leaves, the
 * packed Q/K/V weight in the layout the Attention spec gives, nothing left unread; and the graphs it must leave alone.
 * That the fused graph answers as the plain one is {@code FusedEncoderEngineTest}'s and
 * {@code DefaultModelFusionTest}'s.
 */
class EncoderFusionTest {
    @TempDir
    static Path dir;

    private static ModelProto tiny(HeadForm form) throws IOException {
        return OnnxModelFile.read(TinyMaskedLm.write(dir.resolve(form.name()), form).resolve("model.onnx"));
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void theEncoderBecomesAttentionAndSkipLayerNormalization(HeadForm form) throws IOException {
        ModelProto plain = tiny(form);
        EncoderFusion.Fused fused = assertInstanceOf(EncoderFusion.Fused.class, EncoderFusion.fuse(plain));
        int layers = TinyMaskedLm.LAYERS;
        assertEquals(layers, fused.attentions());
        assertEquals(2 * layers, fused.skipLayerNorms(), "after attention and after the feed-forward, in every layer");
        assertEquals(1, fused.decoders());

        Map<String, Integer> ops = opCounts(fused.model());
        assertEquals(layers, ops.get("com.microsoft.Attention"), ops::toString);
        assertEquals(2 * layers, ops.get("com.microsoft.SkipLayerNormalization"), ops::toString);
        assertEquals(1, ops.get("com.microsoft.FusedMatMul"), ops::toString);
        assertEquals(2, ops.get("LayerNormalization"), "the embeddings' and the head transform's stay: " + ops);
        for (String gone : new String[] {"Softmax", "Transpose", "Div.attention", "Sub", "Unsqueeze"}) {
            assertEquals(null, ops.get(gone), () -> gone + " left in " + ops);
        }
        // Q, K and V: one MatMul each per layer gone into Attention; the output, intermediate, FFN output and the
        // head transform's stay.
        assertEquals(3 * layers + 1, ops.get("MatMul"), ops::toString);
        GraphIndex index = new GraphIndex(fused.model().getGraph());
        assertEquals(1, index.consumers(MaskedLmSignature.ATTENTION_MASK).size(),
                "one cast of the mask for all layers");
        NodeProto cast = index.node(index.consumers(MaskedLmSignature.ATTENTION_MASK).get(0));
        assertEquals("Cast", cast.getOpType());
        assertEquals(TensorProto.DataType.INT32_VALUE, GraphIndex.intAttribute(cast, "to", 0));
        assertTrue(fused.model().getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals("com.microsoft")));
        assertTrue(fused.model().getMetadataPropsList().stream()
                .anyMatch(p -> p.getKey().equals(EncoderFusion.METADATA_KEY)));
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void theProjectedFormKeepsQueryKeyAndValueAsMatMulsBeforeMultiHeadAttention(HeadForm form) throws IOException {
        ModelProto plain = tiny(form);
        EncoderFusion.Fused fused = assertInstanceOf(EncoderFusion.Fused.class,
                EncoderFusion.fuse(plain, EncoderFusion.AttentionForm.PROJECTED));
        int layers = TinyMaskedLm.LAYERS;
        Map<String, Integer> ops = opCounts(fused.model());
        assertEquals(layers, ops.get("com.microsoft.MultiHeadAttention"), ops::toString);
        assertEquals(null, ops.get("com.microsoft.Attention"), ops::toString);
        assertEquals(null, ops.get("Split"), "no copy of the products: " + ops);
        assertEquals(2 * layers, ops.get("com.microsoft.SkipLayerNormalization"), ops::toString);
        // Q, K, V, output, intermediate, FFN output per layer, and the head transform.
        assertEquals(6 * layers + 1, ops.get("MatMul"), ops::toString);
        GraphIndex index = new GraphIndex(fused.model().getGraph());
        for (NodeProto n : fused.model().getGraph().getNodeList()) {
            if (n.getOpType().equals("MultiHeadAttention")) {
                assertEquals(5, n.getInputCount(), "query, key, value, bias, key padding mask");
                for (int k = 0; k < 3; k++) {
                    NodeProto projection = index.node(index.producer(n.getInput(k)));
                    assertEquals("MatMul", projection.getOpType());
                    assertTrue(index.initializer(projection.getInput(1)) != null, "a MatMul by a constant weight");
                }
                assertEquals(3L * index.initializer(index.node(index.producer(n.getInput(0))).getInput(1)).getDims(1),
                        index.initializer(n.getInput(3)).getDims(0), "the three biases packed");
            }
        }
    }

    @Test
    void thePackedWeightHoldsQueryKeyAndValueSideBySideInEachRow() throws IOException {
        ModelProto plain = tiny(HeadForm.AT_MASKS);
        ModelProto fused = ((EncoderFusion.Fused) EncoderFusion.fuse(plain)).model();
        GraphIndex before = new GraphIndex(plain.getGraph());
        GraphIndex after = new GraphIndex(fused.getGraph());
        int h = TinyMaskedLm.HIDDEN;
        String p = "bert/encoder/layer_1/attention/self/";
        NodeProto attention = fused.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Attention") && n.getInput(1).startsWith(p))
                .findFirst().orElseThrow();
        TensorProto packed = after.initializer(attention.getInput(1));
        TensorProto bias = after.initializer(attention.getInput(2));
        assertEquals(java.util.List.of((long) h, 3L * h), packed.getDimsList());
        assertEquals(java.util.List.of(3L * h), bias.getDimsList());
        String[] parts = {"query", "key", "value"};
        for (int part = 0; part < 3; part++) {
            FloatBuffer w = floats(before.initializer(p + parts[part] + "/kernel"));
            FloatBuffer b = floats(before.initializer(p + parts[part] + "/bias"));
            for (int row = 0; row < h; row++) {
                for (int col = 0; col < h; col++) {
                    assertEquals(w.get(row * h + col), floats(packed).get(row * 3 * h + part * h + col),
                            parts[part] + " [" + row + ", " + col + "]");
                }
            }
            for (int col = 0; col < h; col++) {
                assertEquals(b.get(col), floats(bias).get(part * h + col), parts[part] + " bias " + col);
            }
        }
        assertEquals(TinyMaskedLm.HEADS, GraphIndex.intAttribute(attention, "num_heads", 0));
    }

    @Test
    void everyInitializerLeftIsRead() throws IOException {
        ModelProto fused = ((EncoderFusion.Fused) EncoderFusion.fuse(tiny(HeadForm.AT_MASKS))).model();
        Set<String> read = new HashSet<>();
        fused.getGraph().getNodeList().forEach(n -> read.addAll(n.getInputList()));
        for (TensorProto t : fused.getGraph().getInitializerList()) {
            assertTrue(read.contains(t.getName()), t.getName() + " is no longer read");
        }
        assertTrue(fused.getGraph().getInitializerList().stream()
                .noneMatch(t -> t.getName().endsWith("attention/self/query/kernel")), "the separate Q weights are gone");
    }

    @Test
    void anInt8ModelIsLeftAlone() throws IOException {
        ModelProto int8 = Int8Quantizer.quantize(tiny(HeadForm.AT_MASKS), Int8Options.defaults()).model();
        EncoderFusion.NotFused notFused = assertInstanceOf(EncoderFusion.NotFused.class, EncoderFusion.fuse(int8));
        assertTrue(notFused.reason().contains("DynamicQuantizeMatMul"), notFused.reason());
    }

    @Test
    void aFusedModelIsNotFusedTwice() throws IOException {
        ModelProto fused = ((EncoderFusion.Fused) EncoderFusion.fuse(tiny(HeadForm.AT_MASKS))).model();
        assertInstanceOf(EncoderFusion.NotFused.class, EncoderFusion.fuse(fused));
    }

    /** Op types by name, contrib ops as domain.name; the attention's Div is told apart from GELU's by its input. */
    private static Map<String, Integer> opCounts(ModelProto model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            String op = GraphIndex.isStandard(n) ? n.getOpType() : n.getDomain() + "." + n.getOpType();
            if (op.equals("Div") && n.getInput(1).contains("sqrt_head_size")) {
                op = "Div.attention";
            }
            counts.merge(op, 1, Integer::sum);
        }
        return counts;
    }

    private static FloatBuffer floats(TensorProto t) {
        return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }
}
