package dev.fillmask.gateway.http;

import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceCallTest {
    private final FillMaskCodec codec = new FillMaskCodec(RequestLimits.defaults().withMaxTargets(3));
    private final InferenceCall calls = new InferenceCall(codec, 4);

    @Test
    void oneInputGoesToTheJobByteForByte() throws Exception {
        byte[] body = utf8("{ \"inputs\" : \"Paris is the [MASK] of France.\", \"parameters\": {\"top_k\": 2}, \"x\": 1 }");
        InferenceCall.Requests requests = calls.read(body);
        assertFalse(requests.list());
        assertEquals(1, requests.values().size());
        assertArrayEquals(body, requests.values().get(0));
    }

    @Test
    void aListOfInputsIsOneRequestEachWithTheSameParameters() throws Exception {
        InferenceCall.Requests requests = calls.read(utf8(
                "{\"inputs\": [\"a [MASK].\", \"b [MASK].\"], \"parameters\": {\"targets\": [\"x\"]}}"));
        assertTrue(requests.list());
        assertEquals(List.of("{\"inputs\":\"a [MASK].\",\"parameters\":{\"targets\":[\"x\"]}}",
                "{\"inputs\":\"b [MASK].\",\"parameters\":{\"targets\":[\"x\"]}}"),
                requests.values().stream().map(v -> new String(v, StandardCharsets.UTF_8)).toList());
    }

    @Test
    void parametersBesideInputsAreMovedIntoParametersWhichWins() throws Exception {
        InferenceCall.Requests requests = calls.read(utf8(
                "{\"inputs\": \"a [MASK].\", \"top_k\": 3, \"targets\": [\"y\"], \"parameters\": {\"top_k\": 1}}"));
        assertEquals("{\"inputs\":\"a [MASK].\",\"parameters\":{\"top_k\":1,\"targets\":[\"y\"]}}",
                new String(requests.values().get(0), StandardCharsets.UTF_8));
    }

    @Test
    void whatTheJobWouldRefuseIsRefusedInTheJobsWords() {
        assertRefused("{\"inputs\": 42}", reasonOf("{\"inputs\": 42}"));
        assertRefused("not json", reasonOf("not json"));
        assertRefused("[1, 2]", reasonOf("[1, 2]"));
        assertRefused("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": [\"a\", \"b\", \"c\", \"d\"]}}",
                reasonOf("{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": [\"a\", \"b\", \"c\", \"d\"]}}"));
        assertRefused("{\"inputs\": \"a [MASK]\", \"top_k\": \"five\"}",
                reasonOf("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": \"five\"}}"));
        assertRefused("{\"inputs\": [\"a [MASK]\", 7]}", "inputs[1]: " + reasonOf("{\"inputs\": 7}"));
        assertRefused("{\"inputs\": []}", "`inputs` is an empty list: give a string, or a list of strings");
        assertTrue(refusal("{\"inputs\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}").contains("limit of 4"));
    }

    @Test
    void waitForModelInTheBodyIsNoticed() throws Exception {
        assertTrue(calls.read(utf8("{\"inputs\": \"a [MASK]\", \"options\": {\"wait_for_model\": true}}")).waitForModel());
        assertFalse(calls.read(utf8("{\"inputs\": \"a [MASK]\"}")).waitForModel());
    }

    private String reasonOf(String request) {
        return ((dev.fillmask.schemas.DecodedRequest.Invalid) codec.readRequest(request)).reason();
    }

    private void assertRefused(String body, String expected) {
        assertEquals(expected, refusal(body));
    }

    private String refusal(String body) {
        return assertThrows(InferenceCall.RefusedException.class, () -> calls.read(utf8(body))).getMessage();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
