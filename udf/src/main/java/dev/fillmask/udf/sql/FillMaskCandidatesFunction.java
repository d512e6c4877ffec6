package dev.fillmask.udf.sql;

import dev.fillmask.schemas.Candidate;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.TableFunction;
import org.apache.flink.types.Row;

import java.util.List;

/**
 * {@code FILL_MASK_CANDIDATES(inputs [, top_k [, targets]])}: one row per candidate, mask by mask in text order, best
 * first: {@code mask_index} (from 1), {@code rank} (from 1), {@code token}, {@code token_str}, {@code score},
 * {@code sequence}, and {@code error} NULL. A bad request gives one row with only its {@code error}, so a
 * {@code LEFT JOIN LATERAL TABLE(...) ON TRUE} or a plain {@code LATERAL TABLE(...)} never loses it silently.
 *
 * <pre>{@code CREATE FUNCTION FILL_MASK_CANDIDATES AS 'dev.fillmask.udf.sql.FillMaskCandidatesFunction';}</pre>
 */
@FunctionHint(output = @DataTypeHint("ROW<mask_index INT, `rank` INT, token INT, token_str STRING, score DOUBLE, "
        + "`sequence` STRING, error STRING>"))
public final class FillMaskCandidatesFunction extends TableFunction<Row> {
    private static final long serialVersionUID = 1L;
    private transient FunctionModel model;

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        model = FunctionModel.open(context);
    }

    public void eval(String inputs) {
        eval(inputs, null, null);
    }

    public void eval(String inputs, Integer topK) {
        eval(inputs, topK, null);
    }

    public void eval(String inputs, Integer topK, String[] targets) {
        FunctionModel.Answered answered = model.answer(inputs, topK, targets);
        if (answered.encoded().isError()) {
            collect(Row.of(null, null, null, null, null, null, answered.encoded().error()));
            return;
        }
        List<List<Candidate>> masks = answered.masks();
        for (int m = 0; m < masks.size(); m++) {
            List<Candidate> candidates = masks.get(m);
            for (int c = 0; c < candidates.size(); c++) {
                Candidate candidate = candidates.get(c);
                collect(Row.of(m + 1, c + 1, (int) candidate.token(), candidate.tokenStr(), candidate.score(),
                        candidate.sequence(), null));
            }
        }
    }

    @Override
    public void close() throws Exception {
        AutoCloseable opened = model;
        model = null;
        CloseInOrder.closeAll(opened, super::close);
    }
}
