package dev.fillmask.udf.sql;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * ML_PREDICT's default, asynchronous form: the rows in flight on a subtask run together, in batches of the model's
 * {@code batch-size} (see {@link RequestBatcher}), on the subtask's one engine. ML_PREDICT's
 * {@code max-concurrent-operations} bounds the rows in flight, and so the batch: at least the batch size, twice it to
 * keep the model busy while the next batch fills.
 */
public final class FillMaskAsyncPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final ModelSettings settings;
    private final RequestColumns inputs;
    private final AnswerColumns outputs;
    private final int capacity;
    private transient SubtaskModel model;
    private transient RequestBatcher batcher;

    /** @param capacity the rows ML_PREDICT keeps in flight per subtask at most */
    FillMaskAsyncPredictFunction(ModelSettings settings, RequestColumns inputs, AnswerColumns outputs, int capacity) {
        this.settings = settings;
        this.inputs = inputs;
        this.outputs = outputs;
        this.capacity = capacity;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        RequestBatcher[] self = new RequestBatcher[1];
        model = new SubtaskModel(settings, inputs, outputs, context, () -> self[0] == null ? 0 : self[0].waiting());
        batcher = new RequestBatcher(settings.batchPolicy(), capacity, model::answer,
                "fill-mask-batcher " + context.getTaskInfo().getTaskNameWithSubtasks());
        self[0] = batcher;
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        return batcher.add(model.decode(row));
    }

    @Override
    public void close() throws Exception {
        AutoCloseable openedBatcher = batcher;
        AutoCloseable openedModel = model;
        batcher = null;
        model = null;
        CloseInOrder.closeAll(openedBatcher, openedModel, super::close);
    }
}
