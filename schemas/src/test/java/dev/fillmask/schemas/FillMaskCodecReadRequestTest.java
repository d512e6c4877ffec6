package dev.fillmask.schemas;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FillMaskCodec#readRequest(byte[])} and {@link FillMaskCodec#readRequest(String)}: every kind of record. */
class FillMaskCodecReadRequestTest {

    private final FillMaskCodec codec = new FillMaskCodec();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private FillMaskRequest valid(String json) {
        DecodedRequest decoded = codec.readRequest(utf8(json));
        return assertInstanceOf(DecodedRequest.Valid.class, decoded, () -> json + " -> " + decoded).request();
    }

    private static String reason(DecodedRequest decoded) {
        return assertInstanceOf(DecodedRequest.Invalid.class, decoded, () -> "expected Invalid, got " + decoded).reason();
    }

    private String reason(String json) {
        return reason(codec.readRequest(utf8(json)));
    }

    private static void assertContains(String expectedPart, String actual) {
        assertTrue(actual.contains(expectedPart), () -> "expected <" + expectedPart + "> in <" + actual + ">");
    }

    @Nested
    class ValidRequests {

        @Test
        void onlyInputsGivesDefaults() {
            FillMaskRequest r = valid("{\"inputs\": \"Paris is the [MASK] of France.\"}");
            assertEquals("Paris is the [MASK] of France.", r.inputs());
            assertNull(r.topK());
            assertEquals(5, r.topKOrDefault());
            assertFalse(r.hasTargets());
            assertNull(r.targets());
        }

        @Test
        void fullRequest() {
            FillMaskRequest r = valid("{\"inputs\": \"Paris is the [MASK] of France.\","
                    + " \"parameters\": {\"top_k\": 3, \"targets\": [\"capital\", \"heart\"]}}");
            assertEquals(new FillMaskRequest("Paris is the [MASK] of France.", 3, List.of("capital", "heart")), r);
            assertEquals(3, r.topKOrDefault());
            assertTrue(r.hasTargets());
        }

        @Test
        void nullParametersTopKAndTargetsMeanAbsent() {
            assertEquals(FillMaskRequest.of("a"), valid("{\"inputs\":\"a\",\"parameters\":null}"));
            assertEquals(FillMaskRequest.of("a"), valid("{\"inputs\":\"a\",\"parameters\":{\"top_k\":null,\"targets\":null}}"));
            assertEquals(FillMaskRequest.of("a"), valid("{\"inputs\":\"a\",\"parameters\":{}}"));
        }

        @Test
        void singleStringTargetBecomesListOfOne() {
            assertEquals(List.of("capital"), valid("{\"inputs\":\"a\",\"parameters\":{\"targets\":\"capital\"}}").targets());
        }

        @Test
        void emptyTargetsArrayIsPassedThroughForTheEngineToAnswer() {
            FillMaskRequest r = valid("{\"inputs\":\"a\",\"parameters\":{\"targets\":[]}}");
            assertTrue(r.hasTargets());
            assertEquals(List.of(), r.targets());
        }

        @Test
        void unknownFieldsAreIgnored() {
            FillMaskRequest r = valid("{\"inputs\":\"a\",\"options\":{\"wait_for_model\":true},\"id\":[1,2],"
                    + "\"parameters\":{\"top_k\":2,\"foo\":\"bar\",\"tokenizer_kwargs\":{}}}");
            assertEquals(new FillMaskRequest("a", 2, null), r);
        }

        @Test
        void theLastOfARepeatedFieldWinsAsInPython() {
            assertEquals("second", valid("{\"inputs\":\"first\",\"inputs\":\"second\"}").inputs());
        }

        @Test
        void theCodecIsMaskNeutral() {
            // No mask, another model's mask, an empty input: the codec does not know the model; the engine decides.
            assertEquals("no mask at all", valid("{\"inputs\":\"no mask at all\"}").inputs());
            assertEquals("Paris is the <mask> of France.", valid("{\"inputs\":\"Paris is the <mask> of France.\"}").inputs());
            assertEquals("", valid("{\"inputs\":\"\"}").inputs());
        }

