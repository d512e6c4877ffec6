package dev.fillmask.udf.sql;

import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

import java.nio.charset.StandardCharsets;

/**
 * {@code FILL_MASK(inputs [, top_k [, targets]])}: the answer's JSON, byte for byte what {@code ./fill-mask predict}
 * prints for the request with these fields ({@code {"error": ...}} for a bad one; NULL arguments are absent fields).
 * One row per engine run; for batched throughput use the model provider with ML_PREDICT. Options come from the job
 * parameters {@code fill-mask.*} ({@link FillMaskModelOptions}).
 *
 * <pre>{@code CREATE FUNCTION FILL_MASK AS 'dev.fillmask.udf.sql.FillMaskFunction';}</pre>
 */
public final class FillMaskFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    private transient FunctionModel model;

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        model = FunctionModel.open(context);
    }

    public String eval(String inputs) {
        return eval(inputs, null, null);
    }

    public String eval(String inputs, Integer topK) {
        return eval(inputs, topK, null);
    }

    public String eval(String inputs, Integer topK, String[] targets) {
        return new String(model.answer(inputs, topK, targets).encoded().json(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        AutoCloseable opened = model;
        model = null;
        CloseInOrder.closeAll(opened, super::close);
    }
}
