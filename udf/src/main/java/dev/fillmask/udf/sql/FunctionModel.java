package dev.fillmask.udf.sql;

import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.udf.FillMaskMetrics;

import org.apache.flink.table.functions.FunctionContext;

import java.util.Arrays;
import java.util.List;

/**
 * The engine of a plain SQL function (FILL_MASK, FILL_MASK_CANDIDATES), one per subtask, set up from the job
 * parameters: a function registered with {@code CREATE FUNCTION} has no options of its own. One request per call.
 */
final class FunctionModel implements AutoCloseable {
    private final ModelSettings settings;
    private final FillMaskCodec codec;
    private final FillMaskEngine engine;
    private final FillMaskMetrics metrics;

    private FunctionModel(ModelSettings settings, FunctionContext context) {
        this.settings = settings;
        this.codec = new FillMaskCodec(settings.engineOptions().limits());
        this.metrics = new FillMaskMetrics(context.getMetricGroup(), () -> 0);
        this.engine = settings.openEngine(context);
    }

    /** The engine the job parameters {@code fill-mask.*} ask for ({@link FillMaskModelOptions}). */
    static FunctionModel open(FunctionContext context) {
        ModelSettings settings = ModelSettings.of(
                FillMaskModelOptions.fromJobParameters(key -> context.getJobParameter(key, null)));
        return new FunctionModel(settings, context);
    }

    /** An answer and its JSON within the answer bound (which may have turned it into an error). */
    record Answered(FillMaskAnswer answer, EncodedAnswer encoded) {
        /** The candidates of each mask in text order; none when the JSON is an error. */
        List<List<Candidate>> masks() {
            return encoded.isError() ? List.of() : AnswerColumns.rows(answer);
        }
    }

    /** The answer to the request these arguments stand for (NULL: not given). */
    Answered answer(String inputs, Integer topK, String[] targets) {
        metrics.requests.inc();
        DecodedRequest request = RequestColumns.decode(codec, inputs, topK == null ? null : topK.longValue(),
                targets == null ? null : Arrays.asList(targets), settings.defaultTopK());
        FillMaskAnswer answer = engine.answer(List.of(request)).get(0);
        metrics.batchSize.update(1);
        metrics.answers.inc();
        EncodedAnswer encoded = codec.writeBoundedAnswer(answer);
        if (encoded.isError()) {
            metrics.errors.inc();
        }
        return new Answered(answer, encoded);
    }

    @Override
    public void close() {
        engine.close();
    }
}
