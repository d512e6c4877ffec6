package dev.fillmask.engine;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class MaskScorerTest {

    @Test
    void topKMatchesAFullSortOfTheSoftmax() {
        Random random = new Random(7);
        for (int round = 0; round < 50; round++) {
            float[] logits = new float[1000];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (random.nextGaussian() * 4);
            }
            int k = 1 + random.nextInt(20);
            MaskScorer.Scored scored = MaskScorer.score(logits, null, k);

            double[] probs = softmax(logits);
            long[] expected = IntStream.range(0, logits.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -probs[i]))
                    .limit(k).mapToLong(Integer::longValue).toArray();
            assertArrayEquals(expected, scored.ids());
            for (int i = 0; i < k; i++) {
                assertEquals(probs[(int) expected[i]], scored.scores()[i], 1e-6);
            }
        }
    }

    @Test
    void targetsKeepTheirFullVocabularyProbabilityAndAreCappedAtK() {
        float[] logits = {0f, 1f, 2f, 3f, 4f};
        double[] probs = softmax(logits);
        MaskScorer.Scored scored = MaskScorer.score(logits, new long[] {0, 3, 1}, 2);
        assertArrayEquals(new long[] {3, 1}, scored.ids());
        assertEquals(probs[3], scored.scores()[0], 1e-7);
        assertEquals(probs[1], scored.scores()[1], 1e-7);
    }

    @Test
    void equalLogitsAreOrderedByIdSoAnswersAreStable() {
        float[] logits = new float[10];
        Arrays.fill(logits, 1f);
        assertArrayEquals(new long[] {0, 1, 2}, MaskScorer.score(logits, null, 3).ids());
    }

    private static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max) / sum;
        }
        return p;
    }
}
