package dev.fillmask.engine;

/**
 * What the engine does to a model's graph when it loads it, before ONNX Runtime sees it (see
 * {@link RewrittenModels}). Neither rewrite changes an answer beyond float rounding; both only ever save work.
 */
public enum GraphRewrites {
    /** The model file as it is. */
    NONE,
    /** A plain export's LM head moved to run at the mask positions only, nothing else. */
    HEAD_AT_MASKS,
    /**
     * The head at the masks, and a float32 encoder of the importer's form fused into ONNX Runtime's contrib ops
     * (Attention, SkipLayerNormalization, the decoder on the untransposed embeddings): the default.
     */
    ALL
}
