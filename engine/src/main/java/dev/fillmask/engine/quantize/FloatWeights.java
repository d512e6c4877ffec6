package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.fillmask.engine.onnx.FloatTensor;
import dev.fillmask.engine.onnx.GraphIndex;

import java.nio.FloatBuffer;

/** The constant float32 weight matrices of MatMuls, and their values, as the quantizer reads them. */
final class FloatWeights {
    private FloatWeights() {}

    /** The constant float [K, N] weight of a MatMul that multiplies a computed value by it, else null. */
    static TensorProto matrix(GraphIndex index, NodeProto node) {
        if (!node.getOpType().equals("MatMul") || !GraphIndex.isStandard(node) || node.getInputCount() != 2) {
            return null;
        }
        TensorProto weight = index.initializer(node.getInput(1));
        if (weight == null || index.isConstant(node.getInput(0)) || weight.getDimsCount() != 2
                || weight.getDataType() != TensorProto.DataType.FLOAT_VALUE
                || weight.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        return weight;
    }

    /** The matrix's rows {@code rows}, as a float [rows, N] array. */
    static float[] rows(TensorProto weight, int[] rows) {
        int columns = Math.toIntExact(weight.getDims(1));
        FloatBuffer w = FloatTensor.values(weight);
        float[] out = new float[rows.length * columns];
        for (int r = 0; r < rows.length; r++) {
            w.get(rows[r] * columns, out, r * columns, columns);
        }
        return out;
    }
}
