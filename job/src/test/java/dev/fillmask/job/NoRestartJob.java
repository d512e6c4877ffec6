package dev.fillmask.job;

import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.Topics;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The job on the test's MiniCluster with no restart strategy, so that any failure ends it and a test can tell: the
 * way the tests that feed bad or heavy records run it. Two slots, one ONNX Runtime thread each, checkpoints every
 * 500 ms, topics of two partitions on the given broker.
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
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(ListenAddress.loopback().flinkConfiguration())
                .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());
    }

    static NoRestartJob start(EmbeddedKafka kafka, Path model) throws Exception {
        Configuration options = new Configuration();
        options.set(FillMaskOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        options.set(FillMaskOptions.MODEL, model.toString());
        options.set(FillMaskOptions.PARALLELISM, 2);
        options.set(FillMaskOptions.THREADS, 1);
        options.set(FillMaskOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(options.get(FillMaskOptions.INPUT_TOPIC),
                options.get(FillMaskOptions.OUTPUT_TOPIC), options.get(FillMaskOptions.DEAD_LETTER_TOPIC)), 2);

        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
        FillMaskJob job = FillMaskJob.onKafka(options);
        job.configure(env);
        env.configure(noRestarts);
        job.addTo(env);
        return new NoRestartJob(options, env.executeAsync(FillMaskJob.NAME));
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