        @Test
        void escapesAndNonAsciiTextAreDecoded() {
            assertEquals("caf\u00e9 \"q\" \n \uD83D\uDE00 [MASK]",
                    valid("{\"inputs\":\"caf\u00e9 \\\"q\\\" \\n \\ud83d\\ude00 [MASK]\"}").inputs());
        }

        @Test
        void largeTopKIsAcceptedForTheEngineToCap() {
            assertEquals(Integer.MAX_VALUE, valid("{\"inputs\":\"a\",\"parameters\":{\"top_k\":2147483647}}").topK());
            assertEquals(1, valid("{\"inputs\":\"a\",\"parameters\":{\"top_k\":1}}").topK());
        }

        @Test
        void surroundingWhitespaceAndAByteOrderMarkAreAccepted() {
            assertEquals("a", valid(" \r\n\t{\"inputs\":\"a\"}\r\n ").inputs());
            assertEquals("a", valid("\uFEFF{\"inputs\":\"a\"}").inputs());
        }

        @Test
        void inputsAtExactlyTheCharacterLimitIsAccepted() {
            FillMaskCodec small = new FillMaskCodec(RequestLimits.defaults().withMaxInputChars(10));
            DecodedRequest decoded = small.readRequest(utf8("{\"inputs\":\"0123456789\"}"));
            assertInstanceOf(DecodedRequest.Valid.class, decoded);
        }

        @Test
        void requestOfExactlyTheByteLimitIsAccepted() {
            String json = "{\"inputs\":\"abc\"}";
            FillMaskCodec exact = new FillMaskCodec(RequestLimits.defaults().withMaxRequestBytes(json.length()));
            assertInstanceOf(DecodedRequest.Valid.class, exact.readRequest(utf8(json)));
        }

        @Test
        void targetsAtExactlyTheLimitAreAccepted() {
            FillMaskCodec small = new FillMaskCodec(RequestLimits.defaults().withMaxTargets(2));
            DecodedRequest decoded = small.readRequest(utf8("{\"inputs\":\"a\",\"parameters\":{\"targets\":[\"x\",\"y\"]}}"));
            assertInstanceOf(DecodedRequest.Valid.class, decoded);
        }

        @Test
        void jsonlLineIsReadLikeBytes() {
            DecodedRequest decoded = codec.readRequest("{\"inputs\":\"caf\u00e9 [MASK]\",\"parameters\":{\"top_k\":2}}\r");
            assertEquals(new FillMaskRequest("caf\u00e9 [MASK]", 2, null),
                    assertInstanceOf(DecodedRequest.Valid.class, decoded).request());
            assertTrue(decoded.isValid());
        }
    }

    @Nested
    class WholeRecord {

        @Test
        void nullIsATombstone() {
            String reason = reason(codec.readRequest((byte[]) null));
            assertContains("request is null (a tombstone)", reason);
        }

        @Test
        void emptyValue() {
            assertContains("request is empty", reason(codec.readRequest(new byte[0])));
        }

        @ParameterizedTest
        @ValueSource(strings = {" ", "\n", " \t\r\n  "})
        void whitespaceOnlyValueIsEmpty(String value) {
            assertContains("request is empty", reason(value));
        }

        @Test
        void tooManyBytesIsCheckedBeforeParsing() {
            byte[] value = new byte[2_000_000];
            java.util.Arrays.fill(value, (byte) 0xFF); // neither UTF-8 nor JSON: the size is reported first
            assertEquals("request is 2,000,000 bytes, more than the limit of 1,048,576",
                    reason(codec.readRequest(value)));
        }

        @Test
        void aConfiguredByteLimitIsReported() {
            FillMaskCodec small = new FillMaskCodec(RequestLimits.defaults().withMaxRequestBytes(10));
            assertEquals("request is 16 bytes, more than the limit of 10",
                    reason(small.readRequest(utf8("{\"inputs\":\"abc\"}"))));
        }

