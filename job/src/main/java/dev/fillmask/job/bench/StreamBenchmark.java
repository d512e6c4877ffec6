package dev.fillmask.job.bench;

import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.LocalJob;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.Topics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The streaming job end to end, as users run it: an embedded broker, the job on a local Flink cluster (exactly-once),
 * requests produced to the input topic, answers read committed from the output topic. Measures sustained throughput
 * on a backlog and latency from produce to answer at a paced rate.
 */
final class StreamBenchmark implements AutoCloseable {
    private static final String INPUT = "bench-requests";
    private static final String OUTPUT = "bench-answers";
    /** The job's default: what users run. */
    private static final Duration CHECKPOINT_INTERVAL = FillMaskOptions.CHECKPOINT_INTERVAL.defaultValue();

    record Throughput(int requests, double seconds) {
        double perSecond() {
            return requests / seconds;
        }
    }

    record Latency(int requests, double p50Millis, double p95Millis, double p99Millis) {}

    private final EmbeddedKafka kafka;
    private final JobClient job;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, Long> answeredAt = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;
    private int nextKey;

    /** @param localJob the streaming job ({@link LocalJob#KAFKA}) or a SQL script over the same topics */
    StreamBenchmark(Path model, int batchSize, ListenAddress listen, LocalJob localJob) throws Exception {
        kafka = EmbeddedKafka.start(listen);
        try {
            Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(INPUT, OUTPUT, "bench-dead-letters"), 1);
            Configuration options = new Configuration();
            options.set(FillMaskOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            options.set(FillMaskOptions.INPUT_TOPIC, INPUT);
            options.set(FillMaskOptions.OUTPUT_TOPIC, OUTPUT);
            options.set(FillMaskOptions.DEAD_LETTER_TOPIC, "bench-dead-letters");
            options.set(FillMaskOptions.MODEL, model.toString());
            options.set(FillMaskOptions.PARALLELISM, 1);
            options.set(FillMaskOptions.BATCH_SIZE, batchSize);
            options.set(FillMaskOptions.CHECKPOINT_INTERVAL, CHECKPOINT_INTERVAL);
            Configuration cluster = listen.flinkConfiguration();
            cluster.addAll(FillMaskJob.clusterSettings());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, cluster);
            job = localJob.start(env, options);

            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            reader = new Thread(this::readAnswers, "bench-answer-reader");
            reader.setDaemon(true);
            reader.start();
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
    }

    private void readAnswers() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(OUTPUT, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    answeredAt.putIfAbsent(new String(r.key(), StandardCharsets.UTF_8), System.nanoTime());
                }
            }
        }
    }

    /**
     * Sends every request at once and measures the sustained rate: answers between the moments 10 % and 90 % of them
     * were visible (read committed), so neither the start nor the last checkpoint's wait counts.
     */
    Throughput throughput(List<byte[]> requests) throws InterruptedException {
        String[] keys = new String[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            keys[i] = "r" + nextKey++;
            producer.send(new ProducerRecord<>(INPUT, keys[i].getBytes(StandardCharsets.UTF_8), requests.get(i)));
        }
        producer.flush();
        awaitAll(keys);
        long[] times = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            times[i] = answeredAt.get(keys[i]);
        }
        Arrays.sort(times);
        int from = keys.length / 10;
        int to = keys.length * 9 / 10;
        return new Throughput(to - from, (times[to] - times[from]) / 1e9);
    }

    /** Sends the requests at {@code perSecond} and measures each one's time from produce to answer. */
    Latency latency(List<byte[]> requests, double perSecond) throws InterruptedException {
        String[] keys = new String[requests.size()];
        long[] sentAt = new long[requests.size()];
        long interval = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        for (int i = 0; i < requests.size(); i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            keys[i] = "r" + nextKey++;
            sentAt[i] = System.nanoTime();
            producer.send(new ProducerRecord<>(INPUT, keys[i].getBytes(StandardCharsets.UTF_8), requests.get(i)));
            producer.flush();
            next += interval;
        }
        awaitAll(keys);
        double[] millis = new double[keys.length];
        for (int i = 0; i < keys.length; i++) {
            millis[i] = (answeredAt.get(keys[i]) - sentAt[i]) / 1e6;
        }
        Arrays.sort(millis);
        return new Latency(keys.length, percentile(millis, 50), percentile(millis, 95), percentile(millis, 99));
    }

    private long awaitAll(String[] keys) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
        while (true) {
            long last = 0;
            boolean all = true;
            for (String key : keys) {
                Long at = answeredAt.get(key);
                if (at == null) {
                    all = false;
                    break;
                }
                last = Math.max(last, at);
            }
            if (all) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not answer within 20 minutes");
            }
            Thread.sleep(10);
        }
    }

    static double percentile(double[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    @Override
    public void close() {
        running = false;
        try {
            producer.close();
            job.cancel().get(30, TimeUnit.SECONDS);
            reader.join(5_000);
        } catch (Exception e) {
            // Stopping anyway.
        } finally {
            kafka.close();
        }
    }
}
