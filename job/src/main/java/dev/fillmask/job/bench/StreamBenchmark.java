package dev.fillmask.job.bench;

import dev.fillmask.job.local.LocalJob;
import dev.fillmask.job.local.ListenAddress;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
    record Throughput(int requests, double seconds) {
        double perSecond() {
            return requests / seconds;
        }
    }

    record Latency(int requests, double p50Millis, double p95Millis, double p99Millis) {
        /** The percentiles of {@code millis}, one figure per request (sorted here). */
        static Latency of(double[] millis) {
            Arrays.sort(millis);
            return new Latency(millis.length, percentile(millis, 50), percentile(millis, 95), percentile(millis, 99));
        }
    }

    private final BenchJob job;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, Long> answeredAt = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;
    private int nextKey;

    /**
     * @param localJob the streaming job ({@link LocalJob#KAFKA}) or a SQL script over the same topics
     * @param options the engine's options for the job
     */
    StreamBenchmark(Path model, ListenAddress listen, LocalJob localJob, Configuration options) throws Exception {
        job = BenchJob.start("bench", model, listen, localJob, options);
        try {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, job.bootstrapServers());
            p.put(ProducerConfig.LINGER_MS_CONFIG, "1");
            producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
            reader = new Thread(this::readAnswers, "bench-answer-reader");
            reader.setDaemon(true);
            reader.start();
        } catch (Exception | Error e) {
            job.close();
            throw e;
        }
    }

    private void readAnswers() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, job.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(job.answerTopic(), 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (running) {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(20));
                long now = System.nanoTime(); // the moment they all became visible here, one per poll
                for (ConsumerRecord<byte[], byte[]> r : polled) {
                    answeredAt.putIfAbsent(new String(r.key(), StandardCharsets.UTF_8), now);
                }
            }
        }
    }

    /** Sends every request at once and returns when each one's answer became visible (read committed), in ns. */
    long[] answerBacklog(List<byte[]> requests) throws InterruptedException {
        String[] keys = new String[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            keys[i] = "r" + nextKey++;
            producer.send(new ProducerRecord<>(job.requestTopic(), keys[i].getBytes(StandardCharsets.UTF_8),
                    requests.get(i)));
        }
        producer.flush();
        awaitAll(keys);
        long[] times = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            times[i] = answeredAt.get(keys[i]);
        }
        return times;
    }

    /** Sends the requests at {@code perSecond} and measures each one's time from produce to answer. */
    Latency latency(List<byte[]> requests, double perSecond) throws InterruptedException {
        String[] keys = new String[requests.size()];
        long[] sentAt = new long[requests.size()];
        Pacing.atRate(requests.size(), perSecond, i -> {
            keys[i] = "r" + nextKey++;
            sentAt[i] = System.nanoTime();
            producer.send(new ProducerRecord<>(job.requestTopic(), keys[i].getBytes(StandardCharsets.UTF_8),
                    requests.get(i)));
            producer.flush();
        });
        awaitAll(keys);
        double[] millis = new double[keys.length];
        for (int i = 0; i < keys.length; i++) {
            millis[i] = (answeredAt.get(keys[i]) - sentAt[i]) / 1e6;
        }
        return Latency.of(millis);
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
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            job.close();
        }
    }
}
