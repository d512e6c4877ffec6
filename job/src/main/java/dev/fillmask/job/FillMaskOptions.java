package dev.fillmask.job;

import dev.fillmask.engine.ExecutionProvider;
import dev.fillmask.engine.GraphOptimization;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.PoisonPills;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;
import java.util.List;

/**
 * Every option of the streaming job, defined once: name, type, default and description. The command line
 * ({@code --name value}), {@code --help}, the Flink configuration ({@code fill-mask.name: value}) and the README's
 * table all come from these definitions.
 */
public final class FillMaskOptions {
    /** The prefix of every key in a Flink configuration file; on the command line the name goes without it. */
    public static final String PREFIX = "fill-mask.";
    /** The value of {@link #DEVICE} that lets Flink (or the single GPU) decide. */
    public static final String AUTO = "auto";

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key(PREFIX + "bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]. Required, except for the embedded run.");

    public static final ConfigOption<String> INPUT_TOPIC = ConfigOptions.key(PREFIX + "input-topic")
            .stringType().defaultValue("fill-mask-requests")
            .withDescription("Topic the requests are read from (JSON values; the key is the request's id).");

    public static final ConfigOption<String> OUTPUT_TOPIC = ConfigOptions.key(PREFIX + "output-topic")
            .stringType().defaultValue("fill-mask-answers")
            .withDescription("Topic every answer is written to, one per request, with the request's key.");

    public static final ConfigOption<String> ANSWER_HEADERS = ConfigOptions.key(PREFIX + "answer-headers")
            .stringType().defaultValue("all")
            .withDescription("The request's headers each answer carries (W3C traceparent/tracestate, correlation ids, "
                    + "reply-to): all, none, or a comma-separated list of header names (matched ignoring case; a "
                    + "repeated header keeps every value, in order), e.g. traceparent,tracestate. Every answer also "
                    + "carries fill-mask.model (the model folder's name) and fill-mask.model.version (16 hex digits "
                    + "of a SHA-256 of its files). When the copied headers would make the answer too large for one "
                    + "producer request, they are left out and fill-mask.headers.omitted.bytes gives their size.");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key(PREFIX + "dead-letter-topic")
            .stringType().defaultValue("fill-mask-dead-letters")
            .withDescription("Topic that receives every request answered with an error, untouched, with headers "
                    + "saying why and where it came from (Kafka Connect's __connect.errors.* convention).");

    public static final ConfigOption<String> CONTROL_TOPIC = ConfigOptions.key(PREFIX + "control-topic")
            .stringType().defaultValue("fill-mask-control")
            .withDescription("Topic of model swaps: a record {\"model\": \"NAME or folder\", \"version\": \"...\"} "
                    + "(version optional: the 16 hex digits of fill-mask.model.version, or 8 or more of them, that the "
                    + "model must have) makes every subtask load that model beside its own and serve it from its next "
                    + "batch on, without a restart (./fill-mask swap sends one). Read from the job's start on (and from "
                    + "its checkpoint when restored); one partition keeps the swaps in order. Empty: no swaps.");

    public static final ConfigOption<String> STATUS_TOPIC = ConfigOptions.key(PREFIX + "status-topic")
            .stringType().defaultValue("fill-mask-status")
            .withDescription("Topic where each subtask says what it did with each model swap: one JSON record per "
                    + "subtask and swap (subtask, model, version, outcome swapped/failed/rejected, error), keyed by "
                    + "the control record's key. Written at once (at-least-once), not with the checkpoints.");

    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key(PREFIX + "group-id")
            .stringType().defaultValue("fill-mask")
            .withDescription("Kafka consumer group (offsets are committed on checkpoints, for monitoring lag).");

    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS = ConfigOptions.key(PREFIX + "starting-offsets")
            .enumType(StartingOffsets.class).defaultValue(StartingOffsets.COMMITTED)
            .withDescription("Where a job without a checkpoint starts reading: committed (the group's committed "
                    + "offsets, else the earliest), earliest or latest. A restored job always resumes from its checkpoint.");

    public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE = ConfigOptions.key(PREFIX + "delivery-guarantee")
            .enumType(DeliveryGuarantee.class).defaultValue(DeliveryGuarantee.EXACTLY_ONCE)
            .withDescription("exactly-once (Kafka transactions committed on checkpoints; read answers with "
                    + "isolation.level=read_committed) or at-least-once (answers visible sooner, duplicates possible after a failure).");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key(PREFIX + "transactional-id-prefix")
            .stringType().defaultValue("fill-mask")
            .withDescription("Prefix of the Kafka transactional ids (exactly-once). Unique per job on a broker.");

