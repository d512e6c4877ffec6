package dev.fillmask.job.bench;

import java.util.Arrays;

/** The bench's statistics over rounds: the median, which one slow round (another process, a GC) does not move. */
final class Rounds {
    private Rounds() {}

    static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no rounds to take the median of");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** (largest - smallest) / median: how far apart the rounds were. */
    static double spread(double[] values) {
        double median = median(values);
        return (Arrays.stream(values).max().orElse(0) - Arrays.stream(values).min().orElse(0)) / median;
    }
}
