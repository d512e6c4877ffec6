package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.fillmask.engine.onnx.OnnxGraphBuilder.intAttribute;
import static dev.fillmask.engine.onnx.OnnxGraphBuilder.intsAttribute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The head rewrite on graphs laid out the way torch.onnx exports BertForMaskedLM (layer norm spelled out as
 * ReduceMean/Sub/Pow/Sqrt/Div, scalars as Constant nodes, an untied decoder weight), at an opset before and after
 * Unsqueeze took its axes as an input; and on graphs it must leave alone.
 */
class MaskedLmHeadRewriterTest {
    private static final int VOCAB = 23;
    private static final int HIDDEN = 8;
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @ParameterizedTest
    @ValueSource(longs = {12, 17})
    void aTorchStyleHeadIsRewrittenAndAnswersTheSame(long opset) throws OrtException {
        ModelProto plain = withOpset(torchStyleModel(false), opset);
        var outcome = assertInstanceOf(MaskedLmHeadRewriter.Rewritten.class, MaskedLmHeadRewriter.rewrite(plain),
                () -> "not rewritten: " + MaskedLmHeadRewriter.rewrite(plain));
        assertEquals("encoder/hidden", outcome.hidden(), "the head starts after the position-mixing encoder");

        long[][] ids = {{1, 5, 7, 2, 0}, {1, 9, 3, 4, 2}};
        long[] positions = {8, 1, 3, 6}; // flat indices, deliberately not sorted
        float[][][] full = runFull(plain, ids);
        float[][] atMasks = runAtMasks(outcome.model(), ids, positions);
        assertEquals(positions.length, atMasks.length);
        for (int m = 0; m < positions.length; m++) {
            float[] expected = full[(int) positions[m] / 5][(int) positions[m] % 5];
            for (int v = 0; v < VOCAB; v++) {
                assertEquals(expected[v], atMasks[m][v], 1e-5, "mask " + m + ", token " + v);
            }
        }
    }

    @Test
    void aHeadThatReadsMoreThanTheHiddenStateIsLeftAlone() {
        var outcome = assertInstanceOf(MaskedLmHeadRewriter.NotRecognised.class,
                MaskedLmHeadRewriter.rewrite(torchStyleModel(true)));
        assertTrue(outcome.reason().contains("also reads '/mask/Unsqueeze'"), outcome::reason);
    }

    @Test
    void aGraphAlreadyAtTheMasksIsLeftAlone() {
        BertConfig config = new BertConfig(1, HIDDEN, 2, 16, VOCAB, 16, 1, 1e-5f, false);
        ModelProto built = BertMaskedLmGraph.build(config, new RandomWeights(1, 0.2), HeadForm.AT_MASKS);
        assertInstanceOf(MaskedLmHeadRewriter.AlreadyAtMasks.class, MaskedLmHeadRewriter.rewrite(built));
    }