    public static final ConfigOption<String> KAFKA_PROPERTIES = ConfigOptions.key(PREFIX + "kafka-properties")
            .stringType().noDefaultValue()
            .withDescription("A .properties file of extra Kafka client settings passed unchanged to the consumer and "
                    + "producers (security.protocol, sasl.*, ssl.*...).");

    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key(PREFIX + "parallelism")
            .intType().noDefaultValue()
            .withDescription("Parallel instances of the job, each with one ONNX session (one per slot). Default: the "
                    + "cluster's default parallelism (the number of cores for a local run).");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key(PREFIX + "checkpoint-interval")
            .durationType().defaultValue(Duration.ofSeconds(2))
            .withDescription("How often the job checkpoints; with exactly-once, answers become visible to "
                    + "read_committed consumers at each checkpoint.");

    public static final ConfigOption<String> MODEL = ConfigOptions.key(PREFIX + "model")
            .stringType().noDefaultValue()
            .withDescription("A built-in model's name (bert-base-uncased, bert-base-multilingual-cased: imported into "
                    + "$FILL_MASK_HOME first if missing) or a model folder (Hugging Face ONNX export layout: model.onnx, "
                    + "tokenizer.json, tokenizer_config.json, config.json), the same path on every TaskManager. "
                    + "Default: bert-base-uncased.");

    public static final ConfigOption<Integer> BATCH_SIZE = ConfigOptions.key(PREFIX + "batch-size")
            .intType().defaultValue(16)
            .withDescription("Most requests per ONNX Runtime run.");

    public static final ConfigOption<Duration> BATCH_MAX_DELAY = ConfigOptions.key(PREFIX + "batch-max-delay")
            .durationType().defaultValue(Duration.ofMillis(20))
            .withDescription("Longest a request waits for its batch to fill before the batch runs anyway.");

    public static final ConfigOption<Integer> THREADS = ConfigOptions.key(PREFIX + "threads")
            .intType().defaultValue(0)
            .withDescription("ONNX Runtime intra-op threads per session; 0 = the TaskManager's cores / its slots.");

    public static final ConfigOption<ExecutionProvider> PROVIDER = ConfigOptions.key(PREFIX + "provider")
            .enumType(ExecutionProvider.class).defaultValue(ExecutionProvider.CPU)
            .withDescription("Execution provider: cpu, or cuda (needs the GPU build and CUDA 12 / cuDNN 9 on the node).");

    public static final ConfigOption<String> DEVICE = ConfigOptions.key(PREFIX + "device")
            .stringType().defaultValue(AUTO)
            .withDescription("GPU for cuda: auto = the GPU Flink's external resource 'gpu' gave the TaskManager "
                    + "(spread over its slots), or GPU 0 outside Flink; or a GPU number.");

    public static final ConfigOption<GraphOptimization> OPTIMIZATION = ConfigOptions.key(PREFIX + "optimization")
            .enumType(GraphOptimization.class).defaultValue(GraphOptimization.ALL)
            .withDescription("ONNX Runtime graph optimization level: none, basic, extended or all.");

    public static final ConfigOption<Boolean> CPU_FALLBACK = ConfigOptions.key(PREFIX + "cpu-fallback")
            .booleanType().defaultValue(false)
            .withDescription("When cuda is asked for but unavailable: true runs on CPU with a warning, false fails at start-up.");

    public static final ConfigOption<Boolean> SHARED_WEIGHTS = ConfigOptions.key(PREFIX + "shared-weights")
            .booleanType().defaultValue(true)
            .withDescription("The sessions of one TaskManager (one per slot) share one memory-mapped copy of the model's "
                    + "weights, optimized once and kept in $FILL_MASK_HOME/shared-weights (CPU provider). false: each "
                    + "slot loads its own copy.");

    public static final ConfigOption<Boolean> PREPACKING = ConfigOptions.key(PREFIX + "prepacking")
            .booleanType().defaultValue(true)
            .withDescription("ONNX Runtime packs each MatMul weight into the layout its kernels read fastest: a copy per "
                    + "slot about the size of the weights, which cannot be shared. false saves that memory per slot and "
                    + "costs throughput (docs/performance.md, Memory per slot).");

    public static final ConfigOption<Boolean> SPIN_WAIT = ConfigOptions.key(PREFIX + "spin-wait")
            .booleanType().defaultValue(false)
            .withDescription("ONNX Runtime's intra-op threads spin while waiting for work instead of sleeping: a "
                    + "little quicker on an idle machine, but they keep their cores busy between batches, where Kafka's "
                    + "and Flink's threads and other slots need them (docs/performance.md, Spinning).");