        @Test
        void invalidUtf8NamesTheOffsetOfTheFirstBadByte() {
            byte[] value = utf8("{\"inputs\":\"ab?\"}");
            value[13] = (byte) 0xFF;
            assertContains("request is not valid UTF-8 (bad byte at offset 13", reason(codec.readRequest(value)));
        }

        @Test
        void overlongEncodingIsInvalidUtf8() {
            byte[] value = {'{', '"', 'i', '"', ':', (byte) 0xC0, (byte) 0xAF, '}'};
            assertContains("bad byte at offset 5", reason(codec.readRequest(value)));
        }

        @Test
        void encodedSurrogateIsInvalidUtf8() {
            byte[] value = {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
            assertContains("not valid UTF-8 (bad byte at offset 2", reason(codec.readRequest(value)));
        }

        @Test
        void truncatedMultiByteSequenceAtTheEndIsInvalidUtf8() {
            byte[] prefix = utf8("{\"inputs\":\"a\"}");
            byte[] value = java.util.Arrays.copyOf(prefix, prefix.length + 1);
            value[prefix.length] = (byte) 0xE2; // the first byte of a three-byte sequence, then nothing
            assertContains("not valid UTF-8 (bad byte at offset " + prefix.length, reason(codec.readRequest(value)));
        }

        @Test
        void notJsonNamesJacksonsReasonAndThePlace() {
            String reason = reason("Paris is the [MASK] of France.");
            assertContains("request is not valid JSON: Unrecognized token 'Paris'", reason);
            assertContains("at line 1 column", reason);
        }

        @Test
        void notJsonReportsTheLine() {
            String reason = reason("{\n  \"inputs\": \"a\",\n  oops: 1\n}");
            assertContains("request is not valid JSON", reason);
            assertContains("at line 3 column 3", reason);
        }

        @Test
        void truncatedJson() {
            assertContains("request is not valid JSON", reason("{\"inputs\": \"Paris is the [MASK]"));
        }

        @Test
        void trailingGarbageAfterTheObjectIsInvalidJson() {
            assertContains("request is not valid JSON", reason("{\"inputs\":\"a\"} x"));
        }

        @Test
        void twoObjectsInOneRecordAreInvalidJson() {
            String reason = reason("{\"inputs\":\"a\"} {\"inputs\":\"b\"}");
            assertContains("request is not valid JSON: unexpected content after the end of the JSON value", reason);
            assertContains("at line 1 column 16", reason);
        }

        @Test
        void nonStandardJsonIsRefused() {
            assertContains("not valid JSON", reason("{'inputs': 'a'}"));
            assertContains("not valid JSON", reason("{\"inputs\": \"a\", /* comment */ \"x\": 1}"));
            assertContains("not valid JSON", reason("{\"inputs\": \"a\", \"parameters\": {\"top_k\": NaN}}"));
            assertContains("not valid JSON", reason("{\"inputs\": \"a\",}"));
            assertContains("not valid JSON", reason("{\"inputs\": \"a\", \"parameters\": {\"top_k\": 05}}"));
        }

        @Test
        void veryDeepNestingIsInvalidNotAStackOverflow() {
            String deep = "[".repeat(100_000) + "]".repeat(100_000);
            String reason = reason(deep);
            assertContains("request exceeds a parser limit", reason);
            assertContains("nesting depth", reason);
        }

        @Test
        void veryDeepNestingInsideAnUnknownFieldIsInvalid() {
            String deep = "{\"inputs\":\"a\",\"x\":" + "{\"y\":".repeat(100_000) + "1" + "}".repeat(100_000) + "}";
            assertContains("nesting depth", reason(deep));
        }

        @Test
        void unclosedDeepNestingIsInvalid() {
            assertInstanceOf(DecodedRequest.Invalid.class, codec.readRequest("[".repeat(500_000)));
        }

        @Test
        void requestMustBeAnObject() {
            assertEquals("request must be a JSON object with a string field `inputs`, got an array",
                    reason("[{\"inputs\":\"a\"}]"));
            assertContains("got a string \"Paris is the [MASK] of France.\"", reason("\"Paris is the [MASK] of France.\""));
            assertContains("must be a JSON object", reason("42"));
            assertContains("must be a JSON object", reason("true"));
            assertContains("must be a JSON object with a string field `inputs`, got null", reason("null"));
        }

        @Test
        void jsonlLineNullEmptyAndTooLong() {
            assertContains("request is null", reason(codec.readRequest((String) null)));
            assertContains("request is empty", reason(codec.readRequest("")));
            assertContains("request is empty", reason(codec.readRequest("   ")));
            FillMaskCodec small = new FillMaskCodec(RequestLimits.defaults().withMaxRequestBytes(20));
            // 18 characters but 23 UTF-8 bytes: the limit counts bytes
            assertEquals("request is 23 bytes, more than the limit of 20",
                    reason(small.readRequest("{\"inputs\":\"\u00e9\u00e9\u00e9\u00e9\u00e9\"}")));
        }
    }

