package dev.fillmask.engine.quantize;

import java.util.Locale;

/**
 * How {@link Int8Quantizer} quantizes weights and activations, and what it leaves in float32.
 *
 * @param perChannel one scale per output column of each weight matrix (true), or one per matrix (false). Per column
 *     costs nothing at run time (ONNX Runtime applies the scales while converting the int32 sums back to float)
 *     and keeps columns with small weights from losing their precision to the largest column's range.
 * @param reduceRange quantize weights to 7 bits ([-63, 63]) instead of 8. For CPUs without VNNI (AVX2 only):
 *     their u8×s8 multiply-add saturates 16-bit sums with full-range weights, which costs accuracy. CPUs with
 *     AVX-512 VNNI, AVX-VNNI or AMX (and ARM) have no such limit, and 8 bits are more accurate there. The default
 *     follows the CPU that quantizes ({@link CpuFeatures}): quantize on the kind of CPU that will serve.
 * @param smoothing SmoothQuant's migration strength α in [0, 1]; 0 turns smoothing (and calibration) off. Each
 *     activation channel j is divided by s_j = max|X_j|^α / max|W_j|^(1-α) (measured on calibration texts) and the
 *     weights' row j multiplied by it, which leaves X·W unchanged but flattens the few huge activation channels
 *     that would otherwise set the one per-tensor activation scale. Larger α moves more of the range into the
 *     weights (which have per-column scales to take it).
 * @param outlierChannels at most this many channels per activation are kept out of int8 (0: none): those the
 *     calibration texts show to be far larger than the rest. The int8 MatMul sees them as zeros and a float32 MatMul
 *     over just those channels adds their part back, so the one per-tensor activation scale fits the ordinary
 *     values. This is what makes dynamic int8 usable on BERT (see {@link ActivationRanges}).
 * @param blockSize 0 for {@code DynamicQuantizeMatMul} (fast: one activation scale per tensor); a power of two
 *     >= 16 for {@code MatMulNBits} with 8-bit weights in blocks of that many rows and int8 compute, where ONNX
 *     Runtime quantizes activations per row and block: more accurate, but on ONNX Runtime 1.29 no faster than fp32
 *     for batches of sentences, so only worth it for its size.
 * @param floatFfnOutputLayers the feed-forward output dense (intermediate → hidden, after GELU) of the last this many
 *     transformer layers stays float32 (0: none). On BERT-base it did not pay: 0.957 top-1 agreement with all twelve
 *     in float32, against 0.965 without, for +80 % time.
 * @param floatLayers every MatMul of the last this many transformer layers stays float32 (0: none). The last layer's
 *     errors reach the LM head undamped; with per-row activation scales, keeping it in float32 took the bench corpus
 *     from 114/115 to 115/115 masks agreeing with fp32 for a few milliseconds per batch.
 * @param perRowActivations each row (token) of an activation is divided by its own largest |value| before the int8
 *     MatMul and the product multiplied back after it (Abs, ReduceMax, Div once per activation, one Mul per
 *     MatMul; bias Adds then stay separate), so the one dynamic scale per tensor fits every token instead of being
 *     set by the few tokens ([SEP], the final period) whose values are far larger. With outlier channels: 0.965 →
 *     0.991 top-1 agreement on the bench corpus for about +10 % time. Off: the older per-tensor activation scales.
 */