    public static final ConfigOption<Integer> MAX_REQUEST_BYTES = ConfigOptions.key(PREFIX + "max-request-bytes")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_REQUEST_BYTES)
            .withDescription("Largest request value accepted, in bytes; larger ones get an error answer (and a dead letter).");

    public static final ConfigOption<Integer> MAX_INPUT_CHARS = ConfigOptions.key(PREFIX + "max-input-chars")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_INPUT_CHARS)
            .withDescription("Longest `inputs` accepted, in characters (UTF-16 code units).");

    public static final ConfigOption<Integer> MAX_MASKS = ConfigOptions.key(PREFIX + "max-masks")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_MASKS)
            .withDescription("Most mask tokens one request may hold.");

    public static final ConfigOption<Integer> MAX_TARGETS = ConfigOptions.key(PREFIX + "max-targets")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_TARGETS)
            .withDescription("Most entries `parameters.targets` may hold.");

    public static final ConfigOption<Integer> MAX_TOP_K = ConfigOptions.key(PREFIX + "max-top-k")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_TOP_K)
            .withDescription("Largest `parameters.top_k` accepted; above the vocabulary size it is an error anyway.");

    public static final ConfigOption<Integer> MAX_ANSWER_BYTES = ConfigOptions.key(PREFIX + "max-answer-bytes")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_ANSWER_BYTES)
            .withDescription("Largest answer, in bytes of JSON; a request whose answer would be larger (a large "
                    + "top_k x many masks x a long input) gets an error answer saying how large and what to lower. "
                    + "The default fits Kafka's default max.request.size (1 MiB) with 64 KiB to spare for key and "
                    + "headers; when --kafka-properties raises max.request.size, the default follows it.");

    public static final ConfigOption<PoisonPills> POISON_PILLS = ConfigOptions.key(PREFIX + "poison-pills")
            .enumType(PoisonPills.class).defaultValue(PoisonPills.DEAD_LETTER)
            .withDescription("A request that fails the job itself (it crashes the TaskManager, say) and fails it again "
                    + "while the job recovers: dead-letter (answer it with an error and a dead letter on the next "
                    + "attempt) or retry (run it after every restart, however often it fails). While recovering, each "
                    + "subtask runs one record at a time, noting it in flight beside the checkpoints (or in the "
                    + "temporary folder when there is no checkpoint folder), until twice the records it took between "
                    + "its last two checkpoints have run and a checkpoint after them completes.");

    public static final ConfigOption<Duration> BROKER_WAIT = ConfigOptions.key(PREFIX + "broker-wait")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("How long the start waits for the Kafka broker to answer before it stops with an error "
                    + "naming the address; raise it when the job may start before its broker.");

    /** Every option, in the order of the help text and the README. */
    public static final List<ConfigOption<?>> ALL = List.of(
            BOOTSTRAP_SERVERS, INPUT_TOPIC, OUTPUT_TOPIC, ANSWER_HEADERS, DEAD_LETTER_TOPIC, CONTROL_TOPIC, STATUS_TOPIC,
            GROUP_ID, STARTING_OFFSETS, DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX, KAFKA_PROPERTIES, PARALLELISM,
            CHECKPOINT_INTERVAL, MODEL, BATCH_SIZE, BATCH_MAX_DELAY, THREADS, PROVIDER, DEVICE, CPU_FALLBACK, OPTIMIZATION,
            SHARED_WEIGHTS, PREPACKING, SPIN_WAIT, MAX_REQUEST_BYTES, MAX_INPUT_CHARS, MAX_MASKS, MAX_TARGETS, MAX_TOP_K, MAX_ANSWER_BYTES, POISON_PILLS,
            BROKER_WAIT);

    /**
     * The options of an engine, shared by the job and the commands that open one ({@code predict}, {@code bench},
     * {@code quantize}): the model, how it runs, and the bounds of what it answers.
     */
    public static final List<ConfigOption<?>> ENGINE = List.of(
            MODEL, BATCH_SIZE, THREADS, PROVIDER, DEVICE, CPU_FALLBACK, OPTIMIZATION,
            SHARED_WEIGHTS, PREPACKING, SPIN_WAIT, MAX_REQUEST_BYTES, MAX_INPUT_CHARS, MAX_MASKS, MAX_TARGETS, MAX_TOP_K, MAX_ANSWER_BYTES);

    /** The request bounds the options set, for answers sent as records of at most Kafka's default size. */
    public static RequestLimits requestLimits(org.apache.flink.configuration.ReadableConfig options) {
        return requestLimits(options, RequestLimits.DEFAULT_MAX_ANSWER_BYTES);
    }

    /**
     * The request bounds the options set; the answer bound, unless set, is {@code defaultMaxAnswerBytes} (what fits
     * the answer producer's records).
     */
    public static RequestLimits requestLimits(org.apache.flink.configuration.ReadableConfig options,
                                              int defaultMaxAnswerBytes) {
        return new RequestLimits(options.get(MAX_REQUEST_BYTES), options.get(MAX_INPUT_CHARS), options.get(MAX_MASKS),
                options.get(MAX_TARGETS), options.get(MAX_TOP_K),
                options.getOptional(MAX_ANSWER_BYTES).orElse(defaultMaxAnswerBytes));
    }

    /** Where a job without a checkpoint starts reading. */
    public enum StartingOffsets {
        COMMITTED, EARLIEST, LATEST;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How answers are written. (Flink matches enum values by {@code toString()}, ignoring case.) */
    public enum DeliveryGuarantee {
        EXACTLY_ONCE, AT_LEAST_ONCE;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private FillMaskOptions() {}

    /** The command-line name of {@code option}: its key without the prefix. */
    public static String flagName(ConfigOption<?> option) {
        return option.key().substring(PREFIX.length());
    }
}
