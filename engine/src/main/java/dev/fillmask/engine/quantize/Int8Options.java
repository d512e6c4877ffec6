package dev.fillmask.engine.quantize;

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
 * @param outlierChannels at most this many channels per activation are kept out of int8 (0: none): those the
 *     calibration texts show to be far larger than the rest. The int8 MatMul sees them as zeros and a float32 MatMul
 *     over just those channels adds their part back, so the one per-tensor activation scale fits the ordinary
 *     values. This is what makes dynamic int8 usable on BERT (see {@link ActivationRanges}).
 * @param floatLayers every MatMul of the last this many transformer layers stays float32 (0: none). The last layer's
 *     errors reach the LM head undamped; with per-row activation scales, keeping it in float32 took the bench corpus
 *     from 114/115 to 115/115 masks agreeing with fp32 for a few milliseconds per batch.
 * @param perRowActivations each row (token) of an activation is divided by its own largest |value| before the int8
 *     MatMul and the product multiplied back after it (Abs, ReduceMax, Div once per activation, one Mul per
 *     MatMul; bias Adds then stay separate), so the one dynamic scale per tensor fits every token instead of being
 *     set by the few tokens ([SEP], the final period) whose values are far larger. With outlier channels: 0.965 →
 *     0.991 top-1 agreement on the bench corpus for about +10 % time. Off: the older per-tensor activation scales.
 * @param fused quantize the fused float32 graph ({@link dev.fillmask.engine.onnx.EncoderFusion}, attention in its
 *     projected form) rather than the graph as imported: the int8 model then runs ONNX Runtime's
 *     MultiHeadAttention, SkipLayerNormalization and BiasGelu instead of about 18 separate kernels per attention
 *     block and two Adds and a LayerNormalization per residual; Q, K and V stay three int8 MatMuls in front of the
 *     MultiHeadAttention. A graph the fusion does not recognise is quantized as it is.
 * @param staticActivations quantize each activation once, with a constant scale, before its int8 MatMuls
 *     ({@code QuantizeLinear} + {@code com.microsoft.MatMulIntegerToFloat}), instead of at every MatMul with a scale
 *     found at run time ({@code DynamicQuantizeMatMul}). Needs per-row activation scales: the rows are divided by
 *     their largest |value| first, so the range is [-1, 1] by construction and no calibrated range can be exceeded.
 * @param unsignedWeights store the weights as uint8 with zero point 128 (the same symmetric 8-bit levels, shifted):
 *     ONNX Runtime then multiplies with its u8×u8 kernel, which on CPUs without VNNI (AVX2) widens both operands to
 *     16 bits and sums in 32, so full 8-bit weights cannot saturate (the u8×s8 kernel's 16-bit pair sums can, which
 *     is why {@code reduceRange} exists). Slower per multiply than u8×s8, more accurate than 7-bit weights. Not
 *     with {@code reduceRange}.
 */
