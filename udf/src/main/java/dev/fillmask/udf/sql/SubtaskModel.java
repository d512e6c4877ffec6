package dev.fillmask.udf.sql;

import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.udf.FillMaskMetrics;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * One subtask's model behind ML_PREDICT: its engine (opened once per subtask, closed with it), the codec of its
 * limits, and its metrics (group {@code fillMask}, as the DataStream operator's). Rows in, one output row per input
 * row out, in order; a bad row gets its error in the output columns.
 */
final class SubtaskModel implements AutoCloseable {
    private final ModelSettings settings;
    private final RequestColumns inputs;
    private final AnswerColumns outputs;
    private final FillMaskEngine engine;
    private final FillMaskCodec codec;
    private final FillMaskMetrics metrics;

    SubtaskModel(ModelSettings settings, RequestColumns inputs, AnswerColumns outputs, FunctionContext context,
                 IntSupplier waiting) {
        this.settings = settings;
        this.inputs = inputs;
        this.outputs = outputs;
        this.codec = new FillMaskCodec(settings.engineOptions().limits());
        this.metrics = new FillMaskMetrics(context.getMetricGroup(), waiting);
        this.engine = settings.openEngine(context);
    }

    /**
     * The request of an input row, read at once: the caller may reuse the row object once it has handed it over.
     * Never throws.
     */
    DecodedRequest decode(RowData row) {
        metrics.requests.inc();
        return inputs.decode(row, codec, settings.defaultTopK());
    }

    /** The output rows of {@code requests}, in order: one engine run for all of them. */
    List<RowData> answer(List<DecodedRequest> requests) {
        long start = System.nanoTime();
        List<FillMaskAnswer> answers = engine.answer(requests);
        metrics.inferenceMillis.update((System.nanoTime() - start) / 1_000_000);
        metrics.batchSize.update(requests.size());
        List<RowData> out = new ArrayList<>(answers.size());
        for (FillMaskAnswer answer : answers) {
            if (answer.isError()) {
                metrics.errors.inc();
            }
            out.add(outputs.row(answer, codec));
        }
        metrics.answers.inc(out.size());
        return out;
    }

    @Override
    public void close() {
        engine.close();
    }
}
