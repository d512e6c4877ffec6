package dev.fillmask.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writing answers, reading them back, and writing requests. */
class FillMaskCodecAnswerTest {

    private final FillMaskCodec codec = new FillMaskCodec();

    static final Candidate CAPITAL = new Candidate("paris is the capital of france.", 0.5, 3007, "capital");
    static final Candidate HEART = new Candidate("paris is the heart of france.", 0.25, 2540, "heart");

    @Test
    void singleMaskIsAFlatArrayWithFieldsInContractOrder() {
        assertEquals("[{\"sequence\":\"paris is the capital of france.\",\"score\":0.5,\"token\":3007,\"token_str\":\"capital\"},"
                        + "{\"sequence\":\"paris is the heart of france.\",\"score\":0.25,\"token\":2540,\"token_str\":\"heart\"}]",
                codec.writeAnswerAsString(new FillMaskAnswer.SingleMask(List.of(CAPITAL, HEART))));
    }

    @Test
    void multiMaskIsAnArrayOfArraysOnePerMask() {
        Candidate a = new Candidate("[CLS] a [MASK] [SEP]", 0.75, 1, "a");
        Candidate b = new Candidate("[CLS] [MASK] b [SEP]", 0.125, 2, "b");
        assertEquals("[[{\"sequence\":\"[CLS] a [MASK] [SEP]\",\"score\":0.75,\"token\":1,\"token_str\":\"a\"}],"
                        + "[{\"sequence\":\"[CLS] [MASK] b [SEP]\",\"score\":0.125,\"token\":2,\"token_str\":\"b\"}]]",
                codec.writeAnswerAsString(new FillMaskAnswer.MultiMask(List.of(List.of(a), List.of(b)))));
    }

    @Test
    void errorIsAnObjectWithAnErrorField() {
        assertEquals("{\"error\":\"No mask_token ([MASK]) found on the input\"}",
                codec.writeAnswerAsString(FillMaskAnswer.error("No mask_token ([MASK]) found on the input")));
    }

    @Test
    void errorMessageIsEscaped() {
        assertEquals("{\"error\":\"a \\\"quoted\\\" \\\\ word\\nnext line\\t\\u0001\"}",
                codec.writeAnswerAsString(FillMaskAnswer.error("a \"quoted\" \\ word\nnext line\t\u0001")));
    }

    @Test
    void scoresAreWrittenAsJacksonWritesADoubleNotRounded() {
        float probability = 0.1f; // the engine computes float32 and passes (double) floatValue
        double widened = probability;
        String json = codec.writeAnswerAsString(new FillMaskAnswer.SingleMask(List.of(new Candidate("s", widened, 7, "t"))));
        assertTrue(json.contains("\"score\":" + Double.toString(widened) + ","), json);
        assertTrue(json.contains("\"score\":0.10000000149011612,"), json);
        FillMaskAnswer.SingleMask back = (FillMaskAnswer.SingleMask) codec.readAnswer(json);
        assertEquals(widened, back.candidates().get(0).score(), 0.0); // bit for bit
        assertEquals(probability, (float) back.candidates().get(0).score(), 0.0f);
    }

    @Test
    void tinyAndExtremeScoresRoundTripExactly() {
        double[] scores = {0.0, 1.0, 1e-10, (double) Float.MIN_VALUE, (double) 0.99999994f, (double) 3.4e-39f};
        for (double score : scores) {
            FillMaskAnswer answer = new FillMaskAnswer.SingleMask(List.of(new Candidate("s", score, 1, "t")));
            FillMaskAnswer.SingleMask back = (FillMaskAnswer.SingleMask) codec.readAnswer(codec.writeAnswer(answer));
            assertEquals(score, back.candidates().get(0).score(), 0.0, () -> "score " + score);
        }
    }

