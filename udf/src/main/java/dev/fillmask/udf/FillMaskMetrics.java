package dev.fillmask.udf;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.function.IntSupplier;

/**
 * The operator's metrics, in the group {@code fillMask} of its operator metric group. Flink's own
 * {@code numRecordsIn}/{@code numRecordsOut} count the records too; these say what happened to them.
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
    public final Histogram batchSize;
    public final Histogram inferenceMillis;

    public FillMaskMetrics(MetricGroup operatorGroup, IntSupplier waiting) {
        MetricGroup group = operatorGroup.addGroup(GROUP);
        requests = group.counter("requests");
        answers = group.counter("answers");
        errors = group.counter("errors");
        poisonPills = group.counter("poisonPills");
        batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceMillis = group.histogram("inferenceLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        group.gauge("recordsWaiting", (Gauge<Integer>) waiting::getAsInt);
    }
}
