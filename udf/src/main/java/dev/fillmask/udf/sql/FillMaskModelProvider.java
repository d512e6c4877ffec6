package dev.fillmask.udf.sql;

import org.apache.flink.table.api.config.MLPredictRuntimeConfigOptions;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/**
 * A fill-mask model for ML_PREDICT, in both forms; ML_PREDICT takes the asynchronous, batching one unless the call
 * says {@code MAP['async', 'false']}.
 */
final class FillMaskModelProvider implements PredictRuntimeProvider, AsyncPredictRuntimeProvider {
    private final ModelSettings settings;
    private final RequestColumns inputs;
    private final AnswerColumns outputs;
    private final int defaultCapacity;

    /** @param defaultCapacity the rows in flight per subtask when the call does not set max-concurrent-operations */
    FillMaskModelProvider(ModelSettings settings, RequestColumns inputs, AnswerColumns outputs, int defaultCapacity) {
        this.settings = settings;
        this.inputs = inputs;
        this.outputs = outputs;
        this.defaultCapacity = defaultCapacity;
    }

    @Override
    public PredictFunction createPredictFunction(ModelProvider.Context context) {
        return new FillMaskPredictFunction(settings, inputs, outputs);
    }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
        int capacity = context.runtimeConfig().getOptional(MLPredictRuntimeConfigOptions.ASYNC_MAX_CONCURRENT_OPERATIONS)
                .orElse(defaultCapacity);
        return new FillMaskAsyncPredictFunction(settings, inputs, outputs, capacity);
    }

    @Override
    public ModelProvider copy() {
        return new FillMaskModelProvider(settings, inputs, outputs, defaultCapacity);
    }
}
