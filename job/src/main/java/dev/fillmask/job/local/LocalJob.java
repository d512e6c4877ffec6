package dev.fillmask.job.local;

import dev.fillmask.job.FillMaskJob;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** What a {@link LocalRun} starts on its local Flink cluster once the broker and the topics are there. */
@FunctionalInterface
public interface LocalJob {
    /** The streaming job on Kafka ({@link FillMaskJob}). */
    LocalJob KAFKA = (env, options) -> {
        FillMaskJob job = FillMaskJob.onKafka(options);
        job.configure(env);
        job.addTo(env);
        return env.executeAsync(FillMaskJob.NAME);
    };

    /**
     * Starts the job on {@code env}; {@code options} hold the job options with the bootstrap servers and the model
     * folder filled in.
     */
    JobClient start(StreamExecutionEnvironment env, Configuration options) throws Exception;
}
