package dev.fillmask.udf.sql;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

import java.util.Collection;
import java.util.List;

/**
 * ML_PREDICT with {@code 'async' = 'false'}: one row per engine run, on the task's own thread. Simple, and slow next
 * to {@link FillMaskAsyncPredictFunction}, which batches.
 */
public final class FillMaskPredictFunction extends PredictFunction {
    private static final long serialVersionUID = 1L;

    private final ModelSettings settings;
    private final RequestColumns inputs;
    private final AnswerColumns outputs;
    private transient SubtaskModel model;

    FillMaskPredictFunction(ModelSettings settings, RequestColumns inputs, AnswerColumns outputs) {
        this.settings = settings;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        model = new SubtaskModel(settings, inputs, outputs, context, () -> 0);
    }

    @Override
    public Collection<RowData> predict(RowData row) {
        return model.answer(List.of(model.decode(row)));
    }

    @Override
    public void close() throws Exception {
        AutoCloseable opened = model;
        model = null;
        CloseInOrder.closeAll(opened, super::close);
    }
}
