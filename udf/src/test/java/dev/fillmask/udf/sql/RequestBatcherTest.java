package dev.fillmask.udf.sql;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.udf.BatchPolicy;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * When the batcher runs a batch: full, every row ML_PREDICT may have in flight waiting, or the delay over; each row
 * gets its own output, in order. The delays here are ten minutes where a batch must not wait for them.
 */
class RequestBatcherTest {
    private static final Duration LONG = Duration.ofMinutes(10);
    private final List<Integer> batches = new CopyOnWriteArrayList<>();

    /** Echoes each request's inputs as its output row, and notes the batch's size. */
    private List<RowData> echo(List<DecodedRequest> requests) {
        batches.add(requests.size());
        List<RowData> rows = new ArrayList<>();
        for (DecodedRequest r : requests) {
            rows.add(GenericRowData.of(StringData.fromString(((DecodedRequest.Valid) r).request().inputs())));
        }
        return rows;
    }

    private static DecodedRequest request(int i) {
        return new DecodedRequest.Valid(FillMaskRequest.of("r" + i));
    }

    private static String output(CompletableFuture<Collection<RowData>> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS).iterator().next().getString(0).toString();
    }

    @Test
    void fullBatchesRunAtOnceAndEachRowGetsItsOwnOutput() throws Exception {
        try (RequestBatcher batcher = new RequestBatcher(new BatchPolicy(4, LONG), 100, this::echo, "test")) {
            List<CompletableFuture<Collection<RowData>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(batcher.add(request(i)));
            }
            for (int i = 0; i < 8; i++) {
                assertEquals("r" + i, output(futures.get(i)));
            }
        }
        assertEquals(8, batches.stream().mapToInt(Integer::intValue).sum());
        assertEquals(List.of(4, 4), batches);
    }

    @Test
    void whenEveryRowInFlightWaitsTheBatchRuns() throws Exception {
        try (RequestBatcher batcher = new RequestBatcher(new BatchPolicy(16, LONG), 3, this::echo, "test")) {
            List<CompletableFuture<Collection<RowData>>> futures = List.of(batcher.add(request(0)),
                    batcher.add(request(1)), batcher.add(request(2)));
            assertEquals("r2", output(futures.get(2)));
        }
        assertEquals(List.of(3), batches);
    }

    @Test
    void aPartialBatchRunsAfterTheDelay() throws Exception {
        try (RequestBatcher batcher = new RequestBatcher(new BatchPolicy(16, Duration.ofMillis(20)), 100, this::echo,
                "test")) {
            assertEquals("r0", output(batcher.add(request(0))));
        }
    }

    @Test
    void aFailureOfTheMachineFailsTheRowsOfItsBatch() {
        try (RequestBatcher batcher = new RequestBatcher(new BatchPolicy(1, LONG), 100, requests -> {
            throw new IllegalStateException("the model is gone");
        }, "test")) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> batcher.add(request(0)).get(30, TimeUnit.SECONDS));
            assertEquals("the model is gone", e.getCause().getMessage());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void closingCancelsWhatWaits() throws Exception {
        RequestBatcher batcher = new RequestBatcher(new BatchPolicy(16, LONG), 100, this::echo, "test");
        CompletableFuture<Collection<RowData>> waiting = batcher.add(request(0));
        batcher.close();
        assertThrows(CancellationException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertEquals(List.of(), batches);
    }
}
