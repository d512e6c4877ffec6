package dev.fillmask.job;

import dev.fillmask.engine.model.ModelVersion;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.job.kafka.AnswerHeaders;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.schemas.FillMaskCodec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model swap while the job runs, on a Flink MiniCluster against a real KRaft broker in this JVM, under a steady
 * stream of requests: model A is the real default model (the job's {@code --model}), model B the tiny test model. A
 * swap to a folder that does not exist fails and A keeps serving; the swap to B is taken between two batches; every
 * request is answered exactly once, and per input partition, in offset order, the answers' model headers switch from
 * A to B exactly once. A job restored from a savepoint taken after the swap serves B although started with A.
 *
 * <p>The requests hold both models' mask tokens ({@code [MASK]} for A, {@code <mask>} for B): to each model the other
 * one's is plain text, so each finds exactly one mask and every request gets a real answer from either.
 */
class ModelSwapITCase {
    private static final int PARALLELISM = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestJobs.miniCluster(2);

    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static Path modelA;
    private static Path modelB;
    private static String versionA;
    private static String versionB;

    @BeforeAll
    static void start() {
        modelA = SharedDefaultModel.path();
        modelB = TinyMaskedLm.write(dir.resolve("tiny-b"), HeadForm.FULL);
        versionA = ModelVersion.of(modelA);
        versionB = ModelVersion.of(modelB);
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Options for a job on topics of its own (prefixed {@code name}), started with model A. */
    private static Configuration options(String name) {
        Configuration options = TestJobs.options(kafka, name, modelA, PARALLELISM);
        // Two input partitions: the order that must hold is per partition.
        TestJobs.createTopics(kafka, options, 2, 1);
        return options;
    }

    private static JobClient startJob(Configuration options, String savepoint) throws Exception {
        Configuration environment = new Configuration();
        if (savepoint != null) {
            environment.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        return TestJobs.start(options, environment, answered -> { });
    }

    private static byte[] request(int i) {
        return ("{\"inputs\": \"request " + i + ": the [MASK] sat on the <mask>.\", \"parameters\": {\"top_k\": 2}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String key(int i) {
        return String.format("r-%05d", i);
    }

    @Test
    void aSwapUnderSteadyLoadAnswersEveryRequestOnceAndSwitchesModelsOnceBetweenBatches() throws Exception {
        Configuration options = options("swap");
        JobClient job = startJob(options, null);
        SteadyRequests load = new SteadyRequests(options.get(FillMaskOptions.INPUT_TOPIC));
        try (TopicReader answers = new TopicReader(kafka.bootstrapServers(), options.get(FillMaskOptions.OUTPUT_TOPIC), "read_committed");
             TopicReader statuses = new TopicReader(kafka.bootstrapServers(), options.get(FillMaskOptions.STATUS_TOPIC), "read_uncommitted");
             KafkaProducer<byte[], byte[]> control = producer()) {
            load.start();
            answers.await(r -> r.size() >= 20, Duration.ofMinutes(3), "the first answers, from A");

            // A swap that cannot be done: A keeps serving, and the status record says why.
            send(control, options.get(FillMaskOptions.CONTROL_TOPIC), "swap-missing",
                    "{\"model\": \"" + dir.resolve("no-such-model") + "\"}");
            JsonNode failed = statusOf(statuses, "swap-missing");
            assertEquals("failed", failed.path("outcome").asText(), failed.toString());
            assertTrue(failed.path("error").asText().contains("does not exist"), failed.toString());
            assertEquals(versionA, failed.path("servingVersion").asText(), "A still serves");
            int answeredBeforeSwap = answers.size();

            send(control, options.get(FillMaskOptions.CONTROL_TOPIC), "swap-to-b",
                    "{\"model\": \"" + modelB + "\", \"version\": \"" + versionB.substring(0, 8) + "\"}");
            JsonNode swapped = statusOf(statuses, "swap-to-b");
            assertEquals("swapped", swapped.path("outcome").asText(), swapped.toString());
            assertEquals(0, swapped.path("subtask").asInt());
            assertEquals(PARALLELISM, swapped.path("subtasks").asInt());
            assertEquals(versionB, swapped.path("version").asText());
            int sentWhenSwapped = load.sent();

            answers.await(r -> countModel(r, versionB) >= 20, Duration.ofMinutes(2), "answers from B");
            int sent = load.stop();
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey = awaitKeys(answers, sent, Duration.ofMinutes(2));

            for (int i = 0; i < sent; i++) {
                assertEquals(1, byKey.get(key(i)).size(), "exactly one answer for request " + i);
            }
            assertEquals(sent, answers.size(), "no answer but one per request");
            FillMaskCodec codec = new FillMaskCodec();
            for (ConsumerRecord<byte[], byte[]> r : answers.records()) {
                assertFalse(codec.readAnswer(new String(r.value(), StandardCharsets.UTF_8)).isError(),
                        "each model answers: " + new String(r.value(), StandardCharsets.UTF_8));
            }
            for (int i = 0; i < answeredBeforeSwap; i++) {
                assertEquals(versionA, header(answers.records().get(i), AnswerHeaders.HEADER_MODEL_VERSION),
                        "answered before the swap was sent: A");
            }
            for (int i = sentWhenSwapped; i < sent; i++) {
                ConsumerRecord<byte[], byte[]> answer = byKey.get(key(i)).get(0);
                assertEquals("tiny-b", header(answer, AnswerHeaders.HEADER_MODEL), "sent after the swap: B");
                assertEquals(versionB, header(answer, AnswerHeaders.HEADER_MODEL_VERSION));
            }

            // Per input partition, in offset order (the order sent): A, A, ..., B, B: one switch, so no batch mixes.
            Map<Integer, List<String>> versionsByPartition = load.partitionOrder(byKey);
            int switches = 0;
            for (List<String> versions : versionsByPartition.values()) {
                assertEquals(versionA, versions.get(0));
                assertEquals(versionB, versions.get(versions.size() - 1));
                int first = versions.indexOf(versionB);
                assertTrue(versions.subList(first, versions.size()).stream().allMatch(versionB::equals),
                        "after the first answer from B only B: " + versions);
                assertTrue(versions.subList(0, first).stream().allMatch(versionA::equals), "A before it");
                switches++;
            }
            assertEquals(2, switches, "both partitions switched once");
            for (ConsumerRecord<byte[], byte[]> r : answers.records()) {
                String version = header(r, AnswerHeaders.HEADER_MODEL_VERSION);
                String name = header(r, AnswerHeaders.HEADER_MODEL);
                assertEquals(version.equals(versionA) ? modelA.getFileName().toString() : "tiny-b", name);
            }
            System.out.println("| model swap under load (ModelSwapITCase) | " + sent + " requests, "
                    + countModel(answers.records(), versionA) + " answered by A, "
                    + countModel(answers.records(), versionB) + " by B, each once; B loaded in "
                    + swapped.path("loadMs").asLong() + " ms |");
        } finally {
            load.stop();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aJobRestoredFromASavepointTakenAfterTheSwapServesTheSwappedModel() throws Exception {
        Configuration options = options("restore");
        String input = options.get(FillMaskOptions.INPUT_TOPIC);
        JobClient job = startJob(options, null);
        String savepoint;
        try (TopicReader answers = new TopicReader(kafka.bootstrapServers(), options.get(FillMaskOptions.OUTPUT_TOPIC), "read_committed");
             TopicReader statuses = new TopicReader(kafka.bootstrapServers(), options.get(FillMaskOptions.STATUS_TOPIC), "read_uncommitted");
             KafkaProducer<byte[], byte[]> producer = producer()) {
            send(producer, input, key(0), new String(request(0), StandardCharsets.UTF_8));
            awaitKeys(answers, 1, Duration.ofMinutes(3));
            assertEquals(versionA, header(answers.records().get(0), AnswerHeaders.HEADER_MODEL_VERSION));
            send(producer, options.get(FillMaskOptions.CONTROL_TOPIC), "to-b", "{\"model\": \"" + modelB + "\"}");
            assertEquals("swapped", statusOf(statuses, "to-b").path("outcome").asText());
            send(producer, input, key(1), new String(request(1), StandardCharsets.UTF_8));
            awaitKeys(answers, 2, Duration.ofMinutes(1));
            savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get(2, TimeUnit.MINUTES);
        }
        // Started with --model A again, as after a redeployment; its savepoint says B.
        JobClient restored = startJob(options, savepoint);
        try (TopicReader answers = new TopicReader(kafka.bootstrapServers(), options.get(FillMaskOptions.OUTPUT_TOPIC), "read_committed");
             KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 2; i < 6; i++) {
                send(producer, input, key(i), new String(request(i), StandardCharsets.UTF_8));
            }
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey = awaitKeys(answers, 6, Duration.ofMinutes(2));
            assertEquals(versionA, header(byKey.get(key(0)).get(0), AnswerHeaders.HEADER_MODEL_VERSION));
            for (int i = 1; i < 6; i++) {
                assertEquals(1, byKey.get(key(i)).size(), "one answer for request " + i + " across the restore");
                assertEquals(versionB, header(byKey.get(key(i)).get(0), AnswerHeaders.HEADER_MODEL_VERSION),
                        "request " + i + ": B, as at the savepoint");
            }
        } finally {
            restored.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    private static JsonNode statusOf(TopicReader statuses, String id) throws IOException {
        statuses.await(records -> records.stream().anyMatch(r -> id.equals(key(r))), Duration.ofMinutes(2),
                "the status of " + id);
        for (ConsumerRecord<byte[], byte[]> r : statuses.records()) {
            if (id.equals(key(r))) {
                return JSON.readTree(r.value());
            }
        }
        throw new AssertionError("no status for " + id);
    }

    private static long countModel(List<ConsumerRecord<byte[], byte[]>> records, String version) {
        return records.stream().filter(r -> version.equals(header(r, AnswerHeaders.HEADER_MODEL_VERSION))).count();
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, String value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** A request every 10 ms, on a thread of its own, each request's partition and offset noted. */
    private static final class SteadyRequests {
        private final String topic;
        private final AtomicBoolean running = new AtomicBoolean();
        private final Map<String, int[]> positions = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile int sent;
        private Thread thread;
        private volatile Exception failure;

        SteadyRequests(String topic) {
            this.topic = topic;
        }

        void start() {
            running.set(true);
            thread = new Thread(() -> {
                try (KafkaProducer<byte[], byte[]> producer = producer()) {
                    for (int i = 0; running.get(); i++) {
                        var metadata = producer.send(new ProducerRecord<>(topic,
                                key(i).getBytes(StandardCharsets.UTF_8), request(i))).get(30, TimeUnit.SECONDS);
                        positions.put(key(i), new int[] {metadata.partition(), (int) metadata.offset()});
                        sent = i + 1;
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    failure = e;
                }
            }, "steady-requests");
            thread.start();
        }

        int sent() {
            return sent;
        }

        /** Stops sending; returns how many requests were sent (keys 0 .. n-1). */
        int stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(60_000);
            }
            if (failure != null) {
                throw new AssertionError("sending failed", failure);
            }
            return sent;
        }

        /** The model versions of the answers, per input partition, in the requests' offset order. */
        Map<Integer, List<String>> partitionOrder(Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey) {
            Map<Integer, java.util.TreeMap<Integer, String>> ordered = new java.util.TreeMap<>();
            byKey.forEach((key, records) -> {
                int[] position = positions.get(key);
                ordered.computeIfAbsent(position[0], p -> new java.util.TreeMap<>())
                        .put(position[1], header(records.get(0), AnswerHeaders.HEADER_MODEL_VERSION));
            });
            Map<Integer, List<String>> result = new LinkedHashMap<>();
            ordered.forEach((partition, versions) -> result.put(partition, new ArrayList<>(versions.values())));
            return result;
        }
    }

    /** Waits for an answer to each of the requests 0 .. n-1, reads on 2 s for duplicates; the answers by key. */
    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> awaitKeys(TopicReader answers, int n,
                                                                               Duration timeout) {
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(key(i));
        }
        answers.await(r -> byKey(r).keySet().containsAll(keys), timeout, n + " answers");
        answers.readFor(Duration.ofSeconds(2));
        return byKey(answers.records());
    }

    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, List<ConsumerRecord<byte[], byte[]>>> byKey = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            byKey.computeIfAbsent(key(r), k -> new ArrayList<>()).add(r);
        }
        return byKey;
    }
}
