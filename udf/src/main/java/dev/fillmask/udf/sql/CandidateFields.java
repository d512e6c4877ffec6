package dev.fillmask.udf.sql;

import dev.fillmask.schemas.Candidate;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fields of one candidate row as a model's output declares them, any of {@code mask_index INT} (1 = the first
 * mask in the text), {@code rank INT} (1 = best), {@code token INT|BIGINT}, {@code token_str STRING},
 * {@code score DOUBLE|FLOAT} and {@code sequence STRING}, in any order.
 */
final class CandidateFields implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Field { MASK_INDEX, RANK, TOKEN, TOKEN_STR, SCORE, SEQUENCE }

    private final Field[] fields;
    private final LogicalTypeRoot[] roots;

    private CandidateFields(Field[] fields, LogicalTypeRoot[] roots) {
        this.fields = fields;
        this.roots = roots;
    }

    static CandidateFields of(String column, RowType row) {
        List<Field> fields = new ArrayList<>();
        List<LogicalTypeRoot> roots = new ArrayList<>();
        for (RowType.RowField f : row.getFields()) {
            Field field = switch (f.getName().toLowerCase(Locale.ROOT)) {
                case "mask_index" -> Field.MASK_INDEX;
                case "rank" -> Field.RANK;
                case "token" -> Field.TOKEN;
                case "token_str" -> Field.TOKEN_STR;
                case "score" -> Field.SCORE;
                case "sequence" -> Field.SEQUENCE;
                default -> throw new ValidationException("fill-mask: output column `" + column + "` has the field `"
                        + f.getName() + "`; a candidate has mask_index, rank, token, token_str, score and sequence");
            };
            LogicalType type = f.getType();
            boolean fits = switch (field) {
                case MASK_INDEX, RANK -> type.is(LogicalTypeRoot.INTEGER);
                case TOKEN -> type.is(LogicalTypeRoot.INTEGER) || type.is(LogicalTypeRoot.BIGINT);
                case SCORE -> type.is(LogicalTypeRoot.DOUBLE) || type.is(LogicalTypeRoot.FLOAT);
                case TOKEN_STR, SEQUENCE -> type.is(LogicalTypeFamily.CHARACTER_STRING);
            };
            if (!fits) {
                throw new ValidationException("fill-mask: field `" + f.getName() + "` of output column `" + column
                        + "` cannot be " + type.asSummaryString() + " (mask_index and rank are INT, token INT or "
                        + "BIGINT, score DOUBLE or FLOAT, token_str and sequence STRING)");
            }
            fields.add(field);
            roots.add(type.getTypeRoot());
        }
        return new CandidateFields(fields.toArray(Field[]::new), roots.toArray(LogicalTypeRoot[]::new));
    }

    /** The row of {@code candidate}, ranked {@code rank} (from 1) at mask {@code maskIndex} (from 1). */
    GenericRowData row(int maskIndex, int rank, Candidate candidate) {
        GenericRowData row = new GenericRowData(fields.length);
        for (int i = 0; i < fields.length; i++) {
            row.setField(i, switch (fields[i]) {
                case MASK_INDEX -> maskIndex;
                case RANK -> rank;
                case TOKEN -> roots[i] == LogicalTypeRoot.BIGINT ? (Object) candidate.token() : (Object) (int) candidate.token();
                case TOKEN_STR -> StringData.fromString(candidate.tokenStr());
                case SCORE -> roots[i] == LogicalTypeRoot.FLOAT ? (Object) (float) candidate.score() : (Object) candidate.score();
                case SEQUENCE -> StringData.fromString(candidate.sequence());
            });
        }
        return row;
    }
}
