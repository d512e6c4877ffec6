package dev.fillmask.job.reliability;

import dev.fillmask.job.cluster.Pause;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Reads the answer and dead-letter topics from their start, all the time, from a thread of its own, as a
 * downstream consumer would ({@code isolation.level=read_committed}: only what the job committed). For each request
 * key with the run's prefix it counts the answers and dead letters, notes when the first answer was read
 * (wall-clock ms) and whether it is an error. A broker that goes away only pauses it.
 */
public final class AnswerLedger implements AutoCloseable {
    private final String prefix;
    private final String answerTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final Map<String, Integer> deadLetters = new ConcurrentHashMap<>();
    private final Set<String> errorKeys = ConcurrentHashMap.newKeySet();
    /** The time each new key's first answer was read, in reading order (so ascending). */
    private final List<Long> firstReadTimes = Collections.synchronizedList(new ArrayList<>());
    /** Request-to-answer latencies (ms): read time minus the request's timestamp, which the answer carries. */
    private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    private final FillMaskCodec codec = new FillMaskCodec();
    private volatile boolean running = true;
    private volatile Throwable failure;

    public AnswerLedger(String bootstrapServers, String answerTopic, String deadLetterTopic, String prefix) {
        this.prefix = prefix + "-";
        this.answerTopic = answerTopic;
        java.util.Properties props = new java.util.Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(answerTopic, deadLetterTopic)) {
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "answer-ledger-" + prefix);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.currentTimeMillis();
                    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                    if (key == null || !key.startsWith(prefix)) {
                        continue;
                    }
                    if (record.topic().equals(answerTopic)) {
                        if (answers.merge(key, 1, Integer::sum) == 1) {
                            firstReadTimes.add(now);
                            latencies.add(now - record.timestamp());
                            if (record.value() == null || codec.readAnswer(record.value()).isError()) {
                                errorKeys.add(key);
                            }
                        }
                    } else {
                        deadLetters.merge(key, 1, Integer::sum);
                    }
                }
            }
        } catch (WakeupException closing) {
            // close() woke it
        } catch (Throwable t) {
            failure = t;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Fails when the reading thread died. */
    public void check() {
        if (failure != null) {
            throw new IllegalStateException("the answer ledger stopped reading: " + failure, failure);
        }
    }

    /** Waits until every key of {@code keys} has an answer; false when {@code timeout} passes or {@code hopeless}. */
    public boolean awaitAnswers(Collection<String> keys, Duration timeout, BooleanSupplier hopeless) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            check();
            if (answers.keySet().containsAll(keys)) {
                return true;
            }
            if (System.nanoTime() > deadline || hopeless.getAsBoolean()) {
                return false;
            }
            Pause.sleep(200);
        }
    }

    /** Waits until some answer is first read at or after wall-clock {@code millis}; returns when, or -1 on timeout. */
    public long awaitFirstAnswerAtOrAfter(long millis, Duration timeout, BooleanSupplier hopeless) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            check();
            synchronized (firstReadTimes) {
                for (int i = firstReadTimes.size() - 1; i >= 0 && firstReadTimes.get(i) >= millis; i--) {
                    if (i == 0 || firstReadTimes.get(i - 1) < millis) {
                        return firstReadTimes.get(i);
                    }
                }
            }
            if (System.nanoTime() > deadline || hopeless.getAsBoolean()) {
                return -1;
            }
            Pause.sleep(100);
        }
    }

    /** Reads on for {@code quiet}, so that late duplicates, if any, are counted. */
    public void quiet(Duration quiet) {
        Pause.sleep(quiet.toMillis());
        check();
    }

    /** Keys that have at least one answer. */
    public int answeredKeys() {
        return answers.size();
    }

    /** Answer records read, duplicates included. */
    public int answerRecords() {
        return answers.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Keys answered more than once. */
    public Set<String> duplicated() {
        Set<String> keys = new TreeSet<>();
        answers.forEach((k, n) -> {
            if (n > 1) {
                keys.add(k);
            }
        });
        return keys;
    }

    /** Of {@code keys}, those without an answer. */
    public List<String> missing(Collection<String> keys) {
        return keys.stream().filter(k -> !answers.containsKey(k)).toList();
    }

    public Set<String> answered() {
        return Set.copyOf(answers.keySet());
    }

    public Set<String> errorKeys() {
        return Set.copyOf(errorKeys);
    }

    public int deadLetterRecords() {
        return deadLetters.values().stream().mapToInt(Integer::intValue).sum();
    }

    public Map<String, Integer> deadLetters() {
        return Map.copyOf(deadLetters);
    }

    /** The {@code q} quantile (0..1) of the request-to-answer latencies seen so far, in ms. */
    public long latencyQuantile(double q) {
        List<Long> sorted;
        synchronized (latencies) {
            sorted = new ArrayList<>(latencies);
        }
        if (sorted.isEmpty()) {
            return -1;
        }
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
