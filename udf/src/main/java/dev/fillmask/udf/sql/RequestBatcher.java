package dev.fillmask.udf.sql;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.udf.BatchPolicy;

import org.apache.flink.table.data.RowData;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Collects the requests ML_PREDICT has in flight on one subtask into batches for one engine run, on a thread of its
 * own: a batch runs when {@code maxSize} requests wait, when every request ML_PREDICT lets be in flight at once
 * ({@code capacity}) waits (no more can come), or when the oldest has waited {@code maxDelay}. Each request's future
 * completes with its own output row. The futures complete in arrival order, so ORDERED output costs nothing.
 */
final class RequestBatcher implements AutoCloseable {
    private record Waiting(DecodedRequest request, long arrivalNanos, CompletableFuture<Collection<RowData>> answer) {}

    private final int maxSize;
    private final int runAt;
    private final long maxDelayNanos;
    private final Function<List<DecodedRequest>, List<RowData>> engine;
    private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
    private final Thread thread;
    private boolean closed;

    /**
     * @param capacity how many rows ML_PREDICT keeps in flight at most ({@code max-concurrent-operations})
     * @param engine the output rows of a batch of requests, in order
     */
    RequestBatcher(BatchPolicy policy, int capacity, Function<List<DecodedRequest>, List<RowData>> engine,
                   String threadName) {
        this.maxSize = policy.maxSize();
        this.runAt = Math.max(1, Math.min(policy.maxSize(), capacity));
        this.maxDelayNanos = policy.maxDelay().toNanos();
        this.engine = engine;
        this.thread = new Thread(this::loop, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    CompletableFuture<Collection<RowData>> add(DecodedRequest request) {
        CompletableFuture<Collection<RowData>> answer = new CompletableFuture<>();
        synchronized (queue) {
            if (closed) {
                answer.completeExceptionally(new CancellationException("the fill-mask function is closed"));
                return answer;
            }
            queue.add(new Waiting(request, System.nanoTime(), answer));
            queue.notifyAll();
        }
        return answer;
    }

    /** Requests waiting for their batch (a gauge). */
    int waiting() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void loop() {
        List<Waiting> batch;
        while ((batch = nextBatch()) != null) {
            List<DecodedRequest> requests = new ArrayList<>(batch.size());
            for (Waiting w : batch) {
                requests.add(w.request());
            }
            try {
                List<RowData> rows = engine.apply(requests);
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).answer().complete(List.of(rows.get(i)));
                }
            } catch (Throwable t) {
                // Only a failure of the machine gets here (bad requests are answered with errors): fail the task.
                for (Waiting w : batch) {
                    w.answer().completeExceptionally(t);
                }
            }
        }
    }

    /** Waits for the next batch to be due and takes it; {@code null} once closed. */
    private List<Waiting> nextBatch() {
        synchronized (queue) {
            try {
                while (!closed && queue.isEmpty()) {
                    queue.wait();
                }
                long deadline = queue.isEmpty() ? 0 : queue.peek().arrivalNanos() + maxDelayNanos;
                while (!closed && queue.size() < runAt) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(queue, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
            if (closed) {
                return null;
            }
            List<Waiting> batch = new ArrayList<>(Math.min(maxSize, queue.size()));
            while (!queue.isEmpty() && batch.size() < maxSize) {
                batch.add(queue.poll());
            }
            return batch;
        }
    }

    /** Stops taking batches (the one running finishes first); requests still waiting are cancelled. */
    @Override
    public void close() throws InterruptedException {
        List<Waiting> left;
        synchronized (queue) {
            closed = true;
            queue.notifyAll();
            left = new ArrayList<>(queue);
            queue.clear();
        }
        for (Waiting w : left) {
            w.answer().completeExceptionally(new CancellationException("the fill-mask function is closed"));
        }
        thread.join();
    }
}
