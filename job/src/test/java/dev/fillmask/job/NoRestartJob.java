package dev.fillmask.job;

import dev.fillmask.job.local.EmbeddedKafka;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The job on the test's MiniCluster with no restart strategy, so that any failure ends it and a test can tell: the
 * way the tests that feed bad or heavy records run it. Two slots, one ONNX Runtime thread each, checkpoints every
 * 500 ms, batches of the default size, topics of two partitions on the given broker.
 */
final class NoRestartJob implements AutoCloseable {
    private final Configuration options;
    private final JobClient client;

    private NoRestartJob(Configuration options, JobClient client) {
        this.options = options;
        this.client = client;
    }

    /** The MiniCluster such a test registers: one TaskManager with two slots, on loopback. */
    static MiniClusterExtension miniCluster() {
        return TestJobs.miniCluster(2);
    }

    static NoRestartJob start(EmbeddedKafka kafka, Path model) throws Exception {
        Configuration options = TestJobs.options(kafka, "no-restart", model, 2);
        // Full batches, as a deployment runs them: the heavy and hostile records meet the default batch size.
        options.set(FillMaskOptions.BATCH_SIZE, FillMaskOptions.BATCH_SIZE.defaultValue());
        TestJobs.createTopics(kafka, options, 2, 2);
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return new NoRestartJob(options, TestJobs.start(options, noRestarts, answered -> { }));
    }

    Configuration options() {
        return options;
    }

    String inputTopic() {
        return options.get(FillMaskOptions.INPUT_TOPIC);
    }

    String outputTopic() {
        return options.get(FillMaskOptions.OUTPUT_TOPIC);
    }

    String deadLetterTopic() {
        return options.get(FillMaskOptions.DEAD_LETTER_TOPIC);
    }

    /** The job's status; FAILED when it cannot be asked any more. */
    JobStatus status() {
        try {
            return client.getJobStatus().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return JobStatus.FAILED;
        }
    }

    boolean ended() {
        return status().isGloballyTerminalState();
    }

    @Override
    public void close() throws Exception {
        client.cancel().get(30, TimeUnit.SECONDS);
    }
}
