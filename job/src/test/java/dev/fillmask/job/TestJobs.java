package dev.fillmask.job;

import dev.fillmask.job.kafka.AnsweredRecord;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.Topics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The set-up the job's MiniCluster tests share: the cluster, the options of a job on topics of its own, the topics,
 * and the job's start. Each test class still says what is particular to it (its parallelism, partitions, model).
 */
final class TestJobs {
    private TestJobs() {
    }

    /** One TaskManager with {@code slots} slots on loopback, with the settings local runs give their cluster. */
    static MiniClusterExtension miniCluster(int slots) {
        return miniCluster(slots, true);
    }

    /** As {@link #miniCluster(int)}, with or without {@link FillMaskJob#clusterSettings()} (for a benchmark). */
    static MiniClusterExtension miniCluster(int slots, boolean withJobSettings) {
        Configuration cluster = ListenAddress.loopback().flinkConfiguration();
        if (withJobSettings) {
            cluster.addAll(FillMaskJob.clusterSettings());
        }
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(cluster).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(slots).build());
    }

    /**
     * Options for a job whose five topics, consumer group and transactional ids are prefixed {@code name}, so that
     * the jobs of one broker do not meet: checkpoints every 500 ms, batches of 8, one ONNX Runtime thread per slot
     * (the slots share the machine's cores).
     */
    static Configuration options(EmbeddedKafka kafka, String name, Path model, int parallelism) {
        Configuration options = new Configuration();
        options.set(FillMaskOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        options.set(FillMaskOptions.INPUT_TOPIC, name + "-requests");
        options.set(FillMaskOptions.OUTPUT_TOPIC, name + "-answers");
        options.set(FillMaskOptions.DEAD_LETTER_TOPIC, name + "-dead-letters");
        options.set(FillMaskOptions.CONTROL_TOPIC, name + "-control");
        options.set(FillMaskOptions.STATUS_TOPIC, name + "-status");
        options.set(FillMaskOptions.GROUP_ID, name);
        options.set(FillMaskOptions.TRANSACTIONAL_ID_PREFIX, name);
        options.set(FillMaskOptions.MODEL, model.toString());
        options.set(FillMaskOptions.PARALLELISM, parallelism);
        options.set(FillMaskOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        options.set(FillMaskOptions.BATCH_SIZE, 8);
        options.set(FillMaskOptions.THREADS, 1);
        return options;
    }

    /** Creates the job's topics with {@code partitions} each; the input topic with {@code inputPartitions}. */
    static void createTopics(EmbeddedKafka kafka, Configuration options, int inputPartitions, int partitions) {
        Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(options.get(FillMaskOptions.INPUT_TOPIC)),
                inputPartitions);
        Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(options.get(FillMaskOptions.OUTPUT_TOPIC),
                options.get(FillMaskOptions.DEAD_LETTER_TOPIC), options.get(FillMaskOptions.CONTROL_TOPIC),
                options.get(FillMaskOptions.STATUS_TOPIC)), partitions);
    }

    /** Starts the job on the test's MiniCluster. */
    static JobClient start(Configuration options) throws Exception {
        return start(options, new Configuration(), answered -> { });
    }

    /**
     * Starts the job with {@code environment} (a savepoint to restore, a restart strategy) and {@code beside} hung on
     * the stream of answered records that feeds the sinks (a step that fails once, for instance).
     */
    static JobClient start(Configuration options, Configuration environment,
                           Consumer<DataStream<AnsweredRecord>> beside) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(environment);
        FillMaskJob job = FillMaskJob.onKafka(options);
        job.configure(env);
        env.configure(environment);
        beside.accept(job.addTo(env));
        return env.executeAsync(FillMaskJob.NAME);
    }
}
