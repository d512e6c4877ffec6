package dev.fillmask.job.bench;

import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.LocalJob;
import dev.fillmask.job.local.Topics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The job behind the bench's job rows, as users run it: an embedded broker with the rows' topics, and the job on a
 * local Flink cluster with the cluster settings it needs ({@link FillMaskJob#clusterSettings()}), parallelism 1, batch
 * 16, the default checkpoint interval, and the bench's engine options (threads, weights, spinning).
 */
final class BenchJob implements AutoCloseable {
    private final EmbeddedKafka kafka;
    private final JobClient job;
    private final String prefix;

    private BenchJob(EmbeddedKafka kafka, JobClient job, String prefix) {
        this.kafka = kafka;
        this.job = job;
        this.prefix = prefix;
    }

    /**
     * Starts the broker and {@code localJob} on topics named {@code prefix-requests}, {@code prefix-answers} and
     * {@code prefix-dead-letters}; {@code options}: the engine's and any other job options (delivery guarantee…).
     */
    static BenchJob start(String prefix, Path model, ListenAddress listen, LocalJob localJob, Configuration options)
            throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(listen);
        try {
            Topics.ensure(kafka.bootstrapServers(), new Properties(),
                    List.of(prefix + "-requests", prefix + "-answers", prefix + "-dead-letters"), 1);
            Configuration job = new Configuration(options);
            job.set(FillMaskOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            job.set(FillMaskOptions.INPUT_TOPIC, prefix + "-requests");
            job.set(FillMaskOptions.OUTPUT_TOPIC, prefix + "-answers");
            job.set(FillMaskOptions.DEAD_LETTER_TOPIC, prefix + "-dead-letters");
            job.set(FillMaskOptions.TRANSACTIONAL_ID_PREFIX, prefix);
            job.set(FillMaskOptions.MODEL, model.toString());
            job.set(FillMaskOptions.PARALLELISM, 1);
            job.set(FillMaskOptions.BATCH_SIZE, 16);
            job.set(FillMaskOptions.CHECKPOINT_INTERVAL, FillMaskOptions.CHECKPOINT_INTERVAL.defaultValue());
            Configuration cluster = listen.flinkConfiguration();
            cluster.addAll(FillMaskJob.clusterSettings());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, cluster);
            return new BenchJob(kafka, localJob.start(env, job), prefix);
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    String requestTopic() {
        return prefix + "-requests";
    }

    String answerTopic() {
        return prefix + "-answers";
    }

    @Override
    public void close() {
        try {
            job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Stopping anyway.
        } finally {
            kafka.close();
        }
    }
}
