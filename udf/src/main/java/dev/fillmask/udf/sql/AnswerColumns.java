package dev.fillmask.udf.sql;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.RowType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The output columns a model declares, any of:
 * <ul>
 *   <li>{@code answer STRING}: the answer's JSON, byte for byte what {@code ./fill-mask predict} prints for the same
 *       request ({@code {"error": ...}} for an error);</li>
 *   <li>{@code error STRING}: the error message, NULL when the row has candidates;</li>
 *   <li>{@code candidates ARRAY<ROW<...>>}: every candidate, mask by mask in text order, best first, as rows of
 *       {@link CandidateFields} (with several masks, {@code mask_index} tells them apart); NULL for an error.</li>
 * </ul>
 * A bad row gets its error in these columns, never a failed job.
 */
final class AnswerColumns implements Serializable {
    private static final long serialVersionUID = 1L;

    private enum Kind { ANSWER, ERROR, CANDIDATES }

    private final Kind[] kinds;
    private final CandidateFields[] candidateFields;

    private AnswerColumns(Kind[] kinds, CandidateFields[] candidateFields) {
        this.kinds = kinds;
        this.candidateFields = candidateFields;
    }

    static AnswerColumns of(List<String> names, List<LogicalType> types) {
        Kind[] kinds = new Kind[names.size()];
        CandidateFields[] fields = new CandidateFields[names.size()];
        for (int i = 0; i < kinds.length; i++) {
            String name = names.get(i);
            LogicalType type = types.get(i);
            switch (name.toLowerCase(Locale.ROOT)) {
                case "answer", "error" -> {
                    if (!type.is(LogicalTypeFamily.CHARACTER_STRING)) {
                        throw new ValidationException("fill-mask: output column `" + name + "` must be STRING, got "
                                + type.asSummaryString());
                    }
                    kinds[i] = name.equalsIgnoreCase("answer") ? Kind.ANSWER : Kind.ERROR;
                }
                case "candidates" -> {
                    if (!(type instanceof ArrayType array && array.getElementType() instanceof RowType row)) {
                        throw new ValidationException("fill-mask: output column `candidates` must be ARRAY<ROW<...>> "
                                + "(fields among mask_index, rank, token, token_str, score, sequence), got "
                                + type.asSummaryString());
                    }
                    kinds[i] = Kind.CANDIDATES;
                    fields[i] = CandidateFields.of(name, row);
                }
                default -> throw new ValidationException("fill-mask: unknown output column `" + name
                        + "`: the outputs are answer STRING, error STRING and candidates ARRAY<ROW<...>>");
            }
        }
        if (kinds.length == 0) {
            throw new ValidationException("fill-mask: the model needs at least one output column");
        }
        return new AnswerColumns(kinds, fields);
    }

    /** The output row of {@code answer}, its JSON within the codec's answer bound. */
    RowData row(FillMaskAnswer answer, FillMaskCodec codec) {
        EncodedAnswer encoded = codec.writeBoundedAnswer(answer);
        GenericRowData row = new GenericRowData(kinds.length);
        for (int i = 0; i < kinds.length; i++) {
            row.setField(i, switch (kinds[i]) {
                case ANSWER -> StringData.fromBytes(encoded.json());
                case ERROR -> encoded.isError() ? StringData.fromString(encoded.error()) : null;
                case CANDIDATES -> encoded.isError() ? null : candidates(answer, candidateFields[i]);
            });
        }
        return row;
    }

    private static GenericArrayData candidates(FillMaskAnswer answer, CandidateFields fields) {
        List<List<Candidate>> masks = rows(answer);
        List<RowData> rows = new ArrayList<>();
        for (int m = 0; m < masks.size(); m++) {
            List<Candidate> candidates = masks.get(m);
            for (int c = 0; c < candidates.size(); c++) {
                rows.add(fields.row(m + 1, c + 1, candidates.get(c)));
            }
        }
        return new GenericArrayData(rows.toArray());
    }

    /** The candidates of each mask in text order; none for an error. */
    static List<List<Candidate>> rows(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            return List.of(single.candidates());
        }
        if (answer instanceof FillMaskAnswer.MultiMask multi) {
            return multi.rows();
        }
        return List.of();
    }
}
