package dev.fillmask.gateway.http;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskCodec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP body as the Hugging Face Inference API takes it, turned into the job's requests, each checked with the
 * job's own codec and limits first, so that what the job would refuse is refused at once (400) with the job's words.
 *
 * <ul>
 *   <li>{@code {"inputs": "...", "parameters": {...}}}: one request, sent as it came, byte for byte.</li>
 *   <li>{@code "inputs": ["...", "..."]}: one request per string, with the same parameters; answered with the list
 *       of their answers, in order.</li>
 *   <li>{@code top_k} and {@code targets} beside {@code inputs} rather than inside {@code parameters} (some
 *       versions of huggingface_hub send them so) are moved into {@code parameters}; {@code parameters} wins when
 *       both give one.</li>
 *   <li>{@code options.wait_for_model: true} (older clients' way of saying {@code X-Wait-For-Model: true}).</li>
 * </ul>
 */
public final class InferenceCall {
    private static final List<String> FLAT_PARAMETERS = List.of("top_k", "targets");

    /** The job's requests of one call, in order; {@code list} when the caller sent a list of inputs. */
    public record Requests(List<byte[]> values, boolean list, boolean waitForModel) {}

    private final FillMaskCodec codec;
    private final int maxInputs;
    private final ObjectMapper mapper;

    public InferenceCall(FillMaskCodec codec, int maxInputs) {
        this.codec = codec;
        this.maxInputs = maxInputs;
        this.mapper = JsonMapper.builder(JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(FillMaskCodec.MAX_NESTING_DEPTH)
                        .maxNumberLength(FillMaskCodec.MAX_NUMBER_LENGTH)
                        .build())
                .build()).build();
    }

    /**
     * The requests in {@code body}.
     *
     * @throws RefusedException with the message a 400 carries
     */
    public Requests read(byte[] body) throws RefusedException {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw refusal(body); // the codec says what is wrong, in the words the job would use
        }
        boolean wait = root.path("options").path("wait_for_model").asBoolean(false);
        JsonNode inputs = root.get("inputs");
        boolean flat = FLAT_PARAMETERS.stream().anyMatch(root::has);
        if (inputs != null && inputs.isArray()) {
            return list((ObjectNode) root, inputs, wait);
        }
        byte[] single = flat ? write(request(inputs, parameters((ObjectNode) root))) : body;
        DecodedRequest decoded = codec.readRequest(single);
        if (decoded instanceof DecodedRequest.Invalid invalid) {
            throw new RefusedException(invalid.reason());
        }
        return new Requests(List.of(single), false, wait);
    }

    private Requests list(ObjectNode root, JsonNode inputs, boolean wait) throws RefusedException {
        if (inputs.isEmpty()) {
            throw new RefusedException("`inputs` is an empty list: give a string, or a list of strings");
        }
        if (inputs.size() > maxInputs) {
            throw new RefusedException(String.format(Locale.ROOT,
                    "`inputs` is a list of %,d strings, more than the limit of %,d: send them in several requests",
                    inputs.size(), maxInputs));
        }
        JsonNode parameters = parameters(root);
        List<byte[]> values = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            byte[] value = write(request(inputs.get(i), parameters));
            DecodedRequest decoded = codec.readRequest(value);
            if (decoded instanceof DecodedRequest.Invalid invalid) {
                throw new RefusedException("inputs[" + i + "]: " + invalid.reason());
            }
            values.add(value);
        }
        return new Requests(values, true, wait);
    }

    /** {@code parameters}, with {@code top_k} and {@code targets} given beside {@code inputs} moved in. */
    private JsonNode parameters(ObjectNode root) {
        JsonNode given = root.get("parameters");
        if (given != null && !given.isObject()) {
            return given; // the codec refuses it, naming what it got
        }
        ObjectNode merged = given == null ? mapper.createObjectNode() : ((ObjectNode) given).deepCopy();
        for (String name : FLAT_PARAMETERS) {
            if (root.has(name) && !merged.has(name)) {
                merged.set(name, root.get(name));
            }
        }
        return merged.isEmpty() && given == null ? null : merged;
    }

    private ObjectNode request(JsonNode inputs, JsonNode parameters) {
        ObjectNode request = mapper.createObjectNode();
        if (inputs != null) {
            request.set("inputs", inputs);
        }
        if (parameters != null) {
            request.set("parameters", parameters);
        }
        return request;
    }

    private byte[] write(JsonNode request) throws RefusedException {
        try {
            return mapper.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new RefusedException("the request cannot be written as JSON: " + e.getMessage());
        }
    }

    private RefusedException refusal(byte[] body) {
        DecodedRequest decoded = codec.readRequest(body);
        return new RefusedException(decoded instanceof DecodedRequest.Invalid invalid ? invalid.reason()
                : "a request must be a JSON object with `inputs`");
    }

    /** A body the job would refuse: 400 with this message. */
    public static final class RefusedException extends Exception {
        public RefusedException(String message) {
            super(message, null, false, false);
        }
    }
}
