package dev.fillmask.schemas;

/**
 * The bounds the codec enforces on a request; each one exceeded gives a clear {@link DecodedRequest.Invalid}.
 *
 * @param maxRequestBytes the most bytes (UTF-8) one request may have; checked before parsing
 * @param maxInputChars   the most characters (UTF-16 code units, Java's {@code String.length()}) {@code inputs} may have
 * @param maxMasks        the most masks one input may have. The codec does not know the mask token, so it does not
 *                        check this; it is carried here so that the engine reads every bound from one place.
 * @param maxTargets      the most entries {@code parameters.targets} may have
 * @param maxTopK         the largest {@code parameters.top_k} accepted; by default {@link Integer#MAX_VALUE}, since the
 *                        engine caps {@code top_k} at the vocabulary size anyway
 */
public record RequestLimits(int maxRequestBytes, int maxInputChars, int maxMasks, int maxTargets, int maxTopK)
        implements java.io.Serializable {

    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_INPUT_CHARS = 100_000;
    public static final int DEFAULT_MAX_MASKS = 64;
    public static final int DEFAULT_MAX_TARGETS = 1_000;
    public static final int DEFAULT_MAX_TOP_K = Integer.MAX_VALUE;

    public RequestLimits {
        requirePositive("maxRequestBytes", maxRequestBytes);
        requirePositive("maxInputChars", maxInputChars);
        requirePositive("maxMasks", maxMasks);
        requirePositive("maxTargets", maxTargets);
        requirePositive("maxTopK", maxTopK);
    }

    /** 1 MiB, 100,000 characters, 64 masks, 1,000 targets, no top_k limit of its own. */
    public static RequestLimits defaults() {
        return new RequestLimits(DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_INPUT_CHARS, DEFAULT_MAX_MASKS,
                DEFAULT_MAX_TARGETS, DEFAULT_MAX_TOP_K);
    }

    public RequestLimits withMaxRequestBytes(int value) {
        return new RequestLimits(value, maxInputChars, maxMasks, maxTargets, maxTopK);
    }

    public RequestLimits withMaxInputChars(int value) {
        return new RequestLimits(maxRequestBytes, value, maxMasks, maxTargets, maxTopK);
    }

    public RequestLimits withMaxMasks(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, value, maxTargets, maxTopK);
    }

    public RequestLimits withMaxTargets(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, maxMasks, value, maxTopK);
    }

    public RequestLimits withMaxTopK(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, maxMasks, maxTargets, value);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }
}
