package dev.fillmask.schemas;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads and checks requests: the wire side of the contract that comes in. Never throws: every malformed record (a
 * tombstone, an empty value, too many bytes, invalid UTF-8, invalid JSON, too deep nesting, a wrong type, a bound
 * exceeded) is a {@link DecodedRequest.Invalid} whose reason names the field and what was expected. It owns the wire
 * bounds of {@link RequestLimits}; the engine owns the model's (masks, window, vocabulary). Decisions where JSON
 * leaves room are listed on {@link FillMaskCodec}. Thread-safe.
 */
final class RequestReader {
    private static final String SHAPE = "the request must be a JSON object with a string field `inputs`";

    private final RequestLimits limits;
    private final ObjectMapper mapper;

    RequestReader(RequestLimits limits, ObjectMapper mapper) {
        this.limits = limits;
        this.mapper = mapper;
    }

    /**
     * Reads one request from a record value (UTF-8 JSON). Never throws.
     *
     * @param value the record value; {@code null} is a tombstone
     */
    DecodedRequest readRequest(byte[] value) {
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
    DecodedRequest readRequest(String line) {
        if (line == null) {
            return invalid("request is null: " + SHAPE);
        }
        if (line.isEmpty()) {
            return invalid("request is empty: " + SHAPE);
        }
        long bytes = JsonText.utf8Length(line);
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
        if (JsonText.isJsonWhitespace(text)) {
            return invalid("request is empty (only whitespace): " + SHAPE);
        }
        JsonNode root;
        try (JsonParser parser = mapper.createParser(text)) {
            root = mapper.readTree(parser);
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                return invalid("request is not valid JSON: unexpected content after the end of the JSON value"
                        + JsonText.at(parser.currentTokenLocation()) + "; send one JSON object per record");
            }
        } catch (StreamConstraintsException e) {
            return invalid("request exceeds a parser limit: " + e.getOriginalMessage() + JsonText.at(e.getLocation()));
        } catch (JsonProcessingException e) {
            return invalid("request is not valid JSON: " + e.getOriginalMessage() + JsonText.at(e.getLocation()));
        } catch (IOException e) {
            return invalid("request is not valid JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            return invalid("request is empty: " + SHAPE);
        }
        if (!root.isObject()) {
            return invalid("request must be a JSON object with a string field `inputs`, got " + JsonText.describe(root));
        }

        JsonNode inputsNode = root.get("inputs");
        if (inputsNode == null) {
            return invalid("`inputs` is missing: " + SHAPE);
        }
        if (!inputsNode.isTextual()) {
            String hint = inputsNode.isArray() ? " (send one request per record)" : "";
            return invalid("`inputs` must be a string, got " + JsonText.describe(inputsNode) + hint);
        }
        String inputs = inputsNode.textValue();
        if (inputs.length() > limits.maxInputChars()) {
            return invalid(limits.inputTooLong(inputs.length()));
        }
        String bad = JsonText.unpairedSurrogate("`inputs`", inputs);
        if (bad != null) {
            return invalid(bad);
        }

        JsonNode parameters = root.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return new DecodedRequest.Valid(new FillMaskRequest(inputs, null, null));
        }
        if (!parameters.isObject()) {
            return invalid("`parameters` must be an object like {\"top_k\": 5, \"targets\": [\"a\", \"b\"]}, got "
                    + JsonText.describe(parameters));
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
                bad = JsonText.unpairedSurrogate("`parameters.targets`", target);
                if (bad != null) {
                    return invalid(bad);
                }
                targets = List.of(target);
            } else if (targetsNode.isArray()) {
                if (targetsNode.size() > limits.maxTargets()) {
                    return invalid(limits.tooManyTargets(targetsNode.size()));
                }
                targets = new ArrayList<>(targetsNode.size());
                for (int i = 0; i < targetsNode.size(); i++) {
                    JsonNode element = targetsNode.get(i);
                    String field = "`parameters.targets[" + i + "]`";
                    if (!element.isTextual()) {
                        return invalid(field + " must be a string, got " + JsonText.describe(element));
                    }
                    bad = JsonText.unpairedSurrogate(field, element.textValue());
                    if (bad != null) {
                        return invalid(bad);
                    }
                    targets.add(element.textValue());
                }
            } else {
                return invalid("`parameters.targets` must be a string or an array of strings, got "
                        + JsonText.describe(targetsNode));
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
            return field + JsonText.describe(node);
        }
        if (!node.isIntegralNumber()) {
            String hint = isWhole(node) ? " (write an integer without a decimal point or exponent)" : "";
            return field + JsonText.describe(node) + hint;
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
            return field + JsonText.describe(node);
        }
        if (limits.maxTopK() == Integer.MAX_VALUE) {
            return String.format(Locale.ROOT, "`parameters.top_k` must be an integer from 1 to %,d, got %s",
                    Integer.MAX_VALUE, JsonText.describe(node));
        }
        return String.format(Locale.ROOT, "`parameters.top_k` must be at most %,d (the configured limit), got %s",
                limits.maxTopK(), JsonText.describe(node));
    }

    private static boolean isWhole(JsonNode number) {
        try {
            return number.decimalValue().stripTrailingZeros().scale() <= 0;
        } catch (RuntimeException e) { // NaN/Infinity cannot occur in strict JSON; stay safe anyway
            return false;
        }
    }

    /**
     * A refusal. Its reason may quote the request (a value, or the character Jackson stopped at, which for an emoji
     * is half of it), so unpaired surrogates are escaped here, once for every reason: the error answer and the dead
     * letter's header then carry the same valid text.
     */
    private static DecodedRequest invalid(String reason) {
        return new DecodedRequest.Invalid(JsonText.escapeUnpairedSurrogates(reason));
    }

    private String tooManyBytes(long bytes) {
        return String.format(Locale.ROOT, "request is %,d bytes, more than the limit of %,d",
                bytes, limits.maxRequestBytes());
    }
}
