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
 * <p>How many levels: the u8×s8 multiply-add of CPUs without VNNI (AVX2) adds two products in 16 bits and saturates
 * when both operands use 8 bits; one of them must have 7. {@link Int8Options#reduceRange()} gives the weights 7 bits
 * and the activations 8 (as ONNX Runtime's own quantizer does); {@link Int8Options#sevenBitActivations()} the other
 * way round.
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
    static Quantized quantize(GraphEditor editor, String normalized, Int8Options options, List<NodeProto> preparation) {
        int half = options.sevenBitActivations() ? 63 : 127;
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
