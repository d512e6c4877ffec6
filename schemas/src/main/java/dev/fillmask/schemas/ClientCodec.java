package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client's side of the wire: reads answers and writes requests (for clients of the job, and tests). Thread-safe.
 */
final class ClientCodec {
    private final ObjectMapper mapper;

    ClientCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Reads an answer written by {@link #writeAnswer(FillMaskAnswer)} (for clients and tests). An empty array reads
     * as an empty {@link FillMaskAnswer.SingleMask}. Unknown fields in candidates are ignored.
     *
     * @throws IllegalArgumentException if {@code json} is not an answer
     */
    FillMaskAnswer readAnswer(byte[] json) {
        if (json == null) {
            throw new IllegalArgumentException("answer is null");
        }
        JsonNode root;
        try (JsonParser parser = mapper.createParser(json)) {
            root = mapper.readTree(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("answer is not valid JSON: unexpected content after the JSON value"
                        + JsonText.at(parser.currentTokenLocation()));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("answer is not valid JSON: " + e.getOriginalMessage() + JsonText.at(e.getLocation()), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("answer is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new IllegalArgumentException("answer is empty");
        }
        if (root.isObject()) {
            JsonNode error = root.get("error");
            if (error == null || !error.isTextual()) {
                throw new IllegalArgumentException("an answer object must have a string field `error`, got " + JsonText.describe(root));
            }
            return new FillMaskAnswer.Error(error.textValue());
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("an answer must be an array or an object with `error`, got " + JsonText.describe(root));
        }
        if (root.size() > 0 && root.get(0).isArray()) {
            List<List<Candidate>> rows = new ArrayList<>(root.size());
            for (int i = 0; i < root.size(); i++) {
                JsonNode row = root.get(i);
                if (!row.isArray()) {
                    throw new IllegalArgumentException("answer row [" + i + "] must be an array of candidates, got "
                            + JsonText.describe(row));
                }
                rows.add(readRow(row, "[" + i + "]"));
            }
            return new FillMaskAnswer.MultiMask(rows);
        }
        return new FillMaskAnswer.SingleMask(readRow(root, ""));
    }

    /** {@link #readAnswer(byte[])} for a string. */
    FillMaskAnswer readAnswer(String json) {
        if (json == null) {
            throw new IllegalArgumentException("answer is null");
        }
        return readAnswer(json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Candidate> readRow(JsonNode row, String path) {
        List<Candidate> candidates = new ArrayList<>(row.size());
        for (int i = 0; i < row.size(); i++) {
            JsonNode c = row.get(i);
            String where = "answer" + path + "[" + i + "]";
            if (!c.isObject()) {
                throw new IllegalArgumentException(where + " must be a candidate object, got " + JsonText.describe(c));
            }
            JsonNode sequence = c.get("sequence");
            JsonNode score = c.get("score");
            JsonNode token = c.get("token");
            JsonNode tokenStr = c.get("token_str");
            if (sequence == null || !sequence.isTextual()) {
                throw new IllegalArgumentException(where + ".sequence must be a string, got " + JsonText.describe(sequence));
            }
            if (score == null || !score.isNumber()) {
                throw new IllegalArgumentException(where + ".score must be a number, got " + JsonText.describe(score));
            }
            if (token == null || !token.isIntegralNumber() || !token.canConvertToLong()) {
                throw new IllegalArgumentException(where + ".token must be an integer, got " + JsonText.describe(token));
            }
            if (tokenStr == null || !tokenStr.isTextual()) {
                throw new IllegalArgumentException(where + ".token_str must be a string, got " + JsonText.describe(tokenStr));
            }
            try {
                candidates.add(new Candidate(sequence.textValue(), score.doubleValue(), token.longValue(),
                        tokenStr.textValue()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return candidates;
    }

    /**
     * Writes a request as UTF-8 JSON (for clients and tests): {@code {"inputs": ..., "parameters": {...}}}, leaving
     * out {@code top_k} and {@code targets} when {@code null}, and {@code parameters} when both are.
     */
    byte[] writeRequest(FillMaskRequest request) {
        return writeRequestAsString(request).getBytes(StandardCharsets.UTF_8);
    }

    /** {@link #writeRequest(FillMaskRequest)} as a string (e.g. a JSONL line, without the line end). */
    String writeRequestAsString(FillMaskRequest request) {
        Objects.requireNonNull(request, "request");
        StringWriter writer = new StringWriter();
        try (JsonGenerator g = mapper.createGenerator(writer)) {
            g.writeStartObject();
            g.writeStringField("inputs", request.inputs());
            if (request.topK() != null || request.targets() != null) {
                g.writeObjectFieldStart("parameters");
                if (request.topK() != null) {
                    g.writeNumberField("top_k", request.topK());
                }
                if (request.targets() != null) {
                    g.writeArrayFieldStart("targets");
                    for (String target : request.targets()) {
                        g.writeString(target);
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return writer.toString();
    }
}
