package dev.fillmask.udf;

import dev.fillmask.engine.model.ModelVersion;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.function.IntSupplier;

/**
 * The operator's metrics, in the group {@code fillMask} of its operator metric group. Flink's own
 * {@code numRecordsIn}/{@code numRecordsOut} count the records too; these say what happened to them.
 * docs/monitoring.md lists them with their Prometheus names; the Grafana dashboard queries every one of them
 * (DeploymentFilesTest reads the names below from this file and looks for each in the dashboard).
 *
 * <p>The model's version is a number, not a string: Flink's Prometheus reporter exports a gauge whose value is not a
 * number as 0, and a version in a metric variable ({@code addGroup("model", version)}) would be fixed at registration,
 * while a model swapped at run time must change it. So {@code modelVersion} is the first
 * {@value ModelVersion#SHORT_HEX_DIGITS} hex digits of the version ({@link ModelVersion#shortNumber}), which is
 * enough to tell models apart and to see that every subtask serves the same one; the full version is in the log line
 * the operator writes when it opens the model.
 */
public final class FillMaskMetrics {
    static final String GROUP = "fillMask";
    /** How many recent batches the histograms describe. */
    private static final int HISTOGRAM_WINDOW = 500;

    public final Counter requests;
    public final Counter answers;
    public final Counter errors;
    /** Records answered with an error because they failed the job before ({@link PoisonPills}). */
    public final Counter poisonPills;
    /** Models swapped in while the job runs ({@link ModelChange}), and swaps that failed (the old model stayed). */
    public final Counter modelSwaps;
    public final Counter modelSwapFailures;
    public final Histogram batchSize;
    public final Histogram inferenceMillis;
    /** {@link ModelVersion#shortNumber} of the model served; -1 until one is open. */
    private volatile long modelVersion = -1;
    /**
     * How long opening the model served took (reading and checking the folder, creating the session; for a swapped
     * model also resolving its name); -1 until then.
     */
    private volatile long modelLoadMillis = -1;

    public FillMaskMetrics(MetricGroup operatorGroup, IntSupplier waiting) {
        MetricGroup group = operatorGroup.addGroup(GROUP);
        requests = group.counter("requests");
        answers = group.counter("answers");
        errors = group.counter("errors");
        poisonPills = group.counter("poisonPills");
        modelSwaps = group.counter("modelSwaps");
        modelSwapFailures = group.counter("modelSwapFailures");
        batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceMillis = group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        group.gauge("recordsWaiting", (Gauge<Integer>) waiting::getAsInt);
        group.gauge("modelVersion", (Gauge<Long>) () -> modelVersion);
        group.gauge("modelLoadMs", (Gauge<Long>) () -> modelLoadMillis);
    }

    /** A model is open and serving: its version (full hex) and how long it took to open. */
    void modelLoaded(String version, long loadMillis) {
        modelVersion = ModelVersion.shortNumber(version);
        modelLoadMillis = loadMillis;
    }

    long modelVersion() {
        return modelVersion;
    }

    long modelLoadMillis() {
        return modelLoadMillis;
    }
}
