package dev.fillmask.job;

import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.RequestFeeder;
import dev.fillmask.job.local.Topics;
import dev.fillmask.engine.testing.SharedDefaultModel;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job against the official Kafka image, where Docker runs (skipped cleanly where it does not, as on the project's
 * CI machines; {@link FillMaskJobITCase} covers the same path with an in-JVM broker there).
 */
@Testcontainers(disabledWithoutDocker = true)
class FillMaskJobKafkaContainerITCase {
    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.2.0")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(ListenAddress.loopback().flinkConfiguration())
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void answersEveryRequestExactlyOnce() throws Exception {
        Path model = SharedDefaultModel.path();
        String bootstrap = KAFKA.getBootstrapServers();
        Configuration options = new Configuration();
        options.set(FillMaskOptions.BOOTSTRAP_SERVERS, bootstrap);
        options.set(FillMaskOptions.MODEL, model.toString());
        options.set(FillMaskOptions.PARALLELISM, 1);
        options.set(FillMaskOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        Topics.ensure(bootstrap, new Properties(), List.of(options.get(FillMaskOptions.INPUT_TOPIC),
                options.get(FillMaskOptions.OUTPUT_TOPIC), options.get(FillMaskOptions.DEAD_LETTER_TOPIC)), 1);

        List<byte[]> values = MixedRequests.of(40);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            keys.add("container-" + i);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FillMaskJob job = FillMaskJob.onKafka(options);
        job.configure(env);
        job.addTo(env);
        JobClient client = env.executeAsync(FillMaskJob.NAME);
        try (AnswerCollector answers = new AnswerCollector(bootstrap, new Properties(),
                options.get(FillMaskOptions.OUTPUT_TOPIC))) {
            RequestFeeder.send(bootstrap, new Properties(), options.get(FillMaskOptions.INPUT_TOPIC), keys, values);
            assertTrue(answers.awaitKeys(new LinkedHashSet<>(keys), Duration.ofMinutes(3), () -> false, n -> {}));
            answers.drain(new LinkedHashSet<>(keys), Duration.ofSeconds(2));
            assertEquals(keys.size(), answers.records().size(), "exactly one answer per request");
            List<String> expected = PredictReference.answers(model, values);
            for (int i = 0; i < keys.size(); i++) {
                assertEquals(expected.get(i), answers.answersByKey().get(keys.get(i)), "request " + i);
            }
        } finally {
            client.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
