package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Fill-mask for any {@code DataStream<IN>}: the batching operator (one engine per slot, micro-batches, recovery from
 * poison pills), given how to read the request of an {@code IN} and how to attach its answer.
 *
 * <pre>{@code
 * DataStream<Scored> scored = FillMaskStream.<Review, Scored>builder()
 *         .setModelFolder(Path.of("/models/bert"))
 *         .setRequests(review -> CODEC.readRequest(review.json()))   // a static codec: the functions are serialized
 *         .setAnswers((review, answer) -> new Scored(review, answer))
 *         .setOutputType(TypeInformation.of(Scored.class))
 *         .build()
 *         .applyTo(reviews);
 * }</pre>
 *
 * <p>To swap the model while the job runs, hand {@link #applyTo(DataStream, DataStream)} a stream of
 * {@link ModelChange}s too: it reaches every subtask, and each subtask's {@link ModelStatus} comes out as the side
 * output {@link #MODEL_STATUS} of the answered stream.
 *
 * @param <IN> the records in
 * @param <OUT> the records out, one per record in, in arrival order
 */
public final class FillMaskStream<IN, OUT> {
    /** The request of a record, or why it has none ({@link DecodedRequest.Invalid}); must not throw. */
    @FunctionalInterface
    public interface RequestOf<IN> extends Serializable {
        DecodedRequest request(IN record);
    }

    /** The record that carries {@code answer} (an error answer for a refused request) for {@code record}. */
    @FunctionalInterface
    public interface AnswerTo<IN, OUT> extends Serializable {
        OUT answered(IN record, FillMaskAnswer answer);
    }

    /** The side output of the answered stream that says what each subtask did with each {@link ModelChange}. */
    public static final OutputTag<ModelStatus> MODEL_STATUS =
            new OutputTag<>("fill-mask-model-status", TypeInformation.of(ModelStatus.class));

    private final Builder<IN, OUT> settings;

    private FillMaskStream(Builder<IN, OUT> settings) {
        this.settings = settings;
    }

    public static <IN, OUT> Builder<IN, OUT> builder() {
        return new Builder<>();
    }

    /** The answered stream of {@code input}: one record out per record in. */
    public SingleOutputStreamOperator<OUT> applyTo(DataStream<IN> input) {
        SingleOutputStreamOperator<OUT> answered = input.transform(settings.name, settings.outputType, operator());
        return settings.uid == null ? answered : answered.uid(settings.uid);
    }

    /**
     * The answered stream of {@code input}, its model swapped by {@code modelChanges}, which every subtask receives
     * (broadcast). A two-input operator is not chained to the operator before it, so {@code input} reaches it over
     * a local exchange rather than a method call. The statuses of the changes are the side output
     * {@link #MODEL_STATUS} of the result.
     *
     * <p>Run it on TaskManagers with {@code taskmanager.network.memory.buffer-debloat.enabled: true}. The two inputs
     * are aligned at each checkpoint barrier, so a change, like the barrier, waits for the records buffered on the
     * exchange before it; when {@code input} has a backlog, Flink's default buffers hold a minute or more of them for
     * a model on a CPU, and debloated ones about a second. (Unaligned checkpoints do not apply: Flink takes none at an
     * operator with a broadcast input.)
     */
    public SingleOutputStreamOperator<OUT> applyTo(DataStream<IN> input, DataStream<ModelChange> modelChanges) {
        SingleOutputStreamOperator<OUT> answered = input.connect(modelChanges.broadcast())
                .transform(settings.name, settings.outputType, operator());
        return settings.uid == null ? answered : answered.uid(settings.uid);
    }

    private FillMaskOperator<IN, OUT> operator() {
        return new FillMaskOperator<>(settings.modelFolder, settings.engineOptions, settings.batchPolicy,
                settings.records, settings.poisonPills, settings.modelResolver);
    }

    /** How to build a {@link FillMaskStream}; the model folder, the records and the output type are required. */
    public static final class Builder<IN, OUT> {
        private Path modelFolder;
        private EngineOptions engineOptions = EngineOptions.defaults();
        private BatchPolicy batchPolicy = new BatchPolicy(16, Duration.ofMillis(20));
        private FillMaskRecords<IN, OUT> records;
        private RequestOf<IN> requestOf;
        private AnswerTo<IN, OUT> answerTo;
        private PoisonPills poisonPills = PoisonPills.DEAD_LETTER;
        private ModelResolver modelResolver = ModelResolver.FOLDERS;
        private TypeInformation<OUT> outputType;
        private String name = "fill-mask";
        private String uid;

        private Builder() {}

        /** A model folder in the Hugging Face ONNX export layout, the same path on every TaskManager. */
        public Builder<IN, OUT> setModelFolder(Path folder) {
            this.modelFolder = folder;
            return this;
        }

        /** Session options and request limits; threads 0 (the default) means the TaskManager's cores / its slots. */
        public Builder<IN, OUT> setEngineOptions(EngineOptions options) {
            this.engineOptions = options;
            return this;
        }


        /** When a micro-batch runs (default: 16 records or 20 ms). */
        public Builder<IN, OUT> setBatchPolicy(BatchPolicy policy) {
            this.batchPolicy = policy;
            return this;
        }

        /** Both ways at once, with a record identity for poison-pill recovery ({@link FillMaskRecords#identity}). */
        public Builder<IN, OUT> setRecords(FillMaskRecords<IN, OUT> records) {
            this.records = records;
            return this;
        }

        /** How to read the request of a record (with {@link #setAnswers}, instead of {@link #setRecords}). */
        public Builder<IN, OUT> setRequests(RequestOf<IN> requestOf) {
            this.requestOf = requestOf;
            return this;
        }

        /** How to attach an answer to its record (with {@link #setRequests}). */
        public Builder<IN, OUT> setAnswers(AnswerTo<IN, OUT> answerTo) {
            this.answerTo = answerTo;
            return this;
        }

        /** What to do with a record that fails the job again while it recovers (default: answer it with an error). */
        public Builder<IN, OUT> setPoisonPills(PoisonPills policy) {
            this.poisonPills = policy;
            return this;
        }

        /** How a {@link ModelChange}'s model becomes a folder (default: it is a folder's path). */
        public Builder<IN, OUT> setModelResolver(ModelResolver resolver) {
            this.modelResolver = resolver;
            return this;
        }

        public Builder<IN, OUT> setOutputType(TypeInformation<OUT> type) {
            this.outputType = type;
            return this;
        }

        /** The operator's name (default {@code fill-mask}). */
        public Builder<IN, OUT> setName(String operatorName) {
            this.name = operatorName;
            return this;
        }

        /** The operator's uid, to keep its state across changes of the job graph. */
        public Builder<IN, OUT> setUid(String operatorUid) {
            this.uid = operatorUid;
            return this;
        }

        public FillMaskStream<IN, OUT> build() {
            Objects.requireNonNull(modelFolder, "the model folder is required (setModelFolder)");
            Objects.requireNonNull(outputType, "the output type is required (setOutputType)");
            Objects.requireNonNull(engineOptions, "engine options");
            Objects.requireNonNull(batchPolicy, "batch policy");
            Objects.requireNonNull(poisonPills, "poison pills");
            Objects.requireNonNull(modelResolver, "model resolver");
            if (records != null && (requestOf != null || answerTo != null)) {
                throw new IllegalStateException("give either setRecords(...) or setRequests(...) with setAnswers(...), not both");
            }
            if (records == null && (requestOf == null || answerTo == null)) {
                throw new IllegalStateException("give either setRecords(...) or both setRequests(...) and setAnswers(...)");
            }
            if (records == null) {
                records = new Functions<>(requestOf, answerTo);
            }
            return new FillMaskStream<>(this);
        }
    }

    /** Records read and answered by two functions; no identity, so a poison pill is retried. */
    private record Functions<IN, OUT>(RequestOf<IN> requestOf, AnswerTo<IN, OUT> answerTo)
            implements FillMaskRecords<IN, OUT> {
        @Override
        public DecodedRequest decode(IN record) {
            return requestOf.request(record);
        }

        @Override
        public OUT answered(IN record, FillMaskAnswer answer) {
            return answerTo.answered(record, answer);
        }
    }
}
