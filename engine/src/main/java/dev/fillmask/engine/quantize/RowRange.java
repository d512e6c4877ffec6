package dev.fillmask.engine.quantize;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;

/** Row statistics of one calibration activation, as {@link RowScaling} will see its rows. */
final class RowRange {
    private RowRange() {}

    /**
     * The lowest value of any row (last dimension) of {@code tensor} once the {@code outliers} channels are left
     * out and the row is divided by its largest remaining |value|; 0 when no row has a negative value. Rows that are
     * all zero are skipped, as {@link RowScaling} leaves them at zero.
     */
    static float lowestNormalized(OnnxTensor tensor, int[] outliers) {
        long[] shape = ((TensorInfo) tensor.getInfo()).getShape();
        int channels = (int) shape[shape.length - 1];
        boolean[] skip = new boolean[channels];
        for (int c : outliers) {
            skip[c] = true;
        }
        FloatBuffer data = tensor.getFloatBuffer();
        float lowest = 0;
        for (int row = 0; row + channels <= data.limit(); row += channels) {
            float maxAbs = 0;
            float min = Float.MAX_VALUE;
            for (int c = 0; c < channels; c++) {
                if (!skip[c]) {
                    float x = data.get(row + c);
                    maxAbs = Math.max(maxAbs, Math.abs(x));
                    min = Math.min(min, x);
                }
            }
            if (maxAbs > 0) {
                lowest = Math.min(lowest, min / maxAbs);
            }
        }
        return lowest;
    }
}
