package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.GraphIndex;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.onnx.OnnxModelFile;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The int8 copy of the tiny model, in both head forms: what the graph becomes, and that ONNX Runtime runs it. */
class Int8QuantizerTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void encoderMatMulsBecomeInt8AndTheModelStillAnswers(HeadForm form) throws IOException {
        Path fp32 = TinyMaskedLm.write(dir.resolve("fp32"), form);
        Path int8 = dir.resolve("int8");

        // The older mode: the graph as imported, per-tensor activation scales (bias folded into each int8 MatMul),
        // every layer in int8.
        Int8Options perTensor = Int8Options.defaults().withFused(false).withPerRowActivations(false).withFloatLayers(0);
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(fp32, int8, perTensor, null);

        // Per layer: Q, K, V, attention output, intermediate, output. The last layer's feed-forward block belongs
        // to the row-wise tail with the head, which stays float32 along with the head's own dense layer.
        int layers = TinyMaskedLm.LAYERS;
        assertEquals(layers * 6 - 2, result.quantized());
        assertEquals(result.quantized(), result.biasesFolded(), "every dense layer's bias Add is folded in");
        assertEquals(3, result.keptInFloat());
        assertTrue(result.bytesAfter() < result.bytesBefore());

        ModelProto model = OnnxModelFile.read(int8.resolve(ModelFolder.MODEL_FILE));
        List<NodeProto> quantized = model.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("DynamicQuantizeMatMul")).toList();
        assertEquals(result.quantized(), quantized.size());
        for (NodeProto n : quantized) {
            assertEquals("com.microsoft", n.getDomain());
            assertEquals(5, n.getInputCount(), "A, B, per-column scales, no zero point, bias");
        }
        long int8Weights = model.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE).count();
        assertEquals(result.quantized(), int8Weights);
        assertTrue(model.getGraph().getInitializerList().stream()
                .noneMatch(t -> t.getName().equals("bert/encoder/layer_0/attention/self/query/kernel")),
                "a quantized float weight is dropped");
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "config.json")) {
            assertEquals(Files.readString(fp32.resolve(file)), Files.readString(int8.resolve(file)), file);
        }

        try (FillMaskEngine engine = FillMaskEngine.open(int8, EngineOptions.defaults().withIntraOpThreads(1))) {
            assertEquals(HeadForm.AT_MASKS, engine.headForm(), "a plain int8 export is still rewritten at load");
            FillMaskAnswer answer = engine.predict(new FillMaskRequest("the cat sat on the <mask>.", 3, null));
            var candidates = assertInstanceOf(FillMaskAnswer.SingleMask.class, answer).candidates();
            assertEquals(3, candidates.size());
            assertTrue(candidates.get(0).score() > 0 && candidates.get(0).score() < 1);
        }
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void perRowScalesMultiplyBackAndTheLastLayerStaysFloat(HeadForm form) throws IOException {
        Path fp32 = TinyMaskedLm.write(dir.resolve("fp32"), form);
        Path int8 = dir.resolve("int8");

        // The form as imported with dynamic scales, whatever the defaults: its graph is what is checked here.
        Int8Options options = Int8Options.defaults().withFused(false).withStaticActivations(false);
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(fp32, int8, options, null);

        // The last layer's Q, K, V and attention output stay float32 too (its feed-forward block already does).
        int layers = TinyMaskedLm.LAYERS;
        assertEquals((layers - 1) * 6, result.quantized());
        assertEquals(3 + 4, result.keptInFloat());
        assertEquals(0, result.biasesFolded(), "the bias is added after the row scale is multiplied back");

        ModelProto model = OnnxModelFile.read(int8.resolve(ModelFolder.MODEL_FILE));
        List<NodeProto> nodes = model.getGraph().getNodeList();
        List<NodeProto> quantized = nodes.stream().filter(n -> n.getOpType().equals("DynamicQuantizeMatMul")).toList();
        assertEquals(result.quantized(), quantized.size());
        for (NodeProto n : quantized) {
            assertEquals(3, n.getInputCount(), "A, B, per-column scales");
            assertTrue(n.getInput(0).endsWith("/row_normalized"), n.getInput(0));
            // Its product is multiplied back by the rows' maxima.
            assertTrue(nodes.stream().anyMatch(m -> m.getOpType().equals("Mul")
                    && m.getInput(0).equals(n.getOutput(0)) && m.getInput(1).endsWith("/row_max")), n.getName());
        }
        assertTrue(model.getGraph().getInitializerList().stream()
                        .anyMatch(t -> t.getName().equals("bert/encoder/layer_1/attention/self/query/kernel")),
                "the last layer's weights stay float32");

        try (FillMaskEngine reference = FillMaskEngine.open(fp32, EngineOptions.defaults().withIntraOpThreads(1));
             FillMaskEngine engine = FillMaskEngine.open(int8, EngineOptions.defaults().withIntraOpThreads(1))) {
            FillMaskRequest request = new FillMaskRequest("the cat sat on the <mask>.", 3, null);
            var expected = assertInstanceOf(FillMaskAnswer.SingleMask.class, reference.predict(request)).candidates();
            var candidates = assertInstanceOf(FillMaskAnswer.SingleMask.class, engine.predict(request)).candidates();
            assertEquals(3, candidates.size());
            assertEquals(expected.get(0).score(), candidates.get(0).score(), 0.05);
        }
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void theFusedStaticFormRunsOnFusedOpsAndQuantizesEachActivationOnce(HeadForm form) throws IOException {
        Path fp32 = TinyMaskedLm.write(dir.resolve("fp32"), form);
        Path int8 = dir.resolve("int8");
        Int8Options options = Int8Options.defaults().withFused(true).withStaticActivations(true);
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(fp32, int8, options, null);

        int layers = TinyMaskedLm.LAYERS;
        assertEquals((layers - 1) * 6, result.quantized(), "every layer's MatMuls but the last's");
        ModelProto model = OnnxModelFile.read(int8.resolve(ModelFolder.MODEL_FILE));
        Map<String, Integer> ops = opCounts(model);
        assertEquals(layers, ops.get("com.microsoft.MultiHeadAttention"), ops::toString);
        assertEquals(2 * layers, ops.get("com.microsoft.SkipLayerNormalization"), ops::toString);
        assertEquals(result.quantized(), ops.get("com.microsoft.MatMulIntegerToFloat"), ops::toString);
        assertEquals(null, ops.get("com.microsoft.DynamicQuantizeMatMul"), ops::toString);
        for (String gone : new String[] {"Softmax", "Transpose", "Split"}) {
            assertEquals(null, ops.get(gone), () -> gone + " left in " + ops);
        }
        // One QuantizeLinear per quantized activation: Q, K and V share theirs.
        assertEquals(4 * (layers - 1), ops.get("QuantizeLinear"), ops::toString);

        GraphIndex index = new GraphIndex(model.getGraph());
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (n.getOpType().equals("MatMulIntegerToFloat")) {
                assertEquals("QuantizeLinear", index.node(index.producer(n.getInput(0))).getOpType());
                TensorProto weight = index.initializer(n.getInput(1));
                assertEquals(TensorProto.DataType.INT8_VALUE, weight.getDataType());
                TensorProto scale = index.initializer(n.getInput(2));
                TensorProto zero = index.initializer(n.getInput(4));
                assertEquals(TensorProto.DataType.UINT8_VALUE, zero.getDataType());
                // The range [low, 1] fits in 255 levels, its low end no lower than -1.
                float s = dev.fillmask.engine.onnx.FloatTensor.values(scale).get(0);
                int z = zero.getRawData().byteAt(0) & 0xff;
                assertTrue(s > 0 && s <= 2f / 255 + 1e-7f, "scale " + s);
                assertTrue((255 - z) * s >= 0.99f && z * s <= 1.0001f, "zero point " + z + ", scale " + s);
            }
        }

        try (FillMaskEngine reference = FillMaskEngine.open(fp32, EngineOptions.defaults().withIntraOpThreads(1));
             FillMaskEngine engine = FillMaskEngine.open(int8, EngineOptions.defaults().withIntraOpThreads(1))) {
            FillMaskRequest request = new FillMaskRequest("the cat sat on the <mask>.", 3, null);
            var expected = assertInstanceOf(FillMaskAnswer.SingleMask.class, reference.predict(request)).candidates();
            var candidates = assertInstanceOf(FillMaskAnswer.SingleMask.class, engine.predict(request)).candidates();
            assertEquals(expected.get(0).score(), candidates.get(0).score(), 0.05);
        }
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void unsignedWeightsAreUint8WithZeroPoint128(HeadForm form) throws IOException {
        Path fp32 = TinyMaskedLm.write(dir.resolve("fp32"), form);
        Path int8 = dir.resolve("int8");
        Int8Options options = Int8Options.defaults().withFused(true).withStaticActivations(false)
                .withUnsignedWeights(true);
        assertFalse(options.reduceRange(), "8-bit weights: the u8×u8 kernel cannot saturate");
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(fp32, int8, options, null);

        ModelProto model = OnnxModelFile.read(int8.resolve(ModelFolder.MODEL_FILE));
        GraphIndex index = new GraphIndex(model.getGraph());
        List<NodeProto> quantized = model.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("DynamicQuantizeMatMul")).toList();
        assertEquals(result.quantized(), quantized.size());
        for (NodeProto n : quantized) {
            assertEquals(TensorProto.DataType.UINT8_VALUE, index.initializer(n.getInput(1)).getDataType());
            TensorProto zero = index.initializer(n.getInput(3));
            assertEquals(TensorProto.DataType.UINT8_VALUE, zero.getDataType());
            for (byte b : zero.getRawData().toByteArray()) {
                assertEquals(128, b & 0xff);
            }
        }
        try (FillMaskEngine engine = FillMaskEngine.open(int8, EngineOptions.defaults().withIntraOpThreads(1))) {
            var answer = engine.predict(new FillMaskRequest("the cat sat on the <mask>.", 3, null));
            assertEquals(3, assertInstanceOf(FillMaskAnswer.SingleMask.class, answer).candidates().size());
        }
    }

    private static Map<String, Integer> opCounts(ModelProto model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            counts.merge((n.getDomain().isEmpty() ? "" : n.getDomain() + ".") + n.getOpType(), 1, Integer::sum);
        }
        return counts;
    }

    @ParameterizedTest
    @EnumSource(HeadForm.class)
    void theOutputFolderMustDifferFromTheInput(HeadForm form) {
        Path fp32 = TinyMaskedLm.write(dir.resolve("same"), form);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Int8Quantizer.quantizeFolder(fp32, fp32, Int8Options.defaults(), null));
        assertFalse(e.getMessage().isEmpty());
    }
}