public record Int8Options(boolean perChannel, boolean reduceRange, double smoothing, int outlierChannels,
                          int blockSize, int floatFfnOutputLayers, int floatLayers, boolean perRowActivations) {

    /** Off: on BERT-base, smoothing on top of outlier channels cost agreement (0.974 → 0.913 at α 0.25). */
    public static final double DEFAULT_SMOOTHING = 0;
    public static final int DEFAULT_OUTLIER_CHANNELS = 32;
    public static final int DEFAULT_FLOAT_FFN_OUTPUT_LAYERS = 0;
    public static final int DEFAULT_FLOAT_LAYERS = 1;
    public static final boolean DEFAULT_PER_ROW_ACTIVATIONS = true;
    /**
     * An activation has outliers worth taking out of int8 when its largest channel maximum is this many times the
     * median channel's; below that, one scale per tensor serves it well and the extra ops would only cost time.
     */
    static final double ACTIVATION_OUTLIER_RATIO = 16;
    /** In such an activation, a channel is an outlier when its maximum exceeds this many times the median's. */
    static final double CHANNEL_OUTLIER_RATIO = 4;

    public Int8Options {
        if (smoothing < 0 || smoothing > 1) {
            throw new IllegalArgumentException("smoothing must be within [0, 1], got " + smoothing);
        }
        if (outlierChannels < 0) {
            throw new IllegalArgumentException("outlier channels must be >= 0, got " + outlierChannels);
        }
        if (floatFfnOutputLayers < 0 || floatLayers < 0) {
            throw new IllegalArgumentException("float32 layer counts must be >= 0, got " + floatFfnOutputLayers
                    + " and " + floatLayers);
        }
        if (blockSize != 0 && (blockSize < 16 || Integer.bitCount(blockSize) != 1)) {
            throw new IllegalArgumentException("block size must be 0 or a power of two >= 16, got " + blockSize);
        }
    }

    public Int8Options(boolean perChannel, boolean reduceRange, double smoothing) {
        this(perChannel, reduceRange, smoothing, 0, 0, 0, 0, false);
    }

    public Int8Options(boolean perChannel, boolean reduceRange, double smoothing, int outlierChannels, int blockSize) {
        this(perChannel, reduceRange, smoothing, outlierChannels, blockSize, 0, 0, false);
    }

    public static Int8Options defaults() {
        return new Int8Options(true, CpuFeatures.x86WithoutVnni(), DEFAULT_SMOOTHING, DEFAULT_OUTLIER_CHANNELS, 0,
                DEFAULT_FLOAT_FFN_OUTPUT_LAYERS, DEFAULT_FLOAT_LAYERS, DEFAULT_PER_ROW_ACTIVATIONS);
    }

    public Int8Options withSmoothing(double alpha) {
        return new Int8Options(perChannel, reduceRange, alpha, outlierChannels, blockSize, floatFfnOutputLayers,
                floatLayers, perRowActivations);
    }

    public Int8Options withOutlierChannels(int count) {
        return new Int8Options(perChannel, reduceRange, smoothing, count, blockSize, floatFfnOutputLayers, floatLayers,
                perRowActivations);
    }

    public Int8Options withBlockSize(int size) {
        return new Int8Options(perChannel, reduceRange, smoothing, outlierChannels, size, floatFfnOutputLayers,
                floatLayers, perRowActivations);
    }

    public Int8Options withFloatFfnOutputLayers(int layers) {
        return new Int8Options(perChannel, reduceRange, smoothing, outlierChannels, blockSize, layers, floatLayers,
                perRowActivations);
    }

    public Int8Options withFloatLayers(int layers) {
        return new Int8Options(perChannel, reduceRange, smoothing, outlierChannels, blockSize, floatFfnOutputLayers,
                layers, perRowActivations);
    }

    public Int8Options withPerRowActivations(boolean perRow) {
        return new Int8Options(perChannel, reduceRange, smoothing, outlierChannels, blockSize, floatFfnOutputLayers,
                floatLayers, perRow);
    }

    /** Whether quantizing needs activation ranges measured on calibration texts. */
    public boolean needsCalibration() {
        return smoothing > 0 || outlierChannels > 0;
    }

    /** The largest quantized magnitude: symmetric, so zero is exact and no zero point is needed. */
    int maxLevel() {
        return reduceRange ? 63 : 127;
    }

    String describe() {
        if (blockSize > 0) {
            return String.format(Locale.ROOT, "MatMulNBits 8-bit blocks of %d, int8 compute, %s", blockSize,
                    smoothing > 0 ? String.format(Locale.ROOT, "SmoothQuant α %.2f", smoothing) : "no smoothing")
                    + floatLayersDescription();
        }
        return (perChannel ? "per-column" : "per-tensor") + " scales, " + (reduceRange ? "7-bit" : "8-bit") + " weights, "
                + (smoothing > 0 ? String.format(Locale.ROOT, "SmoothQuant α %.2f", smoothing) : "no smoothing")
                + ", up to " + outlierChannels + " outlier channels per activation in float32"
                + floatLayersDescription();
    }

    private String floatLayersDescription() {
        return (perRowActivations ? ", activations scaled per row (token)" : "")
                + (floatFfnOutputLayers > 0 ? ", feed-forward output dense of the last " + floatFfnOutputLayers
                + " layers in float32" : "")
                + (floatLayers > 0 ? ", last " + floatLayers + " layers wholly in float32" : "");
    }
}
