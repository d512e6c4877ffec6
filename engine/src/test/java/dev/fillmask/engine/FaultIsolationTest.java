package dev.fillmask.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a failed run is split, on a stand-in model run that fails whenever a given request is in it: the failing
 * requests, and only they, end as failures; the run count stays near 2 log2(batch) per bad request; a model that
 * fails even on the known-good request stops the batch instead of failing every request.
 */
class FaultIsolationTest {
    private static final float[][] LOGITS = {{1f}};

    /** A model run that throws when any request in it is bad, as ONNX Runtime does for a whole run. */
    private static FaultIsolation.ModelRun<Integer> failingOn(List<Integer> bad, AtomicInteger runs) {
        return requests -> {
            runs.incrementAndGet();
            for (Integer r : requests) {
                if (bad.contains(r)) {
                    throw new IllegalStateException("index " + r + " out of data bounds");
                }
            }
            float[][][] out = new float[requests.size()][][];
            java.util.Arrays.fill(out, LOGITS);
            return out;
        };
    }

    @Test
    void onlyTheBadRequestsFail() {
        List<Integer> batch = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            batch.add(i);
        }
        AtomicInteger runs = new AtomicInteger();
        Map<Integer, String> outcome = new TreeMap<>();
        new FaultIsolation(() -> true).run(batch, failingOn(List.of(5, 11), runs),
                (r, logits) -> outcome.put(r, "answered"), (r, message) -> outcome.put(r, message));
        assertEquals(16, outcome.size(), "every request ends exactly once");
        for (int i = 0; i < 16; i++) {
            if (i == 5 || i == 11) {
                assertTrue(outcome.get(i).startsWith("the model failed on this request: IllegalStateException: index "
                        + i), outcome.get(i));
            } else {
                assertEquals("answered", outcome.get(i));
            }
        }
        assertTrue(runs.get() <= 1 + 2 * 2 * 4, "halving, not one run per request: " + runs.get());
    }

    @Test
    void aBrokenModelStopsTheBatchInsteadOfFailingEveryRequest() {
        List<Integer> batch = List.of(0, 1, 2, 3);
        List<Integer> failed = new ArrayList<>();
        EngineFailureException e = assertThrows(EngineFailureException.class,
                () -> new FaultIsolation(() -> false).run(batch, failingOn(batch, new AtomicInteger()),
                        (r, logits) -> { }, (r, message) -> failed.add(r)));
        assertTrue(e.getMessage().contains("the engine, not a request, is broken"), e.getMessage());
        assertEquals(List.of(), failed, "no request is blamed for a broken model");
    }

    @Test
    void theModelIsCheckedOncePerBatch() {
        AtomicInteger checks = new AtomicInteger();
        List<Integer> failed = new ArrayList<>();
        new FaultIsolation(() -> checks.incrementAndGet() > 0).run(List.of(0, 1, 2, 3),
                failingOn(List.of(0, 1, 2), new AtomicInteger()), (r, logits) -> { }, (r, message) -> failed.add(r));
        assertEquals(List.of(0, 1, 2), failed);
        assertEquals(1, checks.get());
    }
}