public record Int8Options(boolean perChannel, boolean reduceRange, int outlierChannels, int floatLayers,
                          boolean perRowActivations, boolean fused, boolean staticActivations,
                          boolean unsignedWeights) {

    public static final int DEFAULT_OUTLIER_CHANNELS = 32;
    public static final int DEFAULT_FLOAT_LAYERS = 1;
    public static final boolean DEFAULT_PER_ROW_ACTIVATIONS = true;
    /**
     * The fused form is the default: on an AVX2 CPU it ran 4-8 % faster than the graph as imported and agreed with
     * fp32 at least as often on the bench corpus and on held-out prose (docs/performance.md, int8).
     */
    public static final boolean DEFAULT_FUSED = true;
    public static final boolean DEFAULT_STATIC_ACTIVATIONS = false;
    public Int8Options {
        if (outlierChannels < 0) {
            throw new IllegalArgumentException("outlier channels must be >= 0, got " + outlierChannels);
        }
        if (floatLayers < 0) {
            throw new IllegalArgumentException("the float32 layer count must be >= 0, got " + floatLayers);
        }
        if (unsignedWeights && reduceRange) {
            throw new IllegalArgumentException("uint8 weights use all 8 bits: reduceRange must be false with them");
        }
        if (staticActivations && !perRowActivations) {
            throw new IllegalArgumentException("static activation scales need per-row activation scales");
        }
    }

    public static Int8Options defaults() {
        return new Int8Options(true, CpuFeatures.x86WithoutVnni(), DEFAULT_OUTLIER_CHANNELS, DEFAULT_FLOAT_LAYERS,
                DEFAULT_PER_ROW_ACTIVATIONS, DEFAULT_FUSED, DEFAULT_STATIC_ACTIVATIONS, false);
    }

    public Int8Options withPerChannel(boolean perColumn) {
        return new Int8Options(perColumn, reduceRange, outlierChannels, floatLayers, perRowActivations, fused,
                staticActivations, unsignedWeights);
    }

    public Int8Options withReduceRange(boolean sevenBits) {
        return new Int8Options(perChannel, sevenBits, outlierChannels, floatLayers, perRowActivations, fused,
                staticActivations, unsignedWeights);
    }

    public Int8Options withOutlierChannels(int count) {
        return new Int8Options(perChannel, reduceRange, count, floatLayers, perRowActivations, fused, staticActivations,
                unsignedWeights);
    }

    public Int8Options withFloatLayers(int layers) {
        return new Int8Options(perChannel, reduceRange, outlierChannels, layers, perRowActivations, fused,
                staticActivations, unsignedWeights);
    }

    public Int8Options withPerRowActivations(boolean perRow) {
        return new Int8Options(perChannel, reduceRange, outlierChannels, floatLayers, perRow, fused,
                staticActivations && perRow, unsignedWeights);
    }

    public Int8Options withFused(boolean fuseFirst) {
        return new Int8Options(perChannel, reduceRange, outlierChannels, floatLayers, perRowActivations, fuseFirst,
                staticActivations, unsignedWeights);
    }

    public Int8Options withStaticActivations(boolean constantScales) {
        return new Int8Options(perChannel, reduceRange, outlierChannels, floatLayers,
                perRowActivations || constantScales, fused, constantScales, unsignedWeights);
    }

    /** uint8 weights with zero point 128 and full 8 bits (true), or int8 as {@code reduceRange} says (false). */
    public Int8Options withUnsignedWeights(boolean unsigned) {
        return new Int8Options(perChannel, !unsigned && reduceRange, outlierChannels, floatLayers,
                perRowActivations, fused, staticActivations, unsigned);
    }

    /** Whether quantizing needs activation ranges measured on calibration texts. */
    public boolean needsCalibration() {
        return outlierChannels > 0;
    }

    /** The largest quantized magnitude: symmetric, so zero is exact and no zero point is needed. */
    int maxLevel() {
        return reduceRange ? 63 : 127;
    }

    String describe() {
        return weightsDescription() + ", " + float32Description() + ", " + formDescription();
    }

    /** Which graph is quantized and how activations are quantized. */
    String formDescription() {
        return (fused ? "fused graph" : "graph as imported") + ", "
                + (staticActivations ? "static activation scales" : "dynamic activation scales");
    }

    /** How the weights are stored, e.g. "per-column scales, 8-bit weights". */
    String weightsDescription() {
        return (perChannel ? "per-column" : "per-tensor") + " scales, "
                + (unsignedWeights ? "8-bit unsigned (u8×u8)" : reduceRange ? "7-bit" : "8-bit") + " weights";
    }

    /** What stays out of int8, and how activations are scaled. */
    String float32Description() {
        return "up to " + outlierChannels + " outlier channels per activation in float32"
                + (perRowActivations ? ", activations scaled per row (token)" : "")
                + (floatLayers > 0 ? ", last " + floatLayers + " layers wholly in float32" : "");
    }
}
