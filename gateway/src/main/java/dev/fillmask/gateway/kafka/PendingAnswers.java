package dev.fillmask.gateway.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The routing table of one gateway instance: each request waiting for its answer, under the Kafka key it was sent
 * with. Every key starts with this instance's prefix, so the answers on the shared output topic that belong here are
 * told apart by their key alone, whatever headers the job copies. Bounded: {@link #reserve} refuses beyond the
 * capacity (the caller answers 429), and each entry leaves the table when it is answered, times out or fails, so the
 * table never holds more than the capacity. Once {@link #close() closed}, nothing more is accepted, and every request
 * still waiting is failed: none waits forever.
 */
public final class PendingAnswers {
    /** A request waiting for its answer. The future fails with a {@link GatewayException} or a timeout. */
    public record Pending(String key, CompletableFuture<KafkaAnswer> answer) {}

    private final String keyPrefix;
    private final int capacity;
    private final Duration timeout;
    private final Map<String, CompletableFuture<KafkaAnswer>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private int reserved;
    private boolean closed;

    public PendingAnswers(String keyPrefix, int capacity, Duration timeout) {
        this.keyPrefix = keyPrefix;
        this.capacity = capacity;
        this.timeout = timeout;
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    /** Whether {@code key} is one of this instance's (an answer to it belongs here, awaited or not). */
    public boolean owns(String key) {
        return key.startsWith(keyPrefix);
    }

    /**
     * {@code n} new entries, each under a fresh key and failing after the timeout; an empty list when fewer than
     * {@code n} places are free.
     *
     * @throws GatewayException (503) once the table is closed
     */
    public List<Pending> reserve(int n) {
        List<Pending> entries = new ArrayList<>(n);
        synchronized (this) {
            if (closed) {
                throw new GatewayException(503, "the gateway is shutting down: send the request again");
            }
            if (reserved + n > capacity) {
                return List.of();
            }
            reserved += n;
            for (int i = 0; i < n; i++) {
                String key = keyPrefix + sequence.incrementAndGet();
                CompletableFuture<KafkaAnswer> answer = new CompletableFuture<>();
                waiting.put(key, answer);
                entries.add(new Pending(key, answer));
            }
        }
        for (Pending entry : entries) {
            entry.answer().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
                    .whenComplete((a, e) -> release(entry.key(), entry.answer()));
        }
        return entries;
    }

    /** Hands {@code answer} to the request waiting under {@code key}; false when none waits (late, repeated). */
    public boolean complete(String key, KafkaAnswer answer) {
        CompletableFuture<KafkaAnswer> future = waiting.get(key);
        return future != null && future.complete(answer);
    }

    /** How many requests wait for their answer. */
    public synchronized int size() {
        return reserved;
    }

    /** Accepts nothing more and fails every request still waiting with {@code status} and {@code message}. */
    public int close(int status, String message) {
        List<CompletableFuture<KafkaAnswer>> left;
        synchronized (this) {
            closed = true;
            left = new ArrayList<>(waiting.values());
        }
        GatewayException reason = new GatewayException(status, message);
        int failed = 0;
        for (CompletableFuture<KafkaAnswer> future : left) {
            if (future.completeExceptionally(reason)) {
                failed++;
            }
        }
        return failed;
    }

    private void release(String key, CompletableFuture<KafkaAnswer> answer) {
        if (waiting.remove(key, answer)) {
            synchronized (this) {
                reserved--;
            }
        }
    }
}
