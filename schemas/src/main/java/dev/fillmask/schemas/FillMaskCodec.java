package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Objects;

/**
 * Reads requests and writes answers in the fill-mask wire format (see docs/contract.md and the JSON
 * Schemas opened by {@link ContractSchemas}).
 *
 * <p>One object for the whole wire format, made of three parts with one job each: {@link RequestReader} (requests in),
 * {@link AnswerWriter} (answers out) and {@link ClientCodec} (the client's side: answers in, requests out). Thread-safe:
 * one configured {@link ObjectMapper} inside, no other mutable state. Build one per limits and share it.
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

    private final RequestLimits limits;
    private final RequestReader requests;
    private final AnswerWriter answers;
    private final ClientCodec client;

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
        ObjectMapper mapper = JsonMapper.builder(factory).build();
        this.requests = new RequestReader(limits, mapper);
        this.answers = new AnswerWriter(limits, mapper);
        this.client = new ClientCodec(mapper);
    }

    public RequestLimits limits() {
        return limits;
    }

    /**
     * Reads one request from a record value (UTF-8 JSON). Never throws.
     *
     * @param value the record value; {@code null} is a tombstone
     */
    public DecodedRequest readRequest(byte[] value) {
        return requests.readRequest(value);
    }

    /** Reads one request from a line of text (a JSONL line). Never throws. */
    public DecodedRequest readRequest(String line) {
        return requests.readRequest(line);
    }

    /**
     * Writes an answer as UTF-8 JSON: a {@link FillMaskAnswer.SingleMask} as a flat array of candidates, a
     * {@link FillMaskAnswer.MultiMask} as an array of arrays, an {@link FillMaskAnswer.Error} as
     * {@code {"error": "..."}}, without the answer bound (see {@link #writeBoundedAnswer}).
     */
    public byte[] writeAnswer(FillMaskAnswer answer) {
        return answers.writeAnswer(answer);
    }

    /**
     * Writes an answer within {@link RequestLimits#maxAnswerBytes()}: an answer whose JSON would be larger is replaced
     * by an error answer saying how large it would be and what to lower. What the job sends and what {@code predict}
     * prints both come from here, so both paths answer alike.
     */
    public EncodedAnswer writeBoundedAnswer(FillMaskAnswer answer) {
        return answers.writeBoundedAnswer(answer);
    }

    /** {@link #writeAnswer(FillMaskAnswer)} as a string (e.g. a JSONL line, without the line end). */
    public String writeAnswerAsString(FillMaskAnswer answer) {
        return answers.writeAnswerAsString(answer);
    }

    /**
     * Reads an answer written by {@link #writeAnswer(FillMaskAnswer)} (for clients and tests).
     *
     * @throws IllegalArgumentException if {@code json} is not an answer
     */
    public FillMaskAnswer readAnswer(byte[] json) {
        return client.readAnswer(json);
    }

    /** {@link #readAnswer(byte[])} for a string. */
    public FillMaskAnswer readAnswer(String json) {
        return client.readAnswer(json);
    }

    /** Writes a request as UTF-8 JSON (for clients and tests). */
    public byte[] writeRequest(FillMaskRequest request) {
        return client.writeRequest(request);
    }

    /** {@link #writeRequest(FillMaskRequest)} as a string (e.g. a JSONL line, without the line end). */
    public String writeRequestAsString(FillMaskRequest request) {
        return client.writeRequestAsString(request);
    }

    /** "null", "true", "an array", "a string \"5\"", ...: how a refusal names a value it got. */
    static String describe(JsonNode node) {
        return JsonText.describe(node);
    }
}
