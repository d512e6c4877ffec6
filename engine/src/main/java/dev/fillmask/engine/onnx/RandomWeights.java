package dev.fillmask.engine.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Reproducible random weights for small test models. Each tensor is seeded from its name, so adding a tensor to a
 * graph does not change the others. LayerNorm scales are ones (as in a fresh model) so activations stay in range.
 */
public final class RandomWeights implements WeightSource {
    private final long seed;
    private final double std;

    public RandomWeights(long seed, double std) {
        this.seed = seed;
        this.std = std;
    }

    @Override
    public FloatTensor tensor(String name, long... shape) {
        long count = FloatTensor.elementCount(shape);
        ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(count * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(seed * 31 + name.hashCode());
        boolean layerNormScale = name.endsWith("/gamma");
        for (long i = 0; i < count; i++) {
            data.putFloat(layerNormScale ? 1f : (float) (random.nextGaussian() * std));
        }
        return new FloatTensor(data.flip(), shape);
    }
}
