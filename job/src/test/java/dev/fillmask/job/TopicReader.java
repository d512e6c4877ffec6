package dev.fillmask.job;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A test's reader of one topic, every partition from its start: each record read is kept, in the order read and
 * duplicates included, so a test can count them. {@code read_committed} sees what the job's transactions committed;
 * {@code read_uncommitted} also what is written at once (the status topic).
 */
final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

    TopicReader(String bootstrapServers, String topic, String isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Every committed record of {@code topic}, from its start to its end at the call. */
    static List<ConsumerRecord<byte[], byte[]>> committed(String bootstrapServers, String topic) {
        try (TopicReader reader = new TopicReader(bootstrapServers, topic, "read_committed")) {
            reader.readToEnd(Duration.ofMinutes(1));
            return reader.records();
        }
    }

    /** Reads until {@code done} holds of the records read so far; fails the test, naming {@code what}, at timeout. */
    void await(Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(records)) {
            assertTrue(System.nanoTime() < deadline, "waited " + timeout + " for " + what + "; read "
                    + records.size() + " record(s)");
            poll();
        }
    }

    /** Reads on for {@code quiet}, so that a late duplicate, if there were one, would be seen. */
    void readFor(Duration quiet) {
        long end = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < end) {
            poll();
        }
    }

    /** Reads up to the partitions' end offsets at the call (the last stable offsets under read_committed). */
    void readToEnd(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        await(read -> partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p)), timeout,
                "the end of " + partitions);
    }

    int size() {
        return records.size();
    }

    List<ConsumerRecord<byte[], byte[]>> records() {
        return records;
    }

    private void poll() {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
