package dev.fillmask.job;

import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.job.kafka.AnswerHeaders;
import dev.fillmask.job.kafka.AnsweredRecord;
import dev.fillmask.job.kafka.KafkaConnections;
import dev.fillmask.job.kafka.KafkaPreflight;
import dev.fillmask.job.kafka.KafkaRecord;
import dev.fillmask.job.kafka.KafkaRequests;
import dev.fillmask.job.kafka.RecordSizeLimit;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.BatchPolicy;
import dev.fillmask.udf.FillMaskStream;
import dev.fillmask.engine.model.ModelVersion;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;

/**
 * The streaming job: requests → the fill-mask operator (one ONNX session per slot, micro-batched) → answers, and the
 * requests answered with an error also to the dead letters. It takes its source and sinks from outside, so a test can
 * hand it others; {@link #main} wires Kafka.
 */
public final class FillMaskJob {
    public static final String NAME = "fill-mask";

    private final Configuration options;
    private final Path modelFolder;
    private final Source<KafkaRecord, ?, ?> source;
    private final Sink<AnsweredRecord> answers;
    private final Sink<AnsweredRecord> deadLetters;

    public FillMaskJob(Configuration options, Path modelFolder, Source<KafkaRecord, ?, ?> source,
                       Sink<AnsweredRecord> answers, Sink<AnsweredRecord> deadLetters) {
        this.options = options;
        this.modelFolder = modelFolder;
        this.source = source;
        this.answers = answers;
        this.deadLetters = deadLetters;
    }

    /** The job on Kafka, as the options say. */
    public static FillMaskJob onKafka(Configuration options) {
        KafkaConnections kafka = new KafkaConnections(options);
        return new FillMaskJob(options, modelFolder(options), kafka.source(), kafka.answerSink(), kafka.deadLetterSink());
    }

    /** Checkpointing, parallelism and object reuse for {@code env}, from the options. */
    public void configure(StreamExecutionEnvironment env) {
        env.enableCheckpointing(options.get(FillMaskOptions.CHECKPOINT_INTERVAL).toMillis(), CheckpointingMode.EXACTLY_ONCE);
        options.getOptional(FillMaskOptions.PARALLELISM).ifPresent(env::setParallelism);
        // Every record is a fresh object from the source, and the operator hands each answer on at once: no copies.
        env.getConfig().enableObjectReuse();
    }

    /**
     * Adds the job's graph to {@code env} and returns the stream of answered records that feeds both sinks, so a
     * caller can hang more on it (a test, a step that fails once).
     */
    public DataStream<AnsweredRecord> addTo(StreamExecutionEnvironment env) {
        RecordSizeLimit recordLimit = RecordSizeLimit.of(KafkaConnections.clientPropertiesOf(options));
        RequestLimits limits = FillMaskOptions.requestLimits(options, recordLimit.defaultMaxAnswerBytes());
        FillMaskStream<KafkaRecord, AnsweredRecord> fillMask = FillMaskStream.<KafkaRecord, AnsweredRecord>builder()
                .setModelFolder(modelFolder)
                .setEngineOptions(EngineSettings.of(options, limits))
                .setBatchPolicy(new BatchPolicy(options.get(FillMaskOptions.BATCH_SIZE),
                        options.get(FillMaskOptions.BATCH_MAX_DELAY)))
                .setRecords(new KafkaRequests(limits, recordLimit, answerHeaders(options, modelFolder)))
                .setPoisonPills(options.get(FillMaskOptions.POISON_PILLS))
                .setOutputType(TypeInformation.of(AnsweredRecord.class))
                .setName("fill-mask").setUid("fill-mask")
                .build();
        DataStream<AnsweredRecord> answered = fillMask.applyTo(
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "requests").uid("requests"));
        answered.sinkTo(answers).name("answers").uid("answers");
        answered.filter(new IsError()).name("errors").uid("errors")
                .sinkTo(deadLetters).name("dead-letters").uid("dead-letters");
        return answered;
    }

    /**
     * The answers' headers: the option's selection of the request's, and the model's name and version. The version is
     * computed here, once per job, since for a folder without a manifest it hashes every file.
     */
    static AnswerHeaders answerHeaders(Configuration options, Path modelFolder) {
        Path name = modelFolder.getFileName();
        return AnswerHeaders.of(options.get(FillMaskOptions.ANSWER_HEADERS),
                name == null ? modelFolder.toString() : name.toString(), ModelVersion.of(modelFolder));
    }

    /** Keeps the requests answered with an error: they also go to the dead letters. */
    static final class IsError implements FilterFunction<AnsweredRecord> {
        @Override
        public boolean filter(AnsweredRecord record) {
            return record.isError();
        }
    }

    /**
     * The model folder the options name (a built-in model's name, imported here first if missing, or a folder), or
     * the default model. Resolved where the job is built; on a cluster the same path must exist on every TaskManager.
     */
    public static Path modelFolder(Configuration options) {
        return ModelCatalog.resolve(options.getOptional(FillMaskOptions.MODEL).orElse(""), System.err);
    }

    /** Entry point for {@code flink run}: {@code --bootstrap-servers HOST:PORT [--input-topic T] ...}. */
    public static void main(String[] args) throws Exception {
        Configuration options = JobArguments.parse(args);
        // A wrong password or an untrusted broker certificate ends the start here, not in endless restarts.
        KafkaPreflight.check(options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FillMaskJob job = onKafka(options);
        job.configure(env);
        job.addTo(env);
        env.execute(NAME);
    }
}
