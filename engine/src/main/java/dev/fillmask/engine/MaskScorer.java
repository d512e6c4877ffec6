package dev.fillmask.engine;

import java.util.Arrays;

/**
 * Softmax over the whole vocabulary at one mask, then the best candidates: either the top k of the vocabulary, or
 * the top k among given target ids (scored with their full-vocabulary probability, not renormalised).
 */
final class MaskScorer {
    private MaskScorer() {}

    /** Candidate token ids and their probabilities, best first. */
    record Scored(long[] ids, float[] scores) {}

    static Scored score(float[] logits, long[] targetIds, int topK) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        long[] ids = targetIds == null ? topIds(logits, topK) : topTargets(logits, targetIds, topK);
        float[] scores = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            scores[i] = (float) (Math.exp(logits[(int) ids[i]] - max) / sum);
        }
        return new Scored(ids, scores);
    }

    /** The k largest logits (softmax keeps the order), with a small min-heap: one pass, no sort of the vocabulary. */
    private static long[] topIds(float[] logits, int k) {
        k = Math.min(k, logits.length);
        int[] heap = new int[k];
        int size = 0;
        for (int id = 0; id < logits.length; id++) {
            if (size < k) {
                heap[size++] = id;
                siftUp(heap, size - 1, logits);
            } else if (better(id, heap[0], logits)) {
                heap[0] = id;
                siftDown(heap, size, logits);
            }
        }
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = heap[i];
        }
        Arrays.sort(order, (a, b) -> better(a, b, logits) ? -1 : better(b, a, logits) ? 1 : 0);
        return Arrays.stream(order).mapToLong(Integer::longValue).toArray();
    }

    private static long[] topTargets(float[] logits, long[] targetIds, int k) {
        return Arrays.stream(targetIds).boxed()
                .sorted((a, b) -> better(a.intValue(), b.intValue(), logits) ? -1
                        : better(b.intValue(), a.intValue(), logits) ? 1 : 0)
                .limit(Math.min(k, targetIds.length))
                .mapToLong(Long::longValue)
                .toArray();
    }

    /** Higher logit first; on a tie the lower id, so answers are deterministic. */
    private static boolean better(int a, int b, float[] logits) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    }

    private static void siftUp(int[] heap, int i, float[] logits) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(heap[parent], heap[i], logits)) {
                break;
            }
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] logits) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int worst = i;
            if (l < size && better(heap[worst], heap[l], logits)) {
                worst = l;
            }
            if (r < size && better(heap[worst], heap[r], logits)) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(heap, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] heap, int a, int b) {
        int t = heap[a];
        heap[a] = heap[b];
        heap[b] = t;
    }
}