    @Nested
    class Inputs {

        @ParameterizedTest
        @ValueSource(strings = {"{}", "{\"input\":\"a\"}", "{\"parameters\":{\"top_k\":1}}", "{\"text\":\"a\"}"})
        void missing(String json) {
            assertEquals("`inputs` is missing: the request must be a JSON object with a string field `inputs`",
                    reason(json));
        }

        @Test
        void nullIsNotAString() {
            assertEquals("`inputs` must be a string, got null", reason("{\"inputs\":null}"));
        }

        @Test
        void numberIsNotAString() {
            assertEquals("`inputs` must be a string, got 42", reason("{\"inputs\":42}"));
        }

        @Test
        void arrayIsNotAStringAndTheMessageSaysWhatToDo() {
            assertEquals("`inputs` must be a string, got an array (send one request per record)",
                    reason("{\"inputs\":[\"a [MASK]\",\"b [MASK]\"]}"));
        }

        @Test
        void objectAndBooleanAreNotStrings() {
            assertEquals("`inputs` must be a string, got an object", reason("{\"inputs\":{\"text\":\"a\"}}"));
            assertEquals("`inputs` must be a string, got false", reason("{\"inputs\":false}"));
        }

        @Test
        void tooManyCharacters() {
            String json = "{\"inputs\":\"" + "a".repeat(100_001) + "\"}";
            assertEquals("`inputs` is 100,001 characters, more than the limit of 100,000", reason(json));
        }

        @Test
        void unpairedSurrogateEscapeIsNotText() {
            assertEquals("`inputs` contains an unpaired surrogate \\uD800 at character 2: text must be valid Unicode",
                    reason("{\"inputs\":\"ab\\ud800c\"}"));
            assertContains("unpaired surrogate \\uDC00", reason("{\"inputs\":\"\\udc00\\ud800\"}"));
        }
    }

    @Nested
    class Parameters {

        @Test
        void mustBeAnObject() {
            assertContains("`parameters` must be an object", reason("{\"inputs\":\"a\",\"parameters\":[1]}"));
            assertContains("got an array", reason("{\"inputs\":\"a\",\"parameters\":[1]}"));
            assertContains("`parameters` must be an object", reason("{\"inputs\":\"a\",\"parameters\":\"top_k=3\"}"));
            assertContains("`parameters` must be an object", reason("{\"inputs\":\"a\",\"parameters\":3}"));
        }

        private String topK(String value) {
            return reason("{\"inputs\":\"a\",\"parameters\":{\"top_k\":" + value + "}}");
        }

        @Test
        void topKNegative() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got -3", topK("-3"));
        }

        @Test
        void topKZero() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got 0", topK("0"));
        }

