package dev.fillmask.job.bench;

import java.util.Arrays;

/**
 * The sustained rate of a backlog from the moments its answers became visible, leaving out the start (the pipeline
 * filling) and the end (the last checkpoint's wait).
 *
 * <p>Under exactly-once, answers become visible in bursts, one per committed checkpoint. Counting the answers between
 * the 10 % and 90 % marks by index would add or drop up to a whole burst at either end (a burst is a checkpoint
 * interval's answers: about 15 % of a round of a few hundred requests), so a round's figure would move by that much
 * with where the marks fall. Counting instead the answers that became visible after the first mark's moment, up to and
 * including the last mark's, measures a whole number of bursts over the time between them: the rate itself. (The
 * last burst is left out when the last mark falls in it: it holds only what was left when the backlog ran out.)
 */
final class SustainedRate {
    private SustainedRate() {}

    /** {@code visibleAt}: when each answer became visible, in nanoseconds (any order; not changed). */
    static StreamBenchmark.Throughput of(long[] visibleAt) {
        if (visibleAt.length < 10) {
            throw new IllegalArgumentException("too few answers for a sustained rate: " + visibleAt.length);
        }
        long[] times = visibleAt.clone();
        Arrays.sort(times);
        long from = times[times.length / 10];
        long to = times[times.length * 9 / 10];
        long last = times[times.length - 1];
        if (to == last) {
            // The last burst holds what was left when the backlog ran out: less than a checkpoint interval's work.
            to = Arrays.stream(times).filter(t -> t < last).max().orElse(from);
        }
        int answers = 0;
        for (long t : times) {
            if (t > from && t <= to) {
                answers++;
            }
        }
        if (to == from) {
            throw new IllegalArgumentException(
                    "the answers between the 10 % and 90 % marks all became visible at once");
        }
        return new StreamBenchmark.Throughput(answers, (to - from) / 1e9);
    }
}
