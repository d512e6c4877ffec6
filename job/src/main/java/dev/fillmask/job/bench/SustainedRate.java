package dev.fillmask.job.bench;

import java.util.Arrays;

/**
 * The sustained rate of a backlog from the moments its answers became visible, leaving out the start (the pipeline
 * filling) and the end (the last checkpoint's wait).
 *
 * <p>Under exactly-once, answers become visible in bursts, one per committed checkpoint. Counting the answers between
 * the 10 % and 90 % marks by index would add or drop up to a whole burst at either end (a burst is a checkpoint
 * interval's answers: about 20 % of a round of a few hundred requests), so a round's figure would move by that much
 * with where the marks fall. Answers are therefore taken in bursts: those that became visible within
 * {@link #SAME_BURST_NANOS} of the one before belong to its burst, which became visible when its last one did (a
 * reader that stamped a poll's records one by one would spread them; an HTTP client completes a burst's calls one
 * by one). The rate counts the answers of the bursts after the first mark's, up to and including the last mark's:
 * whole bursts over the time between them. (The last burst is left out when the last mark falls in it: it holds only what was left when the
 * backlog ran out.) Answers that arrive one by one, as under at-least-once, are each a burst of their own, or of a
 * few, so for them this is the plain count between the marks.
 */
final class SustainedRate {
    /** Answers closer than this to the one before are one burst: far below a checkpoint interval. */
    static final long SAME_BURST_NANOS = 20_000_000L;

    private SustainedRate() {}

    /** {@code visibleAt}: when each answer became visible, in nanoseconds (any order; not changed). */
    static StreamBenchmark.Throughput of(long[] visibleAt) {
        if (visibleAt.length < 10) {
            throw new IllegalArgumentException("too few answers for a sustained rate: " + visibleAt.length);
        }
        long[] times = visibleAt.clone();
        Arrays.sort(times);
        long[] burstEnd = new long[times.length];
        for (int end = times.length - 1, i = times.length - 1; i >= 0; i--) {
            if (i < times.length - 1 && times[i + 1] - times[i] > SAME_BURST_NANOS) {
                end = i;
            }
            burstEnd[i] = times[end];
        }
        long from = burstEnd[times.length / 10];
        long to = burstEnd[times.length * 9 / 10];
        long last = burstEnd[times.length - 1];
        if (to == last) {
            to = Arrays.stream(burstEnd).filter(t -> t < last).max().orElse(from);
        }
        if (to <= from) {
            throw new IllegalArgumentException(
                    "the answers between the 10 % and 90 % marks all became visible at once");
        }
        int answers = 0;
        for (long t : burstEnd) {
            if (t > from && t <= to) {
                answers++;
            }
        }
        return new StreamBenchmark.Throughput(answers, (to - from) / 1e9);
    }
}