        @Test
        void topKFraction() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got 2.5", topK("2.5"));
        }

        @Test
        void topKWithDecimalPointOrExponentIsNotAnInteger() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got 5.0"
                    + " (write an integer without a decimal point or exponent)", topK("5.0"));
            assertContains("must be an integer >= 1, got 5.0 (write an integer", topK("5e0"));
            assertContains("must be an integer >= 1", topK("1E2"));
        }

        @Test
        void topKString() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got a string \"5\"", topK("\"5\""));
        }

        @Test
        void topKBooleanArrayObject() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got true", topK("true"));
            assertEquals("`parameters.top_k` must be an integer >= 1, got an array", topK("[5]"));
            assertEquals("`parameters.top_k` must be an integer >= 1, got an object", topK("{\"value\":5}"));
        }

        @Test
        void topKBeyond32Bits() {
            assertEquals("`parameters.top_k` must be an integer from 1 to 2,147,483,647, got 2147483648", topK("2147483648"));
            assertEquals("`parameters.top_k` must be an integer from 1 to 2,147,483,647, got 99999999999999999999999",
                    topK("99999999999999999999999"));
            assertEquals("`parameters.top_k` must be an integer >= 1, got -99999999999999999999999",
                    topK("-99999999999999999999999"));
        }

        @Test
        void topKWithHundredsOfDigitsIsShortenedInTheMessage() {
            String reason = topK("9".repeat(500));
            assertContains("must be an integer from 1 to 2,147,483,647, got 99999999999999999999… (a number of 500 characters)",
                    reason);
            assertTrue(reason.length() < 200, reason);
        }

        @Test
        void topKWithThousandsOfDigitsHitsTheParserLimit() {
            String reason = topK("9".repeat(5_000));
            assertContains("request exceeds a parser limit", reason);
            assertContains("Number value length", reason);
        }

        @Test
        void topKBeyondDoubleRange() {
            assertEquals("`parameters.top_k` must be an integer >= 1, got a number too large to represent", topK("1e999999"));
        }

        @Test
        void topKAboveAConfiguredLimit() {
            FillMaskCodec capped = new FillMaskCodec(RequestLimits.defaults().withMaxTopK(100));
            assertEquals("`parameters.top_k` must be at most 100 (the configured limit), got 500",
                    reason(capped.readRequest("{\"inputs\":\"a\",\"parameters\":{\"top_k\":500}}")));
            assertEquals("`parameters.top_k` must be at most 100 (the configured limit), got 9999999999",
                    reason(capped.readRequest("{\"inputs\":\"a\",\"parameters\":{\"top_k\":9999999999}}")));
            assertEquals("`parameters.top_k` must be an integer from 1 to 100, got -1",
                    reason(capped.readRequest("{\"inputs\":\"a\",\"parameters\":{\"top_k\":-1}}")));
            assertInstanceOf(DecodedRequest.Valid.class,
                    capped.readRequest("{\"inputs\":\"a\",\"parameters\":{\"top_k\":100}}"));
        }

        private String targets(String value) {
            return reason("{\"inputs\":\"a\",\"parameters\":{\"targets\":" + value + "}}");
        }

        @Test
        void targetsOfAnotherType() {
            assertEquals("`parameters.targets` must be a string or an array of strings, got 7", targets("7"));
            assertEquals("`parameters.targets` must be a string or an array of strings, got an object",
                    targets("{\"a\":1}"));
            assertEquals("`parameters.targets` must be a string or an array of strings, got true", targets("true"));
        }

        @Test
        void targetsElementOfAnotherTypeNamesTheIndex() {
            assertEquals("`parameters.targets[1]` must be a string, got 7", targets("[\"capital\", 7]"));
            assertEquals("`parameters.targets[0]` must be a string, got null", targets("[null]"));
            assertEquals("`parameters.targets[2]` must be a string, got an array", targets("[\"a\",\"b\",[\"c\"]]"));
        }

        @Test
        void tooManyTargets() {
            String many = "[" + "\"x\",".repeat(1_000) + "\"y\"]";
            assertEquals("`parameters.targets` has 1,001 entries, more than the limit of 1,000", targets(many));
        }

        @Test
        void unpairedSurrogateInATarget() {
            assertEquals("`parameters.targets[1]` contains an unpaired surrogate \\uD83D at character 0:"
                    + " text must be valid Unicode", targets("[\"ok\",\"\\ud83d\"]"));
            assertContains("`parameters.targets` contains an unpaired surrogate", targets("\"\\ud83d\""));
        }
    }
}
