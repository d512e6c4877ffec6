package dev.fillmask.udf.sql;

import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.ExecutionProvider;

import dev.fillmask.engine.importer.DefaultModel;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.schemas.RequestLimits;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.description.HtmlFormatter;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Every option of fill-mask in SQL, defined once: the {@code WITH (...)} options of {@code CREATE MODEL ... WITH
 * ('provider' = 'fill-mask', ...)}, and, prefixed with {@value #JOB_PARAMETER_PREFIX}, the job parameters the SQL
 * functions read ({@code SET 'pipeline.global-job-parameters' = 'fill-mask.model:/models/bert'}). Names and defaults
 * are the streaming job's where the meaning is the same.
 */
public final class FillMaskModelOptions {
    /** The prefix of an option given to the SQL functions as a job parameter (the streaming job's prefix too). */
    public static final String JOB_PARAMETER_PREFIX = "fill-mask.";

    public static final ConfigOption<String> MODEL = ConfigOptions.key("model")
            .stringType().defaultValue(DefaultModel.NAME)
            .withDescription("A built-in model's name (" + String.join(", ", BuiltInModel.names()) + ": imported "
                    + "into $FILL_MASK_HOME where the statement is planned, first if missing) or a model folder (Hugging "
                    + "Face ONNX export layout: model.onnx, tokenizer.json, tokenizer_config.json, config.json), the "
                    + "same path on every TaskManager.");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key("top-k")
            .intType().defaultValue(FillMaskRequest.DEFAULT_TOP_K)
            .withDescription("Candidates per mask for a request that gives no top_k (a NULL top_k column, or a JSON "
                    + "request without parameters.top_k).");

    public static final ConfigOption<Integer> BATCH_SIZE = ConfigOptions.key("batch-size")
            .intType().defaultValue(16)
            .withDescription("Most rows per ONNX Runtime run (async ML_PREDICT). A batch never holds more rows than "
                    + "ML_PREDICT lets wait at once: set 'max-concurrent-operations' to at least this, twice this "
                    + "to keep the model busy.");

    public static final ConfigOption<Duration> BATCH_MAX_DELAY = ConfigOptions.key("batch-max-delay")
            .durationType().defaultValue(Duration.ofMillis(20))
            .withDescription("Longest a row waits for its batch to fill before the batch runs anyway (async ML_PREDICT).");

    public static final ConfigOption<Integer> THREADS = ConfigOptions.key("threads")
            .intType().defaultValue(0)
            .withDescription("ONNX Runtime intra-op threads per subtask; 0 = the machine's cores / the subtasks "
                    + "that share them (at most the cores).");

    public static final ConfigOption<ExecutionProvider> PROVIDER = ConfigOptions.key("execution-provider")
            .enumType(ExecutionProvider.class).defaultValue(ExecutionProvider.CPU)
            .withDescription("Execution provider: cpu, or cuda (needs the GPU build and CUDA 12 / cuDNN 9 on the node). "
                    + "('provider' itself names the model provider: fill-mask.)");

    public static final ConfigOption<String> DEVICE = ConfigOptions.key("device")
            .stringType().defaultValue("auto")
            .withDescription("GPU for cuda: auto = the GPU Flink's external resource 'gpu' gave the TaskManager "
                    + "(spread over its subtasks), else GPU 0; or a GPU number.");

    public static final ConfigOption<Boolean> CPU_FALLBACK = ConfigOptions.key("cpu-fallback")
            .booleanType().defaultValue(false)
            .withDescription("When cuda is asked for but unavailable: true runs on CPU with a warning, false fails at start-up.");

    public static final ConfigOption<Integer> MAX_REQUEST_BYTES = ConfigOptions.key("max-request-bytes")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_REQUEST_BYTES)
            .withDescription("Largest request accepted, in bytes of JSON; larger ones get an error.");

    public static final ConfigOption<Integer> MAX_INPUT_CHARS = ConfigOptions.key("max-input-chars")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_INPUT_CHARS)
            .withDescription("Longest `inputs` accepted, in characters (UTF-16 code units).");

    public static final ConfigOption<Integer> MAX_MASKS = ConfigOptions.key("max-masks")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_MASKS)
            .withDescription("Most mask tokens one request may hold.");

    public static final ConfigOption<Integer> MAX_TARGETS = ConfigOptions.key("max-targets")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_TARGETS)
            .withDescription("Most targets one request may hold.");

    public static final ConfigOption<Integer> MAX_TOP_K = ConfigOptions.key("max-top-k")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_TOP_K)
            .withDescription("Largest top_k accepted; above the vocabulary size it is an error anyway.");

    public static final ConfigOption<Integer> MAX_ANSWER_BYTES = ConfigOptions.key("max-answer-bytes")
            .intType().defaultValue(RequestLimits.DEFAULT_MAX_ANSWER_BYTES)
            .withDescription("Largest answer, in bytes of JSON; a request whose answer would be larger gets an error "
                    + "saying how large and what to lower. The default fits one Kafka record of the default size.");

    /** Every option, in the order of the docs. */
    public static final List<ConfigOption<?>> ALL = List.of(MODEL, TOP_K, BATCH_SIZE, BATCH_MAX_DELAY, THREADS,
            PROVIDER, DEVICE, CPU_FALLBACK, MAX_REQUEST_BYTES, MAX_INPUT_CHARS, MAX_MASKS, MAX_TARGETS, MAX_TOP_K,
            MAX_ANSWER_BYTES);

    private FillMaskModelOptions() {}

    public static Set<ConfigOption<?>> all() {
        return Set.copyOf(ALL);
    }

    /** The options as the README's table lists them: option, job parameter, default, description. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| option (`WITH`) | job parameter (functions) | default | what it does |\n"
                + "|---|---|---|---|\n");
        for (ConfigOption<?> option : ALL) {
            String def = option.hasDefaultValue() ? ConfigurationUtils.convertValue(option.defaultValue(), String.class) : "";
            table.append("| `").append(option.key()).append("` | `").append(JOB_PARAMETER_PREFIX).append(option.key())
                    .append("` | `").append(def).append("` | ")
                    .append(new HtmlFormatter().format(option.description()).replaceAll("<[^>]*>", "")
                            .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                            .replace("&amp;", "&").replace("|", "\\|"))
                    .append(" |\n");
        }
        return table.toString();
    }

    /**
     * The options among the job parameters ({@code jobParameter} looks one up by its full key, with
     * {@value #JOB_PARAMETER_PREFIX}), without the prefix.
     */
    public static Configuration fromJobParameters(UnaryOperator<String> jobParameter) {
        Map<String, String> found = new HashMap<>();
        for (ConfigOption<?> option : ALL) {
            String value = jobParameter.apply(JOB_PARAMETER_PREFIX + option.key());
            if (value != null) {
                found.put(option.key(), value);
            }
        }
        return Configuration.fromMap(found);
    }
}
