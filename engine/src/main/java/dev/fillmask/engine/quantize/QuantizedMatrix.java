package dev.fillmask.engine.quantize;

import java.nio.FloatBuffer;

/**
 * A float matrix [rows, columns] (row-major, as an ONNX MatMul's B is [K, N]) as symmetric int8 with one scale per
 * column, or one for the whole matrix: {@code w ≈ q · scale}. Symmetric keeps zero exact and lets ONNX Runtime skip
 * the zero-point correction; rounding is half-to-even, as ONNX Runtime's own quantizer rounds.
 *
 * @param values the int8 values, row-major like the input
 * @param scales one per column, or a single one
 */
record QuantizedMatrix(byte[] values, float[] scales) {

    static QuantizedMatrix quantize(FloatBuffer weights, int rows, int columns, Int8Options options) {
        return quantize(weights, null, rows, columns, options);
    }

    /**
     * The same for {@code diag(rowScales) · weights} (null: no row scaling), without materialising the scaled matrix:
     * the outlier channels' rows are scaled by 0 (their part is computed in float32 instead).
     */
    static QuantizedMatrix quantize(FloatBuffer weights, float[] rowScales, int rows, int columns, Int8Options options) {
        if ((long) rows * columns != weights.remaining()) {
            throw new IllegalArgumentException("a [" + rows + ", " + columns + "] matrix needs " + (long) rows * columns
                    + " floats, got " + weights.remaining());
        }
        int base = weights.position();
        float[] maxAbs = new float[columns];
        for (int r = 0; r < rows; r++) {
            int row = base + r * columns;
            float rs = rowScales == null ? 1f : rowScales[r];
            for (int c = 0; c < columns; c++) {
                maxAbs[c] = Math.max(maxAbs[c], Math.abs(weights.get(row + c) * rs));
            }
        }
        float[] scales = options.perChannel() ? new float[columns] : new float[1];
        if (options.perChannel()) {
            for (int c = 0; c < columns; c++) {
                scales[c] = scale(maxAbs[c], options);
            }
        } else {
            float max = 0;
            for (float m : maxAbs) {
                max = Math.max(max, m);
            }
            scales[0] = scale(max, options);
        }
        int level = options.maxLevel();
        byte[] values = new byte[rows * columns];
        for (int r = 0; r < rows; r++) {
            int row = r * columns;
            float rs = rowScales == null ? 1f : rowScales[r];
            for (int c = 0; c < columns; c++) {
                float s = scales[options.perChannel() ? c : 0];
                double q = Math.rint(weights.get(base + row + c) * rs / s);
                values[row + c] = (byte) Math.max(-level, Math.min(level, q));
            }
        }
        return new QuantizedMatrix(values, scales);
    }

    /** A column of zeros gets scale 1, not 0, so that dequantizing never divides by zero. */
    private static float scale(float maxAbs, Int8Options options) {
        return maxAbs > 0 ? maxAbs / options.maxLevel() : 1f;
    }
}
