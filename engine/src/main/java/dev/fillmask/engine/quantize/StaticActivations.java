package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.fillmask.engine.onnx.GraphEditor;
import dev.fillmask.engine.onnx.OnnxGraphBuilder;

import java.util.List;

/**
 * Static activation scales ({@link Int8Options#staticActivations()}): an activation whose rows have been divided by
 * their largest |value| ({@link RowScaling}) lies in [-1, 1], so one constant scale and zero point quantize it
 * without clipping its top, whatever the input, and one {@code QuantizeLinear} serves all its int8 MatMuls (Q, K and
 * V, or the projections that read one hidden state).
 *
 * <p>The low end is calibrated: the shipped calibration texts give the lowest normalized value each activation
 * reaches ({@link ActivationRanges#lowestNormalized}), and the range starts a margin below it (never below -1).
 * LayerNorm outputs reach about -1 and keep the symmetric range; GELU outputs, all but non-negative, get their 256
 * levels over about [-0.1, 1], twice as fine. A value below the calibrated end (only a near-zero negative one, from
 * text unlike the calibration's) is clipped to it.
 *
 * <p>Activations get all 8 bits. 7 bits for them and 8 for the weights, the other way to keep the u8×s8 kernel of
 * CPUs without VNNI from saturating, was tried on BERT-base and was less accurate than 7-bit weights (top-5 overlap
 * 0.918 against 0.946 on the bench corpus, largest score difference 0.22 against 0.11).
 */
final class StaticActivations {
    /**
     * @param values the uint8 activation
     * @param scale its scale, a float scalar
     * @param zeroPoint its zero point, a uint8 scalar
     * @param rowsOf the float activation it quantizes (distinguishes weights scaled for different readers)
     */
    record Quantized(String values, String scale, String zeroPoint, String rowsOf) {}

    /** How far below the calibrated low end the range starts, as a share of it. */
    static final float LOW_END_MARGIN = 0.25f;
    private static final int LEVELS = 255;

    private StaticActivations() {}

    /**
     * Adds to {@code preparation} the QuantizeLinear of {@code normalized}, whose values lie in [-1, 1] and, on the
     * calibration texts, no lower than {@code lowest} (-1 when not calibrated).
     */
    static Quantized quantize(GraphEditor editor, String normalized, float lowest, List<NodeProto> preparation) {
        float low = Math.max(-1f, Math.min(0f, lowest) * (1 + LOW_END_MARGIN));
        float scale = (1f - low) / LEVELS;
        int zero = Math.round(-low / scale);
        String scaleName = editor.addFloats(normalized + "/scale", new float[] {scale});
        String zeroPoint = editor.addTensor(normalized + "/zero_point", TensorProto.DataType.UINT8,
                ByteString.copyFrom(new byte[] {(byte) zero}));
        String values = editor.freshName(normalized + "/uint8");
        preparation.add(OnnxGraphBuilder.newNode("QuantizeLinear", values, List.of(normalized, scaleName, zeroPoint),
                values));
        return new Quantized(values, scaleName, zeroPoint, normalized);
    }
}
