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
 * @param maxAnswerBytes  the most bytes (UTF-8 JSON) one answer may have. A request whose answer would be larger gets
 *                        an error answer that says how large it would be and what to lower. The engine refuses what
 *                        is surely too large before it builds any candidate; the codec checks the exact size when it
 *                        writes the answer ({@link FillMaskCodec#writeBoundedAnswer}).
 */
public record RequestLimits(int maxRequestBytes, int maxInputChars, int maxMasks, int maxTargets, int maxTopK,
                            int maxAnswerBytes)
        implements java.io.Serializable {

    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_INPUT_CHARS = 100_000;
    public static final int DEFAULT_MAX_MASKS = 64;
    public static final int DEFAULT_MAX_TARGETS = 1_000;
    public static final int DEFAULT_MAX_TOP_K = Integer.MAX_VALUE;
    /**
     * Kafka's default producer {@code max.request.size} (1 MiB) less {@link #ANSWER_RECORD_RESERVE_BYTES}: an answer
     * this large still fits one producer request with its key and headers.
     */
    public static final int DEFAULT_MAX_ANSWER_BYTES = (1 << 20) - RequestLimits.ANSWER_RECORD_RESERVE_BYTES;
    /** The room kept beside an answer in one Kafka record for its key, headers and the record's framing. */
    public static final int ANSWER_RECORD_RESERVE_BYTES = 64 << 10;

    public RequestLimits {
        requirePositive("maxRequestBytes", maxRequestBytes);
        requirePositive("maxInputChars", maxInputChars);
        requirePositive("maxMasks", maxMasks);
        requirePositive("maxTargets", maxTargets);
        requirePositive("maxTopK", maxTopK);
        requirePositive("maxAnswerBytes", maxAnswerBytes);
    }

    /** 1 MiB, 100,000 characters, 64 masks, 1,000 targets, no top_k limit of its own, answers up to 960 KiB. */
    public static RequestLimits defaults() {
        return new RequestLimits(DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_INPUT_CHARS, DEFAULT_MAX_MASKS,
                DEFAULT_MAX_TARGETS, DEFAULT_MAX_TOP_K, DEFAULT_MAX_ANSWER_BYTES);
    }

    public RequestLimits withMaxRequestBytes(int value) {
        return new RequestLimits(value, maxInputChars, maxMasks, maxTargets, maxTopK, maxAnswerBytes);
    }

    public RequestLimits withMaxInputChars(int value) {
        return new RequestLimits(maxRequestBytes, value, maxMasks, maxTargets, maxTopK, maxAnswerBytes);
    }

    public RequestLimits withMaxMasks(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, value, maxTargets, maxTopK, maxAnswerBytes);
    }

    public RequestLimits withMaxTargets(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, maxMasks, value, maxTopK, maxAnswerBytes);
    }

    public RequestLimits withMaxTopK(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, maxMasks, maxTargets, value, maxAnswerBytes);
    }

    public RequestLimits withMaxAnswerBytes(int value) {
        return new RequestLimits(maxRequestBytes, maxInputChars, maxMasks, maxTargets, maxTopK, value);
    }

    /** The refusal of an {@code inputs} of {@code chars} characters, when over the bound (the codec's and the engine's). */
    public String inputTooLong(long chars) {
        return String.format(java.util.Locale.ROOT, "`inputs` is %,d characters, more than the limit of %,d", chars,
                maxInputChars);
    }

    /** The refusal of {@code count} targets, when over the bound (the codec's and the engine's). */
    public String tooManyTargets(long count) {
        return String.format(java.util.Locale.ROOT, "`parameters.targets` has %,d entries, more than the limit of %,d",
                count, maxTargets);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }
}
