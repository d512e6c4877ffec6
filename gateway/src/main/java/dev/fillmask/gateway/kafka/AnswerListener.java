package dev.fillmask.gateway.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Reads the output topic from its end as it was at start, every partition, with {@code isolation.level=read_committed}:
 * under exactly-once it sees each answer once, when the job's transaction commits (never an aborted one), and under
 * at-least-once as soon as the job writes it. The answers whose key carries this instance's prefix go to the routing
 * table; the others belong to other gateways or stream clients and are skipped. No consumer group: each instance
 * reads every partition, and nothing is committed (a restarted gateway has no caller waiting for older answers).
 */
public final class AnswerListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerListener.class);
    /** How often partitions added to the output topic are picked up. */
    private static final long PARTITION_REFRESH_NANOS = Duration.ofSeconds(30).toNanos();

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final String bootstrapServers;
    private final PendingAnswers pending;
    private final Readiness readiness;
    private final Thread thread;
    private volatile boolean closing;

    public AnswerListener(String bootstrapServers, Properties clientProperties, String topic, PendingAnswers pending,
                          Readiness readiness) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fill-mask-gateway-"
                + pending.keyPrefix().replaceAll("[^A-Za-z0-9-]", "") + "-answers");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        // Reading must never create the output topic (with one partition) where the broker would allow it.
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.pending = pending;
        this.readiness = readiness;
        this.thread = new Thread(this::run, "fill-mask-gateway-answers");
        this.thread.setDaemon(true);
    }

    /**
     * Takes position at the end of every partition, then starts reading. Returns once positioned, so an answer to any
     * request sent after this returns is read.
     *
     * @throws IllegalStateException when the topic does not exist or the broker does not answer within {@code wait}
     */
    public void start(Duration wait) {
        Set<TopicPartition> partitions;
        try {
            partitions = partitions(wait);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException("the Kafka broker at " + bootstrapServers + " did not answer within "
                    + wait.toSeconds() + " s (no metadata for the output topic " + topic + "): check the address and"
                    + " that the broker runs", e);
        }
        if (partitions.isEmpty()) {
            throw new IllegalStateException("the output topic " + topic + " does not exist (start the job first, or"
                    + " create it)");
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        for (TopicPartition p : partitions) {
            consumer.position(p, wait); // the end is fixed now, before any request leaves
        }
        thread.start();
    }

    private Set<TopicPartition> partitions(Duration wait) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, wait);
        Set<TopicPartition> partitions = new HashSet<>();
        if (infos != null) {
            for (PartitionInfo info : infos) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        return partitions;
    }

    private void run() {
        long lastRefresh = System.nanoTime();
        while (!closing) {
            try {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null) {
                        continue;
                    }
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (pending.owns(key)) {
                        readiness.answerSeen();
                        pending.complete(key, new KafkaAnswer(record.value() == null ? new byte[0] : record.value(),
                                header(record, "fill-mask.model"), header(record, "fill-mask.model.version")));
                    }
                }
                if (System.nanoTime() - lastRefresh > PARTITION_REFRESH_NANOS) {
                    lastRefresh = System.nanoTime();
                    addNewPartitions();
                }
            } catch (WakeupException e) {
                // close() woke the poll up
            } catch (RuntimeException e) {
                if (!closing) {
                    LOG.warn("reading answers from {} failed, trying again in 1 s: {}", topic, e.toString());
                    readiness.waitingFor("reading answers from " + topic + " failed: " + e.getMessage());
                    sleepQuietly();
                }
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    private void addNewPartitions() {
        Set<TopicPartition> now = partitions(Duration.ofSeconds(5));
        Set<TopicPartition> added = new HashSet<>(now);
        added.removeAll(consumer.assignment());
        if (!added.isEmpty()) {
            Set<TopicPartition> all = new HashSet<>(consumer.assignment());
            all.addAll(added);
            consumer.assign(all);
            // A partition added after the start holds only answers to requests sent since.
            consumer.seekToBeginning(added);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing = true;
        if (!thread.isAlive()) {
            consumer.close(Duration.ofSeconds(5)); // never started, or already ended (then this does nothing)
            return;
        }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
