package dev.fillmask.job.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SustainedRateTest {
    private static final long SECOND = 1_000_000_000L;

    /** Answer i is made at i / 40 s and becomes visible at the next commit (one every 2 s), in nanoseconds. */
    private static long committedAt(int i) {
        long madeAt = i * SECOND / 40;
        return (madeAt / (2 * SECOND) + 1) * 2 * SECOND;
    }

    /** 40 answers/s made visible in bursts, one per 2 s checkpoint, as exactly-once commits them. */
    @Test
    void burstsOfCommittedAnswersGiveTheRateTheyWereMadeAt() {
        for (int total : new int[] {400, 430, 470, 505}) {
            long[] visible = new long[total];
            for (int i = 0; i < total; i++) {
                visible[i] = committedAt(i);
            }
            StreamBenchmark.Throughput t = SustainedRate.of(visible);
            assertEquals(40.0, t.perSecond(), 1e-9, total + " answers");
        }
    }

    /** The same, each burst's answers stamped one by one over a few milliseconds, as a reader or HTTP client does. */
    @Test
    void aBurstReadOneAnswerAtATimeIsStillOneBurst() {
        for (int total : new int[] {400, 430, 470, 505}) {
            long[] visible = new long[total];
            for (int i = 0; i < total; i++) {
                visible[i] = committedAt(i) + (i % 80) * 50_000L; // 50 µs apart within the burst
            }
            assertEquals(40.0, SustainedRate.of(visible).perSecond(), 0.01, total + " answers");
        }
    }

    @Test
    void evenlySpacedAnswersGiveTheirRate() {
        long[] visible = new long[1000];
        for (int i = 0; i < visible.length; i++) {
            visible[visible.length - 1 - i] = 5 * SECOND + i * SECOND / 25; // any order
        }
        assertEquals(25.0, SustainedRate.of(visible).perSecond(), 1e-6);
    }

    @Test
    void answersThatAllCameAtOnceHaveNoRate() {
        long[] visible = new long[100];
        assertThrows(IllegalArgumentException.class, () -> SustainedRate.of(visible));
    }
}
