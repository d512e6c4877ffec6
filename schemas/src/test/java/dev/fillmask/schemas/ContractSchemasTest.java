package dev.fillmask.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON Schema files, checked with networknt's validator, and their agreement with the codec. */
class ContractSchemasTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private static JsonSchema requestSchema;
    private static JsonSchema answerSchema;
    private static JsonSchema errorSchema;

    private final FillMaskCodec codec = new FillMaskCodec();

    @BeforeAll
    static void loadSchemas() throws IOException {
        try (InputStream request = ContractSchemas.openRequestSchema();
             InputStream answer = ContractSchemas.openAnswerSchema();
             InputStream error = ContractSchemas.openErrorSchema()) {
            requestSchema = FACTORY.getSchema(request);
            answerSchema = FACTORY.getSchema(answer);
            errorSchema = FACTORY.getSchema(error);
        }
    }

    private static Set<ValidationMessage> validate(JsonSchema schema, String json) {
        try {
            return schema.validate(MAPPER.readTree(json));
        } catch (IOException e) {
            throw new AssertionError("test JSON is not JSON: " + json, e);
        }
    }

    private static Set<ValidationMessage> validate(JsonSchema schema, byte[] json) {
        return validate(schema, new String(json, StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------------------------------- the files themselves

    @ParameterizedTest
    @ValueSource(strings = {ContractSchemas.REQUEST, ContractSchemas.ANSWER, ContractSchemas.ERROR})
    void eachFileIsAValidDraft202012SchemaWithIdTitleAndDescription(String fileName) throws IOException {
        JsonNode schema = MAPPER.readTree(ContractSchemas.read(fileName));
        JsonSchema metaSchema = FACTORY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        assertEquals(Set.of(), metaSchema.validate(schema));
        assertFalse(metaSchema.validate(MAPPER.readTree("{\"type\": 5}")).isEmpty(), "the meta-schema checks nothing");
        assertEquals("https://json-schema.org/draft/2020-12/schema", schema.path("$schema").asText());
        assertEquals(ContractSchemas.id(fileName), schema.path("$id").asText());
        assertFalse(schema.path("title").asText().isBlank());
        assertFalse(schema.path("description").asText().isBlank());
    }

    @ParameterizedTest
    @ValueSource(strings = {ContractSchemas.REQUEST, ContractSchemas.ANSWER, ContractSchemas.ERROR})
    void everyFieldHasADescription(String fileName) throws IOException {
        List<String> undocumented = new ArrayList<>();
        collectUndocumented(MAPPER.readTree(ContractSchemas.read(fileName)), "", undocumented);
        assertEquals(List.of(), undocumented);
    }

    private static void collectUndocumented(JsonNode node, String path, List<String> undocumented) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collectUndocumented(node.get(i), path + "[" + i + "]", undocumented);
            }
        } else if (node.isObject()) {
            JsonNode properties = node.get("properties");
            if (properties != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> property = it.next();
                    if (!property.getValue().hasNonNull("description")) {
                        undocumented.add(path + "/properties/" + property.getKey());
                    }
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!field.getKey().equals("examples")) {
                    collectUndocumented(field.getValue(), path + "/" + field.getKey(), undocumented);
                }
            }
        }
    }

    @Test
    void examplesInTheFilesValidate() throws IOException {
        for (JsonNode example : MAPPER.readTree(ContractSchemas.read(ContractSchemas.REQUEST)).get("examples")) {
            assertEquals(Set.of(), requestSchema.validate(example), example::toString);
            assertInstanceOf(DecodedRequest.Valid.class, codec.readRequest(example.toString()));
        }
        for (JsonNode example : MAPPER.readTree(ContractSchemas.read(ContractSchemas.ANSWER)).get("examples")) {
            assertEquals(Set.of(), answerSchema.validate(example), example::toString);
        }
        for (JsonNode example : MAPPER.readTree(ContractSchemas.read(ContractSchemas.ERROR)).get("examples")) {
            assertEquals(Set.of(), errorSchema.validate(example), example::toString);
        }
    }

    @Test
    void unknownFileNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ContractSchemas.open("other.schema.json"));
        assertEquals("/dev/fillmask/schemas/fill-mask-error.schema.json", ContractSchemas.resourcePath(ContractSchemas.ERROR));
        assertEquals(3, ContractSchemas.fileNames().size());
    }

    // ---------------------------------------------------------------------------------------- requests

    static List<String> goodRequests() {
        return List.of(
                "{\"inputs\": \"Paris is the [MASK] of France.\"}",
                "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"top_k\": 3, \"targets\": [\"capital\", \"heart\"]}}",
                "{\"inputs\": \"Paris is the <mask> of France.\", \"parameters\": {\"targets\": \"capital\"}}",
                "{\"inputs\": \"[MASK] [MASK]\", \"parameters\": {\"top_k\": 1}}",
                "{\"inputs\": \"a\", \"parameters\": null}",
                "{\"inputs\": \"a\", \"parameters\": {}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": null, \"targets\": null}}",
                "{\"inputs\": \"a\", \"parameters\": {\"targets\": []}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": 2147483647}}",
                "{\"inputs\": \"\"}",
                "{\"inputs\": \"caf\\u00e9 \\ud83d\\ude00 [MASK]\"}",
                "{\"inputs\": \"a\", \"options\": {\"wait_for_model\": true}, \"parameters\": {\"top_k\": 2, \"unknown\": [1]}}");
    }

    @ParameterizedTest
    @MethodSource("goodRequests")
    void goodRequestsValidateAndDecode(String json) {
        assertEquals(Set.of(), validate(requestSchema, json));
        assertInstanceOf(DecodedRequest.Valid.class, codec.readRequest(json));
    }

    /** Bad requests whose fault JSON Schema can express. */
    static List<String> badRequests() {
        return List.of(
                "[{\"inputs\": \"a\"}]",
                "\"Paris is the [MASK] of France.\"",
                "42",
                "null",
                "{}",
                "{\"input\": \"a\"}",
                "{\"inputs\": null}",
                "{\"inputs\": 42}",
                "{\"inputs\": [\"a [MASK]\", \"b [MASK]\"]}",
                "{\"inputs\": {\"text\": \"a\"}}",
                "{\"inputs\": \"a\", \"parameters\": [1]}",
                "{\"inputs\": \"a\", \"parameters\": \"top_k=3\"}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": -3}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": 0}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": 2.5}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": \"5\"}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": true}}",
                "{\"inputs\": \"a\", \"parameters\": {\"top_k\": [5]}}",
                "{\"inputs\": \"a\", \"parameters\": {\"targets\": 7}}",
                "{\"inputs\": \"a\", \"parameters\": {\"targets\": {\"a\": 1}}}",
                "{\"inputs\": \"a\", \"parameters\": {\"targets\": [\"capital\", 7]}}",
                "{\"inputs\": \"a\", \"parameters\": {\"targets\": [null]}}");
    }

    @ParameterizedTest
    @MethodSource("badRequests")
    void badRequestsFailValidationAndDecoding(String json) {
        assertFalse(validate(requestSchema, json).isEmpty(), () -> "the schema accepted " + json);
        DecodedRequest decoded = codec.readRequest(json);
        assertInstanceOf(DecodedRequest.Invalid.class, decoded);
        // the reason, sent as an error answer, is itself a valid error answer
        String reason = ((DecodedRequest.Invalid) decoded).reason();
        assertEquals(Set.of(), validate(errorSchema, codec.writeAnswer(FillMaskAnswer.error(reason))));
    }

    @Test
    void requestsWrittenByTheCodecValidate() {
        List<FillMaskRequest> requests = List.of(
                FillMaskRequest.of("a [MASK]"),
                new FillMaskRequest("a [MASK]", 3, null),
                new FillMaskRequest("a [MASK]", null, List.of("x")),
                new FillMaskRequest("a [MASK]", 10, List.of()));
        for (FillMaskRequest request : requests) {
            assertEquals(Set.of(), validate(requestSchema, codec.writeRequest(request)), request::toString);
        }
    }

    // ---------------------------------------------------------------------------------------- answers

    static List<FillMaskAnswer> goodAnswers() {
        Candidate capital = new Candidate("paris is the capital of france.", (double) 0.99690455f, 3007, "capital");
        Candidate heart = new Candidate("paris is the heart of france.", (double) 4.9e-4f, 2540, "heart");
        Candidate tiny = new Candidate("x", (double) 1.0e-30f, 0, "[PAD]");
        Candidate one = new Candidate("[CLS] a [MASK] [SEP]", 1.0, 30521, "##s");
        Candidate zero = new Candidate("[CLS] [MASK] b [SEP]", 0.0, 1, "caf\u00e9");
        return List.of(
                new FillMaskAnswer.SingleMask(List.of(capital, heart)),
                new FillMaskAnswer.SingleMask(List.of(capital)),
                new FillMaskAnswer.SingleMask(List.of(tiny)),
                new FillMaskAnswer.MultiMask(List.of(List.of(one, zero), List.of(zero))),
                new FillMaskAnswer.MultiMask(List.of(List.of(one), List.of(zero), List.of(capital))));
    }

    @ParameterizedTest
    @MethodSource("goodAnswers")
    void answersWrittenByTheCodecValidateAgainstTheAnswerSchemaOnly(FillMaskAnswer answer) {
        byte[] json = codec.writeAnswer(answer);
        assertEquals(Set.of(), validate(answerSchema, json), () -> new String(json, StandardCharsets.UTF_8));
        assertFalse(validate(errorSchema, json).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "No mask_token ([MASK]) found on the input",
            "At least one target must be provided when passed.",
            "`parameters.top_k` must be an integer >= 1, got -3",
            "caf\u00e9 \"quoted\"\nnext line"})
    void errorsWrittenByTheCodecValidateAgainstTheErrorSchemaOnly(String message) {
        byte[] json = codec.writeAnswer(FillMaskAnswer.error(message));
        assertEquals(Set.of(), validate(errorSchema, json));
        assertFalse(validate(answerSchema, json).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[]",
            "[[]]",
            "{\"error\": \"x\"}",
            "[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1}]",
            "[{\"sequence\": \"s\", \"score\": \"0.5\", \"token\": 1, \"token_str\": \"t\"}]",
            "[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1.5, \"token_str\": \"t\"}]",
            "[{\"sequence\": \"s\", \"score\": 1.5, \"token\": 1, \"token_str\": \"t\"}]",
            "[{\"sequence\": \"s\", \"score\": -0.1, \"token\": 1, \"token_str\": \"t\"}]",
            "[{\"sequence\": \"s\", \"score\": 0.5, \"token\": -1, \"token_str\": \"t\"}]",
            "[{\"sequence\": 1, \"score\": 0.5, \"token\": 1, \"token_str\": \"t\"}]",
            "[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1, \"token_str\": \"t\", \"extra\": 1}]",
            "[[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1, \"token_str\": \"t\"}]]",
            "[[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1, \"token_str\": \"t\"}], []]",
            "[{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1, \"token_str\": \"t\"}, [{\"sequence\": \"s\", \"score\": 0.5, \"token\": 1, \"token_str\": \"t\"}]]"})
    void malformedAnswersFailTheAnswerSchema(String json) {
        assertFalse(validate(answerSchema, json).isEmpty(), () -> "the schema accepted " + json);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"error\": 3}", "{\"error\": \"\"}", "{\"error\": \"x\", \"detail\": 1}", "[]", "\"x\""})
    void malformedErrorsFailTheErrorSchema(String json) {
        assertFalse(validate(errorSchema, json).isEmpty(), () -> "the schema accepted " + json);
    }
}
