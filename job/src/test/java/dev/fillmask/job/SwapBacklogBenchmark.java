package dev.fillmask.job;

import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.job.cluster.FlinkRest;
import dev.fillmask.job.local.EmbeddedKafka;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the control input costs the job under a backlog, and how long a control record takes to get through one: the
 * job with model swaps off ({@code --control-topic ''}: one chained task) and on (the request source is a task of its
 * own before the operator), one after the other on the same MiniCluster and broker, each started on a backlog of the
 * same requests for the real default model. For each it prints the answering rate, how long answers wait for their
 * commit (produced, then visible to {@code read_committed}), the durations of the checkpoints completed while the
 * backlog drained, and, with swaps on, how long two control records sent during the drain took to come back as status
 * records. The cluster has the settings the job needs ({@link FillMaskJob#clusterSettings()}) unless
 * {@code -Dbacklog.cluster-settings=false}, which shows what they are for. Figures, not assertions: not run by
 * {@code mvn verify}; by hand (variants run in the order given, a repeated one in a round of its own):
 *
 * <pre>
 * mvn -o -q -pl job -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=SwapBacklogBenchmark -Dfailsafe.failIfNoSpecifiedTests=false \
 *     [-Dbacklog.requests=1000] [-Dbacklog.variants=off,on] [-Dbacklog.cluster-settings=false]
 * </pre>
 */
class SwapBacklogBenchmark {
    private static final int REQUESTS = Integer.getInteger("backlog.requests", 1000);
    private static final boolean WITH_CLUSTER_SETTINGS =
            Boolean.parseBoolean(System.getProperty("backlog.cluster-settings", "true"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestJobs.miniCluster(2, WITH_CLUSTER_SETTINGS);

    private static EmbeddedKafka kafka;
    private static Path model;

    @BeforeAll
    static void start() {
        model = SharedDefaultModel.path();
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void swapsOffAndOnUnderTheSameBacklog(@InjectClusterRESTAddress URI rest) throws Exception {
        FlinkRest flink = new FlinkRest(rest.toString().replaceAll("/$", ""));
        List<String> rows = new ArrayList<>();
        int round = 0;
        for (String variant : System.getProperty("backlog.variants", "off,on").split(",")) {
            rows.add(run(variant.trim(), ++round, flink));
        }
        System.out.println();
        System.out.println("| swaps | requests | answered/s | commit wait p50 / p99 | checkpoints completed "
                + "during the drain: count, duration p50 / max | control record → status |");
        System.out.println("|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println("(backlog of " + REQUESTS + " requests, default model, parallelism 1, 1 thread, batch 8, "
                + "checkpoint interval " + FillMaskOptions.CHECKPOINT_INTERVAL.defaultValue().toSeconds() + " s, "
                + (WITH_CLUSTER_SETTINGS ? "with" : "without") + " the job's cluster settings "
                + FillMaskJob.clusterSettings().toMap() + ")");
    }

    private static String run(String name, int round, FlinkRest flink) throws Exception {
        boolean swaps = name.equals("on");
        String prefix = "backlog-" + round + "-" + name;
        Configuration options = TestJobs.options(kafka, prefix, model, 1);
        // The default interval: the commit wait this benchmark reports is the one a deployment gets.
        options.set(FillMaskOptions.CHECKPOINT_INTERVAL, FillMaskOptions.CHECKPOINT_INTERVAL.defaultValue());
        TestJobs.createTopics(kafka, options, 1, 1);
        if (!swaps) {
            options.set(FillMaskOptions.CONTROL_TOPIC, "");
        }

        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < REQUESTS; i++) {
                producer.send(new ProducerRecord<>(prefix + "-requests", key(i), request(i)));
            }
            producer.flush();
        }
        Seen produced = new Seen(prefix + "-answers", "read_uncommitted");
        Seen committed = new Seen(prefix + "-answers", "read_committed");
        Seen statuses = new Seen(prefix + "-status", "read_uncommitted");
        JobClient client = TestJobs.start(options);
        Map<Long, Long> checkpointMillis = new TreeMap<>();
        List<String> controlSeconds = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
            long probeAt = 0;
            int probes = 0;
            while (committed.size() < REQUESTS) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + ": the backlog was not answered within 30 minutes");
                }
                Thread.sleep(500);
                noteCheckpoints(flink, client, produced.size() < REQUESTS, checkpointMillis);
                // Two control records (a model that does not exist: its status comes at once) while the backlog lasts.
                if (swaps && probes < 2 && produced.size() > 50 && produced.size() < REQUESTS * 3 / 4
                        && System.nanoTime() > probeAt) {
                    String id = "probe-" + (++probes);
                    try (KafkaProducer<byte[], byte[]> control = producer()) {
                        control.send(new ProducerRecord<>(prefix + "-control", id.getBytes(StandardCharsets.UTF_8),
                                "{\"model\": \"/no-such-model\"}".getBytes(StandardCharsets.UTF_8))).get();
                    }
                    long sent = System.nanoTime();
                    while (statuses.at(id) == null && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                        noteCheckpoints(flink, client, produced.size() < REQUESTS, checkpointMillis);
                    }
                    controlSeconds.add(String.format(Locale.ROOT, "%.1f s", (statuses.at(id) - sent) / 1e9));
                    probeAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                }
            }
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
            produced.close();
            committed.close();
            statuses.close();
        }
        long[] producedAt = produced.times(REQUESTS);
        long[] sorted = producedAt.clone();
        Arrays.sort(sorted);
        int from = REQUESTS / 10;
        int to = REQUESTS * 9 / 10;
        double perSecond = (to - from) / ((sorted[to] - sorted[from]) / 1e9);
        long[] committedAt = committed.times(REQUESTS);
        double[] waits = new double[REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            waits[i] = (committedAt[i] - producedAt[i]) / 1e9;
        }
        Arrays.sort(waits);
        long[] durations = checkpointMillis.values().stream().mapToLong(Long::longValue).sorted().toArray();
        String checkpoints = durations.length == 0 ? "none"
                : String.format(Locale.ROOT, "%d, %.1f s / %.1f s", durations.length,
                        durations[durations.length / 2] / 1e3, durations[durations.length - 1] / 1e3);
        return String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f s / %.1f s | %s | %s |", name, REQUESTS, perSecond,
                percentile(waits, 50), percentile(waits, 99), checkpoints,
                swaps ? String.join(", ", controlSeconds) : "–");
    }

    /** Notes the duration of each checkpoint the job completed, while {@code draining}. */
    private static void noteCheckpoints(FlinkRest flink, JobClient client, boolean draining, Map<Long, Long> millis) {
        if (!draining) {
            return;
        }
        JsonNode stats;
        try {
            stats = flink.get("/jobs/" + client.getJobID() + "/checkpoints");
        } catch (IOException e) {
            return; // the job is still starting: asked again at the next look
        }
        for (JsonNode checkpoint : stats.path("history")) {
            if ("COMPLETED".equals(checkpoint.path("status").asText())) {
                millis.putIfAbsent(checkpoint.path("id").asLong(), checkpoint.path("end_to_end_duration").asLong());
            }
        }
    }

    private static double percentile(double[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static byte[] key(int i) {
        return String.format("r-%05d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] request(int i) {
        return ("{\"inputs\": \"request " + i + ": the [MASK] sat on the mat and looked out of the window.\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** When each key was first read from a topic, by a reader thread of its own. */
    private static final class Seen implements AutoCloseable {
        private final Map<String, Long> at = new ConcurrentHashMap<>();
        private final Thread reader;
        private volatile boolean running = true;

        Seen(String topic, String isolation) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            reader = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer =
                             new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                    TopicPartition partition = new TopicPartition(topic, 0);
                    consumer.assign(List.of(partition));
                    consumer.seekToBeginning(List.of(partition));
                    while (running) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                            at.putIfAbsent(new String(r.key(), StandardCharsets.UTF_8), System.nanoTime());
                        }
                    }
                }
            }, "seen-" + topic + "-" + isolation);
            reader.setDaemon(true);
            reader.start();
        }

        int size() {
            return at.size();
        }

        Long at(String key) {
            return at.get(key);
        }

        /** The times of the keys of the requests 0 .. n-1, in that order. */
        long[] times(int n) {
            long[] times = new long[n];
            for (int i = 0; i < n; i++) {
                times[i] = at.get(new String(key(i), StandardCharsets.UTF_8));
            }
            return times;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            reader.join(5_000);
        }
    }
}
