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

    /** A rate measured in rounds: their median, and how far apart they were ({@link #spread}). */
    record Rate(double median, double spread, int rounds) {
        static Rate of(double[] perSecond) {
            return new Rate(Rounds.median(perSecond), Rounds.spread(perSecond), perSecond.length);
        }

        /** The spread as the table shows it: "4.2 %", or nothing for a single round. */
        String spreadText() {
            return rounds < 2 ? "" : String.format(java.util.Locale.ROOT, "%.1f %%", 100 * spread);
        }
    }

    /** (largest - smallest) / median: how far apart the rounds were. */
    static double spread(double[] values) {
        double median = median(values);
        return (Arrays.stream(values).max().orElse(0) - Arrays.stream(values).min().orElse(0)) / median;
    }
}
