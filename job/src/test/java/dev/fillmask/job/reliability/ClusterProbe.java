package dev.fillmask.job.reliability;

import com.fasterxml.jackson.databind.JsonNode;

import dev.fillmask.job.cluster.FlinkRest;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** What the reliability runs measure: Flink metrics over REST, a process's RSS, consumer lag, an input topic's keys. */
public final class ClusterProbe {
    private ClusterProbe() {}

    /** A job metric (e.g. {@code numRestarts}), as the JobManager's REST API reports it (refreshed every second). */
    public static OptionalLong jobMetric(FlinkRest rest, String jobId, String name) {
        return metric(rest, "/jobs/" + jobId + "/metrics?get=" + name);
    }

    /** A TaskManager metric (e.g. {@code Status.JVM.Memory.Heap.Used}). */
    public static OptionalLong taskManagerMetric(FlinkRest rest, String taskManagerId, String name) {
        return metric(rest, "/taskmanagers/" + taskManagerId + "/metrics?get=" + name);
    }

    private static OptionalLong metric(FlinkRest rest, String path) {
        try {
            for (JsonNode entry : rest.get(path)) {
                String value = entry.path("value").asText("");
                if (!value.isEmpty()) {
                    return OptionalLong.of((long) Double.parseDouble(value));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not there (yet): the caller samples again
        }
        return OptionalLong.empty();
    }

    /** How many failures the job has seen: the entries of its exception history (no metric-fetcher delay). */
    public static int failures(FlinkRest rest, String jobId) {
        try {
            return rest.get("/jobs/" + jobId + "/exceptions?maxExceptions=1000").path("exceptionHistory")
                    .path("entries").size();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Whether the job and all its tasks run (not restarting, not initializing). */
    public static boolean allRunning(FlinkRest rest, String jobId) {
        try {
            JsonNode job = rest.get("/jobs/" + jobId);
            if (!job.path("state").asText().equals("RUNNING")) {
                return false;
            }
            for (JsonNode vertex : job.path("vertices")) {
                if (!vertex.path("status").asText().equals("RUNNING")) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The parallelism of each of the job's vertices. */
    public static List<Integer> parallelisms(FlinkRest rest, String jobId) throws IOException {
        JsonNode job = rest.get("/jobs/" + jobId);
        List<Integer> result = new java.util.ArrayList<>();
        job.path("vertices").forEach(v -> result.add(v.path("parallelism").asInt()));
        return result;
    }

    /** The resident set size of process {@code pid} in bytes ({@code VmRSS} of /proc/PID/status), -1 if unknown. */
    public static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return -1;
    }

    /**
     * The consumer lag of {@code group} on {@code topic}: end offsets minus the offsets the group committed (the job
     * commits its source offsets on each completed checkpoint), summed over partitions; -1 when it cannot be read.
     */
    public static long lag(String bootstrapServers, String group, String topic) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(props)) {
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(
                    partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                    .all().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            long lag = 0;
            for (TopicPartition p : partitions) {
                OffsetAndMetadata c = committed.get(p);
                lag += ends.get(p).offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }
    }

    /** Every record of {@code topic} (read_committed, from the start to the current end): count per key with {@code prefix-}. */
    public static Map<String, Integer> keysIn(String bootstrapServers, String topic, String prefix) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new java.util.ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 2 minutes");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                    if (key.startsWith(prefix + "-")) {
                        counts.merge(key, 1, Integer::sum);
                    }
                }
            }
        }
        return counts;
    }
}