    @Test
    void textIsWrittenAsUtf8() {
        Candidate c = new Candidate("caf\u00e9 \uD83D\uDE00 \u65e5\u672c", 0.5, 1, "\u00e9");
        byte[] bytes = codec.writeAnswer(new FillMaskAnswer.SingleMask(List.of(c)));
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"sequence\":\"caf\u00e9 \uD83D\uDE00 \u65e5\u672c\""), text);
        assertArrayEquals(codec.writeAnswerAsString(new FillMaskAnswer.SingleMask(List.of(c))).getBytes(StandardCharsets.UTF_8), bytes);
    }

    @Test
    void writingNeverThrowsOnAnUnpairedSurrogate() {
        byte[] bytes = codec.writeAnswer(FillMaskAnswer.error("bad \uD800 text"));
        assertEquals("{\"error\":\"bad ? text\"}", new String(bytes, StandardCharsets.UTF_8));
    }

    @Test
    void largeTokenIdsAreWrittenAsIntegers() {
        Candidate c = new Candidate("s", 0.5, 250_001L, "t");
        assertTrue(codec.writeAnswerAsString(new FillMaskAnswer.SingleMask(List.of(c))).contains("\"token\":250001,"));
    }

    @Test
    void answersRoundTrip() {
        List<FillMaskAnswer> answers = List.of(
                new FillMaskAnswer.SingleMask(List.of(CAPITAL, HEART)),
                new FillMaskAnswer.SingleMask(List.of(CAPITAL)),
                new FillMaskAnswer.MultiMask(List.of(List.of(CAPITAL, HEART), List.of(HEART))),
                new FillMaskAnswer.MultiMask(List.of(List.of(CAPITAL), List.of(HEART), List.of(CAPITAL, HEART))),
                FillMaskAnswer.error("At least one target must be provided when passed."),
                FillMaskAnswer.error("caf\u00e9 \"x\"\n"));
        for (FillMaskAnswer answer : answers) {
            assertEquals(answer, codec.readAnswer(codec.writeAnswer(answer)));
            assertEquals(answer, codec.readAnswer(codec.writeAnswerAsString(answer)));
        }
    }

    @Test
    void readAnswerReadsHuggingFaceShapedJson() {
        FillMaskAnswer answer = codec.readAnswer("[ {\"score\": 0.9, \"token\": 3007, \"token_str\": \"capital\","
                + " \"sequence\": \"paris is the capital of france.\", \"extra\": 1} ]");
        assertEquals(new FillMaskAnswer.SingleMask(List.of(
                new Candidate("paris is the capital of france.", 0.9, 3007, "capital"))), answer);
        assertFalse(answer.isError());
        assertTrue(codec.readAnswer("{\"error\":\"x\"}").isError());
        assertEquals(new FillMaskAnswer.SingleMask(List.of()), codec.readAnswer("[]"));
    }

    @Test
    void readAnswerRefusesWhatIsNotAnAnswer() {
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer((byte[]) null));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("not json"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer(""));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("42"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("{\"message\":\"x\"}"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("{\"error\":3}"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("[1,2]"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("[[{\"sequence\":\"s\",\"score\":1,\"token\":1,\"token_str\":\"t\"}], 5]"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("[{\"sequence\":\"s\",\"score\":1,\"token\":1}]"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("[{\"sequence\":\"s\",\"score\":\"1\",\"token\":1,\"token_str\":\"t\"}]"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("[{\"sequence\":\"s\",\"score\":1,\"token\":1.5,\"token_str\":\"t\"}]"));
        assertThrows(IllegalArgumentException.class, () -> codec.readAnswer("{\"error\":\"x\"} {\"error\":\"y\"}"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> codec.readAnswer("[{\"sequence\":\"s\",\"score\":1,\"token\":1,\"token_str\":7}]"));
        assertTrue(e.getMessage().contains("answer[0].token_str must be a string, got 7"), e.getMessage());
    }

    @Test
    void writeRequestOmitsNullParameters() {
        assertEquals("{\"inputs\":\"a [MASK]\"}", new String(codec.writeRequest(FillMaskRequest.of("a [MASK]")), StandardCharsets.UTF_8));
        assertEquals("{\"inputs\":\"a\",\"parameters\":{\"top_k\":3}}",
                codec.writeRequestAsString(new FillMaskRequest("a", 3, null)));
        assertEquals("{\"inputs\":\"a\",\"parameters\":{\"targets\":[\"x\",\"y\"]}}",
                codec.writeRequestAsString(new FillMaskRequest("a", null, List.of("x", "y"))));
        assertEquals("{\"inputs\":\"a\",\"parameters\":{\"top_k\":2,\"targets\":[]}}",
                codec.writeRequestAsString(new FillMaskRequest("a", 2, List.of())));
    }

    @Test
    void requestsRoundTrip() {
        List<FillMaskRequest> requests = List.of(
                FillMaskRequest.of("Paris is the [MASK] of France."),
                new FillMaskRequest("Paris is the [MASK] of France.", 3, List.of("capital", "heart")),
                new FillMaskRequest("caf\u00e9 \"\\\" \n \uD83D\uDE00 <mask>", 1, null),
                new FillMaskRequest("a", null, List.of()),
                new FillMaskRequest("a", Integer.MAX_VALUE, List.of("")));
        for (FillMaskRequest request : requests) {
            DecodedRequest decoded = codec.readRequest(codec.writeRequest(request));
            assertEquals(request, assertInstanceOf(DecodedRequest.Valid.class, decoded).request());
            assertEquals(request, ((DecodedRequest.Valid) codec.readRequest(codec.writeRequestAsString(request))).request());
        }
    }

    @Test
    void writeRequestCanWriteWhatTheReaderRefuses() {
        // for tests of the job: a client may send a bad top_k; the reader answers it
        byte[] bad = codec.writeRequest(new FillMaskRequest("a", -3, null));
        assertEquals(new DecodedRequest.Invalid("`parameters.top_k` must be an integer >= 1, got -3"), codec.readRequest(bad));
    }
}
