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
 * without clipping, whatever the input, and one {@code QuantizeLinear} serves all its int8 MatMuls (Q, K and V, or
 * the projections that read one hidden state). The range needs no calibration: it is the row normalization's.
 *
 * <p>Activations get all 8 bits ([1, 255] around 128). 7 bits for them and 8 for the weights, the other way to keep
 * the u8×s8 kernel of CPUs without VNNI from saturating, was tried on BERT-base and was less accurate than 7-bit
 * weights (top-5 overlap 0.918 against 0.946 on the bench corpus, largest score difference 0.22 against 0.11).
 */
final class StaticActivations {
    /**
     * @param values the uint8 activation
     * @param scale its scale, a float scalar
     * @param zeroPoint its zero point, a uint8 scalar
     * @param rowsOf the float activation it quantizes (distinguishes weights scaled for different readers)
     */
    record Quantized(String values, String scale, String zeroPoint, String rowsOf) {}

    private StaticActivations() {}

    /** Adds to {@code preparation} the QuantizeLinear of {@code normalized}, whose values lie in [-1, 1]. */
    static Quantized quantize(GraphEditor editor, String normalized, List<NodeProto> preparation) {
        int half = 127;
        int zero = half + 1;
        String scale = editor.addFloats(normalized + "/scale", new float[] {1f / half});
        String zeroPoint = editor.addTensor(normalized + "/zero_point", TensorProto.DataType.UINT8,
                ByteString.copyFrom(new byte[] {(byte) zero}));
        String values = editor.freshName(normalized + "/uint8");
        preparation.add(OnnxGraphBuilder.newNode("QuantizeLinear", values, List.of(normalized, scale, zeroPoint),
                values));
        return new Quantized(values, scale, zeroPoint, normalized);
    }
}