    /**
     * Embeddings, one weightless self-attention (so positions mix before the head), then BERT's MLM head as torch
     * exports it. With {@code readsMask}, the logits also add the attention mask: then the tail reads more than
     * the hidden state, and running it on fewer rows would be wrong.
     */
    private static ModelProto torchStyleModel(boolean readsMask) {
        OnnxGraphBuilder g = new OnnxGraphBuilder("torch_style");
        RandomWeights w = new RandomWeights(7, 0.5);
        String ids = g.input(MaskedLmSignature.INPUT_IDS, DataType.INT64, "batch_size", "sequence_length");
        String mask = g.input(MaskedLmSignature.ATTENTION_MASK, DataType.INT64, "batch_size", "sequence_length");
        String e = g.node("Gather", "embeddings", List.of(g.initializer("embeddings.weight", w.tensor("emb", VOCAB, HIDDEN)), ids));
        String scores = g.node("MatMul", "encoder/scores", List.of(e, g.node("Transpose", "encoder/keys", List.of(e),
                intsAttribute("perm", 0, 2, 1))));
        String probs = g.node("Softmax", "encoder/probs", List.of(scores), intAttribute("axis", -1));
        String context = g.node("MatMul", "encoder/context", List.of(probs, e));
        String hidden = g.node("Add", "encoder/hidden", List.of(context, e));

        String dense = g.node("Add", "/cls/predictions/transform/dense/Add_output_0", List.of(
                g.node("MatMul", "/cls/predictions/transform/dense/MatMul_output_0",
                        List.of(hidden, g.initializer("onnx::MatMul_1", w.tensor("w1", HIDDEN, HIDDEN)))),
                g.initializer("cls.predictions.transform.dense.bias", w.tensor("b1", HIDDEN))));
        String div = g.node("Div", "/gelu/Div", List.of(dense, constant(g, "/gelu/Constant", 1.4142135f)));
        String erf = g.node("Erf", "/gelu/Erf", List.of(div));
        String plusOne = g.node("Add", "/gelu/Add", List.of(erf, constant(g, "/gelu/Constant_1", 1f)));
        String times = g.node("Mul", "/gelu/Mul", List.of(dense, plusOne));
        String gelu = g.node("Mul", "/gelu/Mul_1", List.of(times, constant(g, "/gelu/Constant_2", 0.5f)));

        String mean = g.node("ReduceMean", "/ln/ReduceMean", List.of(gelu), intsAttribute("axes", -1));
        String centred = g.node("Sub", "/ln/Sub", List.of(gelu, mean));
        String squared = g.node("Pow", "/ln/Pow", List.of(centred, constant(g, "/ln/Constant", 2f)));
        String variance = g.node("ReduceMean", "/ln/ReduceMean_1", List.of(squared), intsAttribute("axes", -1));
        String std = g.node("Sqrt", "/ln/Sqrt", List.of(g.node("Add", "/ln/Add", List.of(variance,
                constant(g, "/ln/Constant_1", 1e-12f)))));
        String normed = g.node("Div", "/ln/Div", List.of(centred, std));
        String scaled = g.node("Mul", "/ln/Mul", List.of(normed, g.initializer("ln.weight", w.tensor("gamma", HIDDEN))));
        String ln = g.node("Add", "/ln/Add_1", List.of(scaled, g.initializer("ln.bias", w.tensor("beta", HIDDEN))));

        String decoded = g.node("MatMul", "/cls/predictions/decoder/MatMul_output_0",
                List.of(ln, g.initializer("onnx::MatMul_2", w.tensor("decoder", HIDDEN, VOCAB))));
        if (readsMask) {
            String maskFloat = g.node("Cast", "/mask/Cast", List.of(mask), intAttribute("to", DataType.FLOAT_VALUE));
            String mask3d = g.node("Unsqueeze", "/mask/Unsqueeze", List.of(maskFloat, g.int64s("/mask/axes", 2)));
            decoded = g.node("Add", "/mask/Add", List.of(decoded, mask3d));
        }
        g.node("Add", MaskedLmSignature.LOGITS, List.of(decoded, g.initializer("cls.predictions.bias", w.tensor("bias", VOCAB))));
        g.output(MaskedLmSignature.LOGITS, DataType.FLOAT, "batch_size", "sequence_length", VOCAB);
        return g.build("pytorch", "2.1");
    }

    /** A float scalar as a Constant node, the way torch.onnx writes literals. */
    private static String constant(OnnxGraphBuilder g, String name, float value) {
        TensorProto t = TensorProto.newBuilder().setDataType(DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value)))
                .build();
        return g.node("Constant", name, List.of(),
                AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(t).build());
    }

    private static ModelProto withOpset(ModelProto model, long opset) {
        return model.toBuilder().clearOpsetImport()
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
    }

    private static float[][][] runFull(ModelProto model, long[][] ids) throws OrtException {
        try (OrtSession session = ENV.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor idsTensor = OnnxTensor.createTensor(ENV, ids);
             OnnxTensor maskTensor = OnnxTensor.createTensor(ENV, ones(ids));
             OrtSession.Result result = session.run(Map.of(MaskedLmSignature.INPUT_IDS, idsTensor,
                     MaskedLmSignature.ATTENTION_MASK, maskTensor))) {
            return (float[][][]) result.get(0).getValue();
        }
    }

    private static float[][] runAtMasks(ModelProto model, long[][] ids, long[] positions) throws OrtException {
        try (OrtSession session = ENV.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor idsTensor = OnnxTensor.createTensor(ENV, ids);
             OnnxTensor maskTensor = OnnxTensor.createTensor(ENV, ones(ids));
             OnnxTensor positionsTensor = OnnxTensor.createTensor(ENV, LongBuffer.wrap(positions),
                     new long[] {positions.length});
             OrtSession.Result result = session.run(Map.of(MaskedLmSignature.INPUT_IDS, idsTensor,
                     MaskedLmSignature.ATTENTION_MASK, maskTensor, MaskedLmSignature.MASK_POSITIONS, positionsTensor))) {
            assertEquals(MaskedLmSignature.MASK_LOGITS, session.getOutputNames().iterator().next());
            return (float[][]) result.get(0).getValue();
        }
    }

    private static long[][] ones(long[][] ids) {
        long[][] m = new long[ids.length][ids[0].length];
        for (long[] row : m) {
            java.util.Arrays.fill(row, 1L);
        }
        return m;
    }
}
