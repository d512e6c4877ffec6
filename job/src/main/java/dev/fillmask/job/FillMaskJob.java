package dev.fillmask.job;

import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.gateway.kafka.JobProbe;
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
import dev.fillmask.udf.ModelChange;
import dev.fillmask.udf.ModelResolver;
import dev.fillmask.udf.ModelStatus;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;

/**
 * The streaming job: requests → the fill-mask operator (one ONNX session per slot, micro-batched) → answers, and the
 * requests answered with an error also to the dead letters. With a control source, its model changes reach every
 * subtask of the operator (model swaps) and their statuses go to a status sink. It takes its sources and sinks from
 * outside, so a test can hand it others; {@link #main} wires Kafka.
 */
public final class FillMaskJob {
    public static final String NAME = "fill-mask";

    private final Configuration options;
    private final Path modelFolder;
    private final Source<KafkaRecord, ?, ?> source;
    private final Sink<AnsweredRecord> answers;
    private final Sink<AnsweredRecord> deadLetters;
    private final Source<ModelChange, ?, ?> modelChanges;
    private final Sink<ModelStatus> modelStatuses;

    /** The job without model swaps. */
    public FillMaskJob(Configuration options, Path modelFolder, Source<KafkaRecord, ?, ?> source,
                       Sink<AnsweredRecord> answers, Sink<AnsweredRecord> deadLetters) {
        this(options, modelFolder, source, answers, deadLetters, null, null);
    }

    /** The job whose model {@code modelChanges} swap (both null: no swaps), reporting to {@code modelStatuses}. */
    public FillMaskJob(Configuration options, Path modelFolder, Source<KafkaRecord, ?, ?> source,
                       Sink<AnsweredRecord> answers, Sink<AnsweredRecord> deadLetters,
                       Source<ModelChange, ?, ?> modelChanges, Sink<ModelStatus> modelStatuses) {
        if ((modelChanges == null) != (modelStatuses == null)) {
            throw new IllegalArgumentException("model changes and their statuses go together");
        }
        this.options = options;
        this.modelFolder = modelFolder;
        this.source = source;
        this.answers = answers;
        this.deadLetters = deadLetters;
        this.modelChanges = modelChanges;
        this.modelStatuses = modelStatuses;
    }

    /** The job on Kafka, as the options say; with model swaps unless {@code --control-topic} is empty. */
    public static FillMaskJob onKafka(Configuration options) {
        KafkaConnections kafka = new KafkaConnections(options);
        boolean swaps = kafka.controlTopic().isPresent();
        return new FillMaskJob(options, modelFolder(options), kafka.source(), kafka.answerSink(), kafka.deadLetterSink(),
                swaps ? kafka.controlSource() : null, swaps ? kafka.statusSink() : null);
    }

    /**
     * What the job needs of the Flink cluster it runs on, beyond slots and memory: settings of the TaskManagers, which
     * a job cannot set for itself. The local runs start their cluster with them, and the deployment files
     * ({@code deploy/}) carry the same lines for a real cluster.
     *
     * <p>Buffer debloating: with model swaps on, the operator has two inputs, so the request source is not chained to
     * it and requests reach it through network buffers (a local exchange). When the source reads faster than the model
     * answers (a backlog), those buffers fill: by default about a minute of requests on a CPU. Every checkpoint
     * barrier queues behind them, and the operator's two inputs are aligned at each barrier (exactly-once), so the
     * control input is held from its own barrier until the requests' arrives: a model change reached the operator
     * only after a minute or more, and each checkpoint, and with it each commit of answers, took as long. Unaligned
     * checkpoints cannot help: Flink takes none where a broadcast input joins (the control records), nor on a
     * pointwise (forward) input such as the requests'. Debloating sizes the in-flight buffers to what the operator
     * consumes in {@code taskmanager.network.memory.buffer-debloat.target} (1 s), so a barrier and a model change wait
     * about that long instead.
     */
    public static Configuration clusterSettings() {
        Configuration settings = new Configuration();
        settings.set(TaskManagerOptions.BUFFER_DEBLOAT_ENABLED, true);
        return settings;
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
                .setRecords(new KafkaRequests(limits, recordLimit,
                        AnswerHeaders.of(options.get(FillMaskOptions.ANSWER_HEADERS))))
                .setPoisonPills(options.get(FillMaskOptions.POISON_PILLS))
                .setModelResolver(new JobModels())
                .setOutputType(TypeInformation.of(AnsweredRecord.class))
                .setName("fill-mask").setUid("fill-mask")
                .build();
        DataStream<KafkaRecord> requests =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "requests").uid("requests");
        SingleOutputStreamOperator<AnsweredRecord> answered;
        if (modelChanges == null) {
            answered = fillMask.applyTo(requests);
        } else {
            // One reader: a control topic has one partition, and every subtask gets each change anyway.
            DataStream<ModelChange> changes = env.fromSource(modelChanges, WatermarkStrategy.noWatermarks(),
                    "model-control").uid("model-control").setParallelism(1);
            answered = fillMask.applyTo(requests, changes);
            answered.getSideOutput(FillMaskStream.MODEL_STATUS).sinkTo(modelStatuses)
                    .name("model-status").uid("model-status");
        }
        answered.sinkTo(answers).name("answers").uid("answers");
        answered.filter(new IsError()).name("errors").uid("errors")
                .sinkTo(deadLetters).name("dead-letters").uid("dead-letters");
        return answered;
    }

    /**
     * Keeps the requests answered with an error: they also go to the dead letters. Not a gateway's readiness probe
     * ({@link JobProbe#isProbe}): its error answer is all the gateway asks for.
     */
    static final class IsError implements FilterFunction<AnsweredRecord> {
        @Override
        public boolean filter(AnsweredRecord record) {
            return record.isError()
                    && !JobProbe.isProbe(record.request.value, record.request.hasHeader(JobProbe.HEADER_PROBE));
        }
    }

    /**
     * The model folder the options name (a built-in model's name, imported here first if missing, or a folder), or
     * the default model. Resolved where the job is built; on a cluster the same path must exist on every TaskManager.
     */
    public static Path modelFolder(Configuration options) {
        return resolveModel(options.getOptional(FillMaskOptions.MODEL).orElse(null));
    }

    /**
     * The folder of a model as {@code --model} or a model swap names it: a built-in model's name (imported first if
     * missing), an imported hub id, or a folder; none (null or blank) is the default model. {@link ModelCatalog} is
     * the one place that turns a model's name into its folder.
     */
    public static Path resolveModel(String model) {
        return ModelCatalog.resolve(model, System.err);
    }

    /** How the operator resolves the model of a swap, on its TaskManager: {@link #resolveModel}. */
    static final class JobModels implements ModelResolver {
        private static final long serialVersionUID = 1L;

        @Override
        public Path resolve(String model) {
            return resolveModel(model);
        }
    }

    /** Entry point for {@code flink run}: {@code --bootstrap-servers HOST:PORT [--input-topic T] ...}. */
    public static void main(String[] args) throws Exception {
        Configuration options = JobArguments.parse(args);
        // A wrong password or an untrusted broker certificate ends the start here, not in endless restarts.
        KafkaPreflight.check(options);
        new KafkaConnections(options).ensureSwapTopics();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FillMaskJob job = onKafka(options);
        job.configure(env);
        job.addTo(env);
        env.execute(NAME);
    }
}
