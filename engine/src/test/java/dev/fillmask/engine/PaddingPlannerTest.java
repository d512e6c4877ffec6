package dev.fillmask.engine;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PaddingPlannerTest {
    @Test
    void similarLengthsRunTogether() {
        List<int[]> runs = PaddingPlanner.plan(new int[] {12, 11, 13, 12});
        assertEquals(1, runs.size());
    }

    @Test
    void oneLongInputIsNotAllowedToPadManyShortOnes() {
        int[] lengths = {10, 10, 10, 10, 10, 10, 10, 200};
        List<int[]> runs = PaddingPlanner.plan(lengths);
        assertEquals(2, runs.size());
        assertArrayEquals(new int[] {7}, runs.get(1));
        assertTrue(PaddingPlanner.paddedTokens(lengths, runs) < 8 * 200 / 2);
    }

    @Test
    void everyInputIsPlannedExactlyOnceAndThePlanNeverCostsMoreThanOneRun() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int[] lengths = random.ints(1 + random.nextInt(64), 3, 130).toArray();
            List<int[]> runs = PaddingPlanner.plan(lengths);
            int[] all = runs.stream().flatMapToInt(Arrays::stream).sorted().toArray();
            assertArrayEquals(IntStream.range(0, lengths.length).toArray(), all);
            long oneRun = (long) Arrays.stream(lengths).max().getAsInt() * lengths.length;
            long planned = PaddingPlanner.paddedTokens(lengths, runs)
                    + (long) (runs.size() - 1) * PaddingPlanner.RUN_OVERHEAD_TOKENS;
            assertTrue(planned <= oneRun, "a plan is at most as costly as one padded run");
        }
    }

    @Test
    void noInputsNoRuns() {
        assertEquals(List.of(), PaddingPlanner.plan(new int[0]));
    }
}
