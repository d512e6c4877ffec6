package dev.fillmask.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Splits one batch into model runs of similar lengths, so that short inputs are not padded to the longest one.
 * Every input of a run is padded to that run's longest, so a run costs (inputs × longest) tokens of work, plus a
 * fixed overhead per run. Sorted by length, the best split into consecutive groups is found exactly by dynamic
 * programming (batches are small: O(n²)). Answers keep their places: the plan only says which inputs run together.
 */
final class PaddingPlanner {
    /**
     * What one extra run costs, in padded tokens: ONNX Runtime's fixed cost per run (thread pool wake-up, small
     * kernels, the head) measured here at about that of a few dozen tokens for BERT-base on CPU.
     */
    static final int RUN_OVERHEAD_TOKENS = 48;

    private PaddingPlanner() {}

    /** Groups of indexes into {@code lengths}, each group one run; every index appears exactly once. */
    static List<int[]> plan(int[] lengths) {
        return plan(lengths, RUN_OVERHEAD_TOKENS);
    }

    static List<int[]> plan(int[] lengths, int runOverheadTokens) {
        int n = lengths.length;
        if (n == 0) {
            return List.of();
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        // best[k]: least cost of running the k shortest inputs; cut[k]: where the last run of that plan starts.
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        for (int k = 1; k <= n; k++) {
            best[k] = Long.MAX_VALUE;
            long longest = lengths[order[k - 1]];
            for (int start = 0; start < k; start++) {
                long cost = best[start] + (long) (k - start) * longest + runOverheadTokens;
                if (cost < best[k]) {
                    best[k] = cost;
                    cut[k] = start;
                }
            }
        }
        List<int[]> runs = new ArrayList<>();
        for (int k = n; k > 0; k = cut[k]) {
            int start = cut[k];
            int[] run = new int[k - start];
            for (int i = start; i < k; i++) {
                run[i - start] = order[i];
            }
            runs.add(0, run);
        }
        return runs;
    }

    /** Padded tokens of a plan (without overheads): for figures and tests. */
    static long paddedTokens(int[] lengths, List<int[]> runs) {
        long total = 0;
        for (int[] run : runs) {
            int longest = 0;
            for (int i : run) {
                longest = Math.max(longest, lengths[i]);
            }
            total += (long) longest * run.length;
        }
        return total;
    }
}
