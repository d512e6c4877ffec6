package dev.fillmask.engine.onnx;

/**
 * Where a graph builder gets its weights: a real checkpoint, or generated ones for tests. The builder states the
 * shape it needs so that a generator knows what to make and a checkpoint can refuse a mismatch early, with the
 * name, instead of ONNX Runtime failing later on an anonymous MatMul.
 */
@FunctionalInterface
public interface WeightSource {

    /**
     * @param name  the variable name as in Google's TF BERT checkpoints, e.g. {@code bert/embeddings/word_embeddings}
     * @param shape the shape the graph needs
     */
    FloatTensor tensor(String name, long... shape);
}
