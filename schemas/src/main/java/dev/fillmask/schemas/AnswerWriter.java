package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Writes answers: candidates, rows of candidates, or an error, as UTF-8 JSON, within the answer bound of
 * {@link RequestLimits#maxAnswerBytes()}. Thread-safe.
 */
final class AnswerWriter {
    private final RequestLimits limits;
    private final ObjectMapper mapper;

    AnswerWriter(RequestLimits limits, ObjectMapper mapper) {
        this.limits = limits;
        this.mapper = mapper;
    }

    /**
     * Writes an answer as UTF-8 JSON: a {@link FillMaskAnswer.SingleMask} as a flat array of candidates, a
     * {@link FillMaskAnswer.MultiMask} as an array of arrays, an {@link FillMaskAnswer.Error} as
     * {@code {"error": "..."}}. Scores are written as Jackson writes a double (not rounded). Text is written as
     * UTF-8 without escaping non-ASCII; an unpaired surrogate (which no valid text holds) becomes {@code ?}.
     */
    byte[] writeAnswer(FillMaskAnswer answer) {
        return writeAnswerAsString(answer).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes an answer within the limits' {@link RequestLimits#maxAnswerBytes()}: an answer whose JSON would be
     * larger is replaced by an error answer saying how large it would be and what to lower. What the job sends and
     * what {@code predict} prints both come from here, so both paths answer alike.
     */
    EncodedAnswer writeBoundedAnswer(FillMaskAnswer answer) {
        String json = writeAnswerAsString(answer);
        long bytes = JsonText.utf8Length(json);
        if (bytes > limits.maxAnswerBytes() && !answer.isError()) {
            int masks = answer instanceof FillMaskAnswer.MultiMask multi ? multi.rows().size() : 1;
            int candidates = answer instanceof FillMaskAnswer.MultiMask multi
                    ? multi.rows().stream().mapToInt(List::size).max().orElse(0)
                    : ((FillMaskAnswer.SingleMask) answer).candidates().size();
            answer = FillMaskAnswer.error(AnswerSize.tooLarge(bytes, false, masks, candidates, limits.maxAnswerBytes()));
            json = writeAnswerAsString(answer);
        }
        String error = answer instanceof FillMaskAnswer.Error e ? e.message() : null;
        return new EncodedAnswer(json.getBytes(StandardCharsets.UTF_8), error);
    }

    /** {@link #writeAnswer(FillMaskAnswer)} as a string (e.g. a JSONL line, without the line end). */
    String writeAnswerAsString(FillMaskAnswer answer) {
        Objects.requireNonNull(answer, "answer");
        StringWriter writer = new StringWriter();
        try (JsonGenerator g = mapper.createGenerator(writer)) {
            if (answer instanceof FillMaskAnswer.SingleMask single) {
                writeRow(g, single.candidates());
            } else if (answer instanceof FillMaskAnswer.MultiMask multi) {
                g.writeStartArray();
                for (List<Candidate> row : multi.rows()) {
                    writeRow(g, row);
                }
                g.writeEndArray();
            } else if (answer instanceof FillMaskAnswer.Error error) {
                g.writeStartObject();
                g.writeStringField("error", error.message());
                g.writeEndObject();
            } else {
                throw new IllegalStateException("unknown answer type " + answer.getClass());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e); // cannot happen with a StringWriter
        }
        return writer.toString();
    }

    private static void writeRow(JsonGenerator g, List<Candidate> row) throws IOException {
        g.writeStartArray();
        for (Candidate c : row) {
            g.writeStartObject();
            g.writeStringField("sequence", c.sequence());
            g.writeNumberField("score", c.score());
            g.writeNumberField("token", c.token());
            g.writeStringField("token_str", c.tokenStr());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
