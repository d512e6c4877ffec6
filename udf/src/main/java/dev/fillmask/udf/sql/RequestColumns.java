package dev.fillmask.udf.sql;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.FillMaskRequest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a model's input row holds its request: either one column {@code request} (STRING or BYTES) with the request's
 * JSON, read exactly as {@code predict} reads a line, or the request's fields as columns: {@code inputs STRING} and
 * optionally {@code top_k INT} and {@code targets ARRAY<STRING>}. Columns are written as the JSON request they stand
 * for and read by the same codec, so a row is checked and answered exactly like that JSON line (a NULL column is an
 * absent field).
 */
public final class RequestColumns implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String REQUEST = "request";
    static final String INPUTS = "inputs";
    static final String TOP_K = "top_k";
    static final String TARGETS = "targets";

    /** The position of each column in the input row, -1 when absent. */
    private final int request;
    private final boolean requestIsBytes;
    private final int inputs;
    private final int topK;
    private final LogicalTypeRoot topKType;
    private final int targets;

    private RequestColumns(int request, boolean requestIsBytes, int inputs, int topK, LogicalTypeRoot topKType,
                           int targets) {
        this.request = request;
        this.requestIsBytes = requestIsBytes;
        this.inputs = inputs;
        this.topK = topK;
        this.topKType = topKType;
        this.targets = targets;
    }

    /**
     * The layout of an input row with these columns.
     *
     * @throws ValidationException naming the column that does not fit
     */
    public static RequestColumns of(List<String> names, List<LogicalType> types) {
        int request = -1;
        int inputs = -1;
        int topK = -1;
        int targets = -1;
        boolean bytes = false;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i).toLowerCase(Locale.ROOT);
            LogicalType type = types.get(i);
            switch (name) {
                case REQUEST -> {
                    bytes = type.is(LogicalTypeFamily.BINARY_STRING);
                    require(bytes || type.is(LogicalTypeFamily.CHARACTER_STRING), name, type, "STRING or BYTES");
                    request = i;
                }
                case INPUTS -> {
                    require(type.is(LogicalTypeFamily.CHARACTER_STRING), name, type, "STRING");
                    inputs = i;
                }
                case TOP_K -> {
                    require(type.is(LogicalTypeFamily.INTEGER_NUMERIC), name, type, "INT (or another integer type)");
                    topK = i;
                }
                case TARGETS -> {
                    require(type instanceof ArrayType array
                            && array.getElementType().is(LogicalTypeFamily.CHARACTER_STRING), name, type, "ARRAY<STRING>");
                    targets = i;
                }
                default -> throw new ValidationException("fill-mask: unknown input column '" + names.get(i)
                        + "': the input is either `request` (the JSON request, STRING or BYTES) or `inputs` STRING "
                        + "with optional `top_k` INT and `targets` ARRAY<STRING>");
            }
        }
        if ((request < 0) == (inputs < 0)) {
            throw new ValidationException("fill-mask: the input needs either a column `request` (the JSON request) "
                    + "or a column `inputs` (with optional `top_k` and `targets`), not " + (request < 0 ? "neither" : "both"));
        }
        if (request >= 0 && (topK >= 0 || targets >= 0)) {
            throw new ValidationException("fill-mask: `top_k` and `targets` go inside the JSON of `request`, or "
                    + "beside `inputs` instead of `request`");
        }
        return new RequestColumns(request, bytes, inputs, topK, topK >= 0 ? types.get(topK).getTypeRoot() : null,
                targets);
    }

    private static void require(boolean fits, String column, LogicalType type, String expected) {
        if (!fits) {
            throw new ValidationException("fill-mask: input column `" + column + "` must be " + expected + ", got "
                    + type.asSummaryString());
        }
    }

    /** The request of {@code row}, or why it is none; never throws. */
    public DecodedRequest decode(RowData row, FillMaskCodec codec, int defaultTopK) {
        if (request >= 0) {
            if (row.isNullAt(request)) {
                return withDefaultTopK(codec.readRequest((byte[]) null), defaultTopK);
            }
            byte[] json = requestIsBytes ? row.getBinary(request) : row.getString(request).toBytes();
            return withDefaultTopK(codec.readRequest(json), defaultTopK);
        }
        return decode(codec, row.isNullAt(inputs) ? null : row.getString(inputs).toString(),
                topK < 0 || row.isNullAt(topK) ? null : topK(row),
                targets < 0 || row.isNullAt(targets) ? null : strings(row.getArray(targets)), defaultTopK);
    }

    /**
     * The request these fields stand for, read as the JSON line with them would be ({@code null}: the field is
     * absent; a null target is written as null); never throws.
     */
    static DecodedRequest decode(FillMaskCodec codec, String inputs, Long topK, List<String> targets, int defaultTopK) {
        try {
            return withDefaultTopK(codec.readRequest(json(inputs, topK, targets)), defaultTopK);
        } catch (JsonProcessingException e) {
            return new DecodedRequest.Invalid("the columns do not make a JSON request: " + e.getOriginalMessage());
        }
    }

    private static DecodedRequest withDefaultTopK(DecodedRequest decoded, int defaultTopK) {
        if (defaultTopK != FillMaskRequest.DEFAULT_TOP_K && decoded instanceof DecodedRequest.Valid valid
                && valid.request().topK() == null) {
            FillMaskRequest r = valid.request();
            return new DecodedRequest.Valid(new FillMaskRequest(r.inputs(), defaultTopK, r.targets()));
        }
        return decoded;
    }

    private static List<String> strings(ArrayData array) {
        List<String> list = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            list.add(array.isNullAt(i) ? null : array.getString(i).toString());
        }
        return list;
    }

    private long topK(RowData row) {
        return switch (topKType) {
            case TINYINT -> row.getByte(topK);
            case SMALLINT -> row.getShort(topK);
            case BIGINT -> row.getLong(topK);
            default -> row.getInt(topK);
        };
    }

    /** The JSON request with these fields; a null field is left out, a null target written as null. */
    private static byte[] json(String inputs, Long topK, List<String> targets) throws JsonProcessingException {
        ObjectNode request = JSON.createObjectNode();
        if (inputs != null) {
            request.put(INPUTS, inputs);
        }
        if (topK != null || targets != null) {
            ObjectNode parameters = request.putObject("parameters");
            if (topK != null) {
                parameters.put(TOP_K, topK);
            }
            if (targets != null) {
                ArrayNode list = parameters.putArray(TARGETS);
                for (String target : targets) {
                    list.add(target);
                }
            }
        }
        return JSON.writeValueAsBytes(request);
    }
}
