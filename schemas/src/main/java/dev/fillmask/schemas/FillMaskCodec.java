package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads requests and writes answers in the fill-mask wire format (see docs/contract.md and the JSON
 * Schemas opened by {@link ContractSchemas}).
 *
 * <p>Thread-safe: one configured {@link ObjectMapper} inside, no other mutable state. Build one per limits and share it.
 *
 * <p>{@link #readRequest(byte[])} and {@link #readRequest(String)} never throw: every malformed record (a tombstone,
 * an empty value, too many bytes, invalid UTF-8, invalid JSON, too deep nesting, a wrong type, a bound exceeded) is
 * an {@link DecodedRequest.Invalid} whose reason names the field and what was expected. The codec does not know the
 * model, so it never looks for a mask token.
 *
 * <p>Decisions where JSON leaves room (documented here and in the request schema):
 * <ul>
 *   <li>Unknown fields, top-level or inside {@code parameters}, are ignored.</li>
 *   <li>A repeated field name: the last one wins (as Python's {@code json.loads}).</li>
 *   <li>{@code top_k} must be written as a JSON integer: {@code 5.0} and {@code 5e0} are refused ("must be an
 *       integer"), as are {@code "5"} and {@code true}.</li>
 *   <li>A leading UTF-8 byte order mark is skipped.</li>
 *   <li>Text ({@code inputs}, targets) must be valid Unicode: an unpaired surrogate, written as a {@code \\uD800}
 *       escape, is refused.</li>
 *   <li>Nesting deeper than {@value #MAX_NESTING_DEPTH} levels is refused before it is built (a request needs 3).</li>
 * </ul>
 */
public final class FillMaskCodec {

    /** The deepest nesting of arrays and objects a request may have (a well-formed request needs 3). */
    public static final int MAX_NESTING_DEPTH = 64;

    /** The longest number (in characters) a request may hold. */
    public static final int MAX_NUMBER_LENGTH = 1_000;

    private static final String SHAPE = "the request must be a JSON object with a string field `inputs`";
    private static final int SHOWN_VALUE_CHARS = 40;

    private final RequestLimits limits;
    private final ObjectMapper mapper;

    /** A codec with {@link RequestLimits#defaults()}. */
    public FillMaskCodec() {
        this(RequestLimits.defaults());
    }

    public FillMaskCodec(RequestLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        // any string that fits in an accepted request fits this limit
                        .maxStringLength(Math.max(limits.maxRequestBytes(), StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .build())
                .build();
        this.mapper = JsonMapper.builder(factory).build();
    }

    public RequestLimits limits() {
        return limits;
    }

    // ------------------------------------------------------------------------------------------------ requests

    /**
     * Reads one request from a record value (UTF-8 JSON). Never throws.
     *
     * @param value the record value; {@code null} is a tombstone
     */
    public DecodedRequest readRequest(byte[] value) {
        if (value == null) {
            return invalid("request is null (a tombstone): " + SHAPE);
        }
        if (value.length == 0) {
            return invalid("request is empty: " + SHAPE);
        }
        if (value.length > limits.maxRequestBytes()) {
            return invalid(tooManyBytes(value.length));
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(value);
        CharBuffer out = CharBuffer.allocate(value.length); // n UTF-8 bytes never make more than n chars
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            return invalid(String.format(Locale.ROOT,
                    "request is not valid UTF-8 (bad byte at offset %d: 0x%02X): send the JSON encoded as UTF-8",
                    offset, value[offset] & 0xFF));
        }
        out.flip();
        return readText(out.toString());
    }

    /** Reads one request from a line of text (a JSONL line). Never throws. */
    public DecodedRequest readRequest(String line) {
        if (line == null) {
            return invalid("request is null: " + SHAPE);
        }
        if (line.isEmpty()) {
            return invalid("request is empty: " + SHAPE);
        }
        long bytes = utf8Length(line);
        if (bytes > limits.maxRequestBytes()) {
            return invalid(tooManyBytes(bytes));
        }
        return readText(line);
    }

    private DecodedRequest readText(String text) {
        try {
            return readTextUnchecked(text);
        } catch (RuntimeException e) {
            // Not expected: every known failure is handled below. Still, a bad record must never stop the job.
            return invalid("request could not be read: " + e);
        }
    }

    private DecodedRequest readTextUnchecked(String text) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (isJsonWhitespace(text)) {
            return invalid("request is empty (only whitespace): " + SHAPE);
        }
        JsonNode root;
        try (JsonParser parser = mapper.createParser(text)) {
            root = mapper.readTree(parser);
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                return invalid("request is not valid JSON: unexpected content after the end of the JSON value"
                        + at(parser.currentTokenLocation()) + "; send one JSON object per record");
            }
        } catch (StreamConstraintsException e) {
            return invalid("request exceeds a parser limit: " + e.getOriginalMessage() + at(e.getLocation()));
        } catch (JsonProcessingException e) {
            return invalid("request is not valid JSON: " + e.getOriginalMessage() + at(e.getLocation()));
        } catch (IOException e) {
            return invalid("request is not valid JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            return invalid("request is empty: " + SHAPE);
        }
        if (!root.isObject()) {
            return invalid("request must be a JSON object with a string field `inputs`, got " + describe(root));
        }

        JsonNode inputsNode = root.get("inputs");
        if (inputsNode == null) {
            return invalid("`inputs` is missing: " + SHAPE);
        }
        if (!inputsNode.isTextual()) {
            String hint = inputsNode.isArray() ? " (send one request per record)" : "";
            return invalid("`inputs` must be a string, got " + describe(inputsNode) + hint);
        }
        String inputs = inputsNode.textValue();
        if (inputs.length() > limits.maxInputChars()) {
            return invalid(String.format(Locale.ROOT, "`inputs` is %,d characters, more than the limit of %,d",
                    inputs.length(), limits.maxInputChars()));
        }
        String bad = unpairedSurrogate("`inputs`", inputs);
        if (bad != null) {
            return invalid(bad);
        }

        JsonNode parameters = root.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return new DecodedRequest.Valid(new FillMaskRequest(inputs, null, null));
        }
        if (!parameters.isObject()) {
            return invalid("`parameters` must be an object like {\"top_k\": 5, \"targets\": [\"a\", \"b\"]}, got "
                    + describe(parameters));
        }

        Integer topK = null;
        JsonNode topKNode = parameters.get("top_k");
        if (topKNode != null && !topKNode.isNull()) {
            String problem = topKProblem(topKNode);
            if (problem != null) {
                return invalid(problem);
            }
            topK = topKNode.intValue();
        }

        List<String> targets = null;
        JsonNode targetsNode = parameters.get("targets");
        if (targetsNode != null && !targetsNode.isNull()) {
            if (targetsNode.isTextual()) {
                String target = targetsNode.textValue();
                bad = unpairedSurrogate("`parameters.targets`", target);
                if (bad != null) {
                    return invalid(bad);
                }
                targets = List.of(target);
            } else if (targetsNode.isArray()) {
                if (targetsNode.size() > limits.maxTargets()) {
                    return invalid(String.format(Locale.ROOT,
                            "`parameters.targets` has %,d entries, more than the limit of %,d",
                            targetsNode.size(), limits.maxTargets()));
                }
                targets = new ArrayList<>(targetsNode.size());
                for (int i = 0; i < targetsNode.size(); i++) {
                    JsonNode element = targetsNode.get(i);
                    String field = "`parameters.targets[" + i + "]`";
                    if (!element.isTextual()) {
                        return invalid(field + " must be a string, got " + describe(element));
                    }
                    bad = unpairedSurrogate(field, element.textValue());
                    if (bad != null) {
                        return invalid(bad);
                    }
                    targets.add(element.textValue());
                }
            } else {
                return invalid("`parameters.targets` must be a string or an array of strings, got "
                        + describe(targetsNode));
            }
        }
        return new DecodedRequest.Valid(new FillMaskRequest(inputs, topK, targets));
    }

    /** Why this {@code top_k} node is refused, or {@code null} if it is a usable integer. */
    private String topKProblem(JsonNode node) {
        String expected = limits.maxTopK() == Integer.MAX_VALUE
                ? "an integer >= 1"
                : String.format(Locale.ROOT, "an integer from 1 to %,d", limits.maxTopK());
        String field = "`parameters.top_k` must be " + expected + ", got ";
        if (!node.isNumber()) {
            return field + describe(node);
        }
        if (!node.isIntegralNumber()) {
            String hint = isWhole(node) ? " (write an integer without a decimal point or exponent)" : "";
            return field + describe(node) + hint;
        }
        if (node.canConvertToInt()) {
            int value = node.intValue();
            if (value < 1) {
                return field + value;
            }
            if (value > limits.maxTopK()) {
                return String.format(Locale.ROOT, "`parameters.top_k` must be at most %,d (the configured limit), got %,d",
                        limits.maxTopK(), value);
            }
            return null;
        }
        // an integer beyond 32 bits
        if (node.bigIntegerValue().signum() < 0) {
            return field + describe(node);
        }
        if (limits.maxTopK() == Integer.MAX_VALUE) {
            return String.format(Locale.ROOT, "`parameters.top_k` must be an integer from 1 to %,d, got %s",
                    Integer.MAX_VALUE, describe(node));
        }
        return String.format(Locale.ROOT, "`parameters.top_k` must be at most %,d (the configured limit), got %s",
                limits.maxTopK(), describe(node));
    }

    private static boolean isWhole(JsonNode number) {
        try {
            return number.decimalValue().stripTrailingZeros().scale() <= 0;
        } catch (RuntimeException e) { // NaN/Infinity cannot occur in strict JSON; stay safe anyway
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ answers

    /**
     * Writes an answer as UTF-8 JSON: a {@link FillMaskAnswer.SingleMask} as a flat array of candidates, a
     * {@link FillMaskAnswer.MultiMask} as an array of arrays, an {@link FillMaskAnswer.Error} as
     * {@code {"error": "..."}}. Scores are written as Jackson writes a double (not rounded). Text is written as
     * UTF-8 without escaping non-ASCII; an unpaired surrogate (which no valid text holds) becomes {@code ?}.
     */
    public byte[] writeAnswer(FillMaskAnswer answer) {
        return writeAnswerAsString(answer).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes an answer within the limits' {@link RequestLimits#maxAnswerBytes()}: an answer whose JSON would be
     * larger is replaced by an error answer saying how large it would be and what to lower. What the job sends and
     * what {@code predict} prints both come from here, so both paths answer alike.
     */
    public EncodedAnswer writeBoundedAnswer(FillMaskAnswer answer) {
        String json = writeAnswerAsString(answer);
        long bytes = utf8Length(json);
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
    public String writeAnswerAsString(FillMaskAnswer answer) {
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

    /**
     * Reads an answer written by {@link #writeAnswer(FillMaskAnswer)} (for clients and tests). An empty array reads
     * as an empty {@link FillMaskAnswer.SingleMask}. Unknown fields in candidates are ignored.
     *
     * @throws IllegalArgumentException if {@code json} is not an answer
     */
    public FillMaskAnswer readAnswer(byte[] json) {
        if (json == null) {
            throw new IllegalArgumentException("answer is null");
        }
        JsonNode root;
        try (JsonParser parser = mapper.createParser(json)) {
            root = mapper.readTree(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("answer is not valid JSON: unexpected content after the JSON value"
                        + at(parser.currentTokenLocation()));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("answer is not valid JSON: " + e.getOriginalMessage() + at(e.getLocation()), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("answer is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new IllegalArgumentException("answer is empty");
        }
        if (root.isObject()) {
            JsonNode error = root.get("error");
            if (error == null || !error.isTextual()) {
                throw new IllegalArgumentException("an answer object must have a string field `error`, got " + describe(root));
            }
            return new FillMaskAnswer.Error(error.textValue());
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("an answer must be an array or an object with `error`, got " + describe(root));
        }
        if (root.size() > 0 && root.get(0).isArray()) {
            List<List<Candidate>> rows = new ArrayList<>(root.size());
            for (int i = 0; i < root.size(); i++) {
                JsonNode row = root.get(i);
                if (!row.isArray()) {
                    throw new IllegalArgumentException("answer row [" + i + "] must be an array of candidates, got "
                            + describe(row));
                }
                rows.add(readRow(row, "[" + i + "]"));
            }
            return new FillMaskAnswer.MultiMask(rows);
        }
        return new FillMaskAnswer.SingleMask(readRow(root, ""));
    }

    /** {@link #readAnswer(byte[])} for a string. */
    public FillMaskAnswer readAnswer(String json) {
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
                throw new IllegalArgumentException(where + " must be a candidate object, got " + describe(c));
            }
            JsonNode sequence = c.get("sequence");
            JsonNode score = c.get("score");
            JsonNode token = c.get("token");
            JsonNode tokenStr = c.get("token_str");
            if (sequence == null || !sequence.isTextual()) {
                throw new IllegalArgumentException(where + ".sequence must be a string, got " + describe(sequence));
            }
            if (score == null || !score.isNumber()) {
                throw new IllegalArgumentException(where + ".score must be a number, got " + describe(score));
            }
            if (token == null || !token.isIntegralNumber() || !token.canConvertToLong()) {
                throw new IllegalArgumentException(where + ".token must be an integer, got " + describe(token));
            }
            if (tokenStr == null || !tokenStr.isTextual()) {
                throw new IllegalArgumentException(where + ".token_str must be a string, got " + describe(tokenStr));
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

    // ------------------------------------------------------------------------------------------------ for clients

    /**
     * Writes a request as UTF-8 JSON (for clients and tests): {@code {"inputs": ..., "parameters": {...}}}, leaving
     * out {@code top_k} and {@code targets} when {@code null}, and {@code parameters} when both are.
     */
    public byte[] writeRequest(FillMaskRequest request) {
        return writeRequestAsString(request).getBytes(StandardCharsets.UTF_8);
    }

    /** {@link #writeRequest(FillMaskRequest)} as a string (e.g. a JSONL line, without the line end). */
    public String writeRequestAsString(FillMaskRequest request) {
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

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * A refusal. Its reason may quote the request (a value, or the character Jackson stopped at, which for an emoji
     * is half of it), so unpaired surrogates are escaped here, once for every reason: the error answer and the dead
     * letter's header then carry the same valid text.
     */
    private static DecodedRequest invalid(String reason) {
        return new DecodedRequest.Invalid(escapeUnpairedSurrogates(reason));
    }

    private String tooManyBytes(long bytes) {
        return String.format(Locale.ROOT, "request is %,d bytes, more than the limit of %,d",
                bytes, limits.maxRequestBytes());
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + " column " + location.getColumnNr();
    }

    /** "null", "true", "an array", "an object", "a string \"5\"", or the number as written (shortened). */
    static String describe(JsonNode node) {
        if (node == null) {
            return "nothing (the field is missing)";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        if (node.isTextual()) {
            String text = node.textValue();
            String shown = text.length() > SHOWN_VALUE_CHARS ? text.substring(0, SHOWN_VALUE_CHARS) + "…" : text;
            return "a string \"" + escapeUnpairedSurrogates(
                    new String(JsonStringEncoder.getInstance().quoteAsString(shown))) + "\"";
        }
        if (node.isNumber()) {
            if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                return "a number too large to represent";
            }
            String text = node.asText();
            if (text.length() > SHOWN_VALUE_CHARS) {
                return text.substring(0, 20) + "… (a number of " + String.format(Locale.ROOT, "%,d", text.length())
                        + " characters)";
            }
            return text;
        }
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code text} with each unpaired surrogate written as its {@code \\uXXXX} escape: a message that quotes a
     * request must itself be valid Unicode, or the written answer would carry {@code ?} in its place.
     */
    private static String escapeUnpairedSurrogates(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A message naming the first unpaired surrogate in {@code text}, or {@code null} if there is none. */
    private static String unpairedSurrogate(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format(Locale.ROOT,
                        "%s contains an unpaired surrogate \\u%04X at character %d: text must be valid Unicode",
                        field, (int) c, i);
            }
        }
        return null;
    }

    private static boolean isJsonWhitespace(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    /** The number of bytes {@code text} takes in UTF-8 (an unpaired surrogate counted as 3). */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
