package dev.fillmask.job.local;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Reads a topic from its start with {@code read_committed} (only what the job committed), keeping every record whose
 * key is one of the awaited keys, until each awaited key has been seen, a deadline passes, or the caller says stop.
 */
public final class AnswerCollector implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    /** Every matching record, in the order read, duplicates included (so tests can count them). */
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private final Map<String, String> firstAnswerByKey = new LinkedHashMap<>();

    public AnswerCollector(String bootstrapServers, Properties clientProperties, String topic) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Polls until every key of {@code awaited} has a record. Returns false when {@code timeout} passes or
     * {@code stop} says so first. {@code progress} is called with the count answered after each poll that added one.
     */
    public boolean awaitKeys(Set<String> awaited, Duration timeout, BooleanSupplier stop,
                             java.util.function.IntConsumer progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = countSeen(awaited);
        while (seen < awaited.size()) {
            if (System.nanoTime() > deadline || stop.getAsBoolean()) {
                return false;
            }
            int before = seen;
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                if (key != null && awaited.contains(key)) {
                    records.add(record);
                    if (firstAnswerByKey.putIfAbsent(key, value(record)) == null) {
                        seen++;
                    }
                }
            }
            if (seen > before) {
                progress.accept(seen);
            }
        }
        return true;
    }

    /** Reads on for {@code quiet} more, so that late duplicates (if any) would be seen. */
    public void drain(Set<String> awaited, Duration quiet) {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                if (key != null && awaited.contains(key)) {
                    records.add(record);
                    firstAnswerByKey.putIfAbsent(key, value(record));
                }
            }
        }
    }

    private int countSeen(Set<String> awaited) {
        return (int) firstAnswerByKey.keySet().stream().filter(awaited::contains).count();
    }

    private static String value(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
    }

    /** The first answer read for each key. */
    public Map<String, String> answersByKey() {
        return firstAnswerByKey;
    }

    /** Every matching record read, duplicates included. */
    public List<ConsumerRecord<byte[], byte[]>> records() {
        return records;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
