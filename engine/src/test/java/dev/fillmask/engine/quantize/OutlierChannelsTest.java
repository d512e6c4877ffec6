package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;
import dev.fillmask.engine.onnx.RandomWeights;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One dense layer whose input has BERT's kind of outliers (two channels 200 times larger than the rest, at one row):
 * with one activation scale per tensor the ordinary values lose nearly all precision; with the outlier channels kept
 * in float32 the int8 result is close to float again.
 */
class OutlierChannelsTest {
    private static final int ROWS = 24;
    private static final int K = 64;
    private static final int N = 32;
    private static final int[] OUTLIERS = {5, 40};
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    /**
     * One activation scale per tensor; no layer kept in float32 (the one dense layer here would count as the last).
     * 7-bit weights on x86 CPUs without VNNI, whose int8 MatMul saturates with 8-bit ones (see DefaultModelInt8Test).
     */
    private static final Int8Options PER_TENSOR = Int8Options.defaults().withPerRowActivations(false).withFloatLayers(0)
            .withReduceRange(CpuFeatures.x86WithoutVnni());
    private static final Int8Options PER_ROW = PER_TENSOR.withPerRowActivations(true);

    @Test
    void outlierChannelsLeaveInt8AndAccuracyReturns() throws OrtException {
        ModelProto fp32 = denseLayer();
        float[][] input = inputWithOutliers();
        Map<String, float[]> ranges = Map.of("x", channelMax(input));

        ModelProto plain = Int8Quantizer.quantize(fp32, PER_TENSOR.withOutlierChannels(0), ranges, n -> true).model();
        Int8Quantizer.Result split = Int8Quantizer.quantize(fp32, PER_TENSOR, ranges, n -> true);
        assertEquals(OUTLIERS.length, split.outlierChannels());
        List<String> ops = split.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(List.of("Mul", "Gather", "DynamicQuantizeMatMul", "MatMul", "Add", "Identity"), ops);

        float[][] expected = run(fp32, input);
        double plainError = maxError(expected, run(plain, input));
        double splitError = maxError(expected, run(split.model(), input));
        assertTrue(splitError < plainError / 10, "outliers split: " + splitError + ", not: " + plainError);
        assertTrue(splitError < 0.05, "error with the outliers in float32: " + splitError);
    }

    /**
     * Per-row activation scales: the two outlier tokens no longer set the scale of the other rows, which come out
     * as accurate as with the outlier channels in float32; with both, every row does.
     */
    @Test
    void perRowScalesSpareTheOrdinaryTokens() throws OrtException {
        ModelProto fp32 = denseLayer();
        float[][] input = inputWithOutliers();
        Map<String, float[]> ranges = Map.of("x", channelMax(input));
        float[][] expected = run(fp32, input);
        double plainError = maxError(expected, run(Int8Quantizer.quantize(fp32, PER_TENSOR.withOutlierChannels(0),
                ranges, n -> true).model(), input));

        Int8Quantizer.Result rowsOnly = Int8Quantizer.quantize(fp32, PER_ROW.withOutlierChannels(0), ranges, n -> true);
        List<String> ops = rowsOnly.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(List.of("Abs", "ReduceMax", "Max", "Div", "DynamicQuantizeMatMul", "Mul", "Add", "Identity"), ops);
        float[][] rows = run(rowsOnly.model(), input);
        double ordinaryError = 0;
        for (int r = 0; r < ROWS; r++) {
            if (r != 3 && r != 7) {
                ordinaryError = Math.max(ordinaryError, maxError(new float[][] {expected[r]}, new float[][] {rows[r]}));
            }
        }
        assertTrue(ordinaryError < plainError / 10, "ordinary rows, per row: " + ordinaryError + ", per tensor: " + plainError);
        assertTrue(ordinaryError < 0.05, "ordinary rows, per row: " + ordinaryError);

        Int8Quantizer.Result both = Int8Quantizer.quantize(fp32, PER_ROW, ranges, n -> true);
        assertEquals(OUTLIERS.length, both.outlierChannels());
        double bothError = maxError(expected, run(both.model(), input));
        assertTrue(bothError < 0.05, "per row with the outlier channels in float32: " + bothError);
    }

    /** x [rows, K] → MatMul W [K, N] → Add bias → y; a second output keeps the layer from passing for an LM head. */
    private static ModelProto denseLayer() {
        OnnxGraphBuilder g = new OnnxGraphBuilder("dense");
        RandomWeights w = new RandomWeights(11, 0.1);
        String x = g.input("x", DataType.FLOAT, "rows", K);
        String product = g.node("MatMul", "product", List.of(x, g.initializer("w", w.tensor("w", K, N))));
        g.node("Add", "y", List.of(product, g.initializer("b", w.tensor("b", N))));
        g.output("y", DataType.FLOAT, "rows", N);
        g.node("Identity", "x_copy", List.of(x));
        g.output("x_copy", DataType.FLOAT, "rows", K);
        return g.build("test", "1");
    }

    private static float[][] inputWithOutliers() {
        Random random = new Random(3);
        float[][] x = new float[ROWS][K];
        for (float[] row : x) {
            for (int k = 0; k < K; k++) {
                row[k] = (float) random.nextGaussian() * 0.5f;
            }
        }
        for (int c : OUTLIERS) {
            x[7][c] = 120f; // one token, two channels: the pattern of BERT's period and [SEP] tokens
            x[3][c] = -60f;
        }
        return x;
    }

    private static float[] channelMax(float[][] x) {
        float[] max = new float[K];
        for (float[] row : x) {
            for (int k = 0; k < K; k++) {
                max[k] = Math.max(max[k], Math.abs(row[k]));
            }
        }
        return max;
    }

    private static float[][] run(ModelProto model, float[][] input) throws OrtException {
        try (OrtSession session = ENV.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(ENV, input);
             OrtSession.Result result = session.run(Map.of("x", x))) {
            return (float[][]) result.get("y").orElseThrow().getValue();
        }
    }

    private static double maxError(float[][] a, float[][] b) {
        double max = 0;
        for (int r = 0; r < a.length; r++) {
            for (int c = 0; c < a[r].length; c++) {
                max = Math.max(max, Math.abs(a[r][c] - b[r][c]));
            }
        }
        return max;
    }
}
