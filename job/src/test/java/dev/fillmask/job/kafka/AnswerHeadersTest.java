package dev.fillmask.job.kafka;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.ServingModel;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which of a request's headers its answer carries, with the model's, and what gives way when they do not fit: the
 * headers copied from the request, never the answer.
 */
class AnswerHeadersTest {
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final byte[] BINARY = {0, (byte) 0xff, 10, (byte) 0x80};
    private static final FillMaskAnswer SMALL = new FillMaskAnswer.SingleMask(
            List.of(new Candidate("paris is the capital of france.", 0.99, 3007, "capital")));

    private static KafkaRecord request(byte[] key, Object... keysAndValues) {
        KafkaRecord r = new KafkaRecord();
        r.key = key;
        r.value = utf8("{}");
        r.topic = "in";
        r.headerKeys = new String[keysAndValues.length / 2];
        r.headerValues = new byte[keysAndValues.length / 2][];
        for (int i = 0; i < keysAndValues.length / 2; i++) {
            r.headerKeys[i] = (String) keysAndValues[2 * i];
            Object v = keysAndValues[2 * i + 1];
            r.headerValues[i] = v instanceof String s ? utf8(s) : (byte[]) v;
        }
        return r;
    }

    private static KafkaRecord traced() {
        return request(utf8("id-1"), "traceparent", TRACEPARENT, "tracestate", "congo=t61rcWkgMzE",
                "X-Correlation-Id", "a", "bin", BINARY, "x-correlation-id", "b", "empty", null,
                AnswerHeaders.HEADER_MODEL, "spoofed");
    }

    private static AnsweredRecord answer(String selection, int maxRecordBytes, KafkaRecord request,
                                         FillMaskAnswer answer) {
        KafkaRequests requests = new KafkaRequests(RequestLimits.defaults(), new RecordSizeLimit(maxRecordBytes),
                AnswerHeaders.of(selection));
        return requests.answered(request, answer, new ServingModel("bert-base-uncased", "0123456789abcdef"));
    }

    /** The answer record as the sink sends it. */
    private static ProducerRecord<byte[], byte[]> sent(AnsweredRecord answered) {
        return new AnswerEncoder("out").serialize(answered, null, 0L);
    }

    private static List<String> names(ProducerRecord<byte[], byte[]> record) {
        List<String> names = new ArrayList<>();
        for (Header h : record.headers()) {
            names.add(h.key());
        }
        return names;
    }

    private static String text(ProducerRecord<byte[], byte[]> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void allCopiesEveryHeaderInOrderThenNamesTheModel() {
        ProducerRecord<byte[], byte[]> record = sent(answer("all", 1 << 20, traced(), SMALL));
        assertEquals(List.of("traceparent", "tracestate", "X-Correlation-Id", "bin", "x-correlation-id", "empty",
                AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION), names(record));
        assertEquals(TRACEPARENT, text(record, "traceparent"));
        assertArrayEquals(BINARY, record.headers().lastHeader("bin").value(), "binary values unchanged");
        assertNull(record.headers().lastHeader("empty").value(), "a null value stays null");
        assertEquals("bert-base-uncased", text(record, AnswerHeaders.HEADER_MODEL),
                "a request's own fill-mask.model is not copied: the header names the model that answered");
        assertEquals("0123456789abcdef", text(record, AnswerHeaders.HEADER_MODEL_VERSION));
        assertArrayEquals(utf8("id-1"), record.key());
    }

    /**
     * The operator hands each answer the model that made its batch (a swapped-in one, or the start-up model again):
     * the headers name that one, whichever way the record is made to fit.
     */
    @Test
    void theModelOfTheBatchNamesTheAnswerInEveryShapeOfRecord() {
        KafkaRequests requests = new KafkaRequests(RequestLimits.defaults(), new RecordSizeLimit(10_000),
                AnswerHeaders.of("all"));
        ServingModel swapped = new ServingModel("tiny-b", "fedcba9876543210");
        ServingModel startUp = new ServingModel("bert-base-uncased", "0123456789abcdef");

        AnsweredRecord first = requests.answered(traced(), SMALL, swapped);
        ProducerRecord<byte[], byte[]> plain = sent(first);
        assertEquals(List.of("traceparent", "tracestate", "X-Correlation-Id", "bin", "x-correlation-id", "empty",
                AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION), names(plain));
        assertEquals("tiny-b", text(plain, AnswerHeaders.HEADER_MODEL), "not the request's spoofed one");
        assertEquals("fedcba9876543210", text(plain, AnswerHeaders.HEADER_MODEL_VERSION));

        ProducerRecord<byte[], byte[]> lean = sent(requests.answered(
                request(utf8("id-2"), "x-big", new byte[20_000]), SMALL, swapped));
        assertEquals(List.of(AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION,
                AnswerHeaders.HEADER_HEADERS_OMITTED), names(lean), "copied headers left out, the model's kept");
        assertEquals("fedcba9876543210", text(lean, AnswerHeaders.HEADER_MODEL_VERSION));

        ProducerRecord<byte[], byte[]> hashedKey = sent(requests.answered(
                request(new byte[20_000], "traceparent", TRACEPARENT), SMALL, swapped));
        assertEquals("tiny-b", text(hashedKey, AnswerHeaders.HEADER_MODEL));
        assertEquals("fedcba9876543210", text(hashedKey, AnswerHeaders.HEADER_MODEL_VERSION));

        // Back to the start-up model (a swap back, or a restore): the next answer names it again.
        ProducerRecord<byte[], byte[]> back = sent(requests.answered(traced(), SMALL, startUp));
        assertEquals("bert-base-uncased", text(back, AnswerHeaders.HEADER_MODEL));
        assertEquals("0123456789abcdef", text(back, AnswerHeaders.HEADER_MODEL_VERSION));
        assertEquals("fedcba9876543210", text(sent(first), AnswerHeaders.HEADER_MODEL_VERSION),
                "an answer made before keeps its model's headers (the sink encodes it later)");
    }

    @Test
    void noneKeepsOnlyTheModelHeaders() {
        assertEquals(List.of(AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION),
                names(sent(answer("none", 1 << 20, traced(), SMALL))));
        assertEquals(List.of(AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION),
                names(sent(answer("", 1 << 20, traced(), SMALL))));
    }

    @Test
    void anAllowListKeepsTheHeadersItNamesIgnoringCaseEveryValueOfThem() {
        ProducerRecord<byte[], byte[]> record = sent(answer(" TraceParent, x-correlation-id ,", 1 << 20, traced(),
                SMALL));
        assertEquals(List.of("traceparent", "X-Correlation-Id", "x-correlation-id", AnswerHeaders.HEADER_MODEL,
                AnswerHeaders.HEADER_MODEL_VERSION), names(record));
        assertThrows(IllegalArgumentException.class, () -> AnswerHeaders.of("all,traceparent"));
    }

    @Test
    void headersTooLargeForTheRecordAreLeftOutAndTheAnswerStays() {
        byte[] big = new byte[20_000];
        KafkaRecord request = request(utf8("id-2"), "traceparent", TRACEPARENT, "x-big", big);
        AnsweredRecord answered = answer("all", 10_000, request, SMALL);
        assertFalse(answered.isError(), "the answer itself fits: it stays an answer");
        assertArrayEquals(new FillMaskCodec().writeAnswer(SMALL), answered.answer);
        ProducerRecord<byte[], byte[]> record = sent(answered);
        assertEquals(List.of(AnswerHeaders.HEADER_MODEL, AnswerHeaders.HEADER_MODEL_VERSION,
                AnswerHeaders.HEADER_HEADERS_OMITTED), names(record));
        assertEquals(Integer.toString("traceparent".length() + TRACEPARENT.length() + "x-big".length() + big.length),
                text(record, AnswerHeaders.HEADER_HEADERS_OMITTED));
        assertTrue(fits(record, 10_000));
    }

    @Test
    void anAnswerTooLargeBecomesAnErrorThatKeepsTheHeadersWhenTheyFit() {
        FillMaskAnswer heavy = new FillMaskAnswer.SingleMask(List.of(new Candidate("x".repeat(12_000), 0.5, 1, "x")));
        AnsweredRecord answered = answer("all", 10_000, request(utf8("id-3"), "traceparent", TRACEPARENT), heavy);
        assertTrue(answered.isError());
        ProducerRecord<byte[], byte[]> record = sent(answered);
        assertEquals(TRACEPARENT, text(record, "traceparent"));
        assertEquals("bert-base-uncased", text(record, AnswerHeaders.HEADER_MODEL));
        assertTrue(fits(record, 10_000));
    }

    @Test
    void aKeyTooLargeGoesUnderItsHashWithTheKeyAndModelHeaders() {
        byte[] bigKey = new byte[20_000];
        AnsweredRecord answered = answer("all", 10_000, request(bigKey, "traceparent", TRACEPARENT), SMALL);
        assertTrue(answered.isError());
        ProducerRecord<byte[], byte[]> record = sent(answered);
        assertArrayEquals(RecordSizeLimit.keyStandIn(bigKey), record.key());
        assertEquals(RecordSizeLimit.sha256(bigKey), text(record, RecordSizeLimit.HEADER_KEY_SHA256));
        assertEquals("20000", text(record, RecordSizeLimit.HEADER_KEY_OMITTED));
        assertEquals(TRACEPARENT, text(record, "traceparent"));
        assertEquals("0123456789abcdef", text(record, AnswerHeaders.HEADER_MODEL_VERSION));
        assertTrue(fits(record, 10_000));
    }

    @Test
    void aKeyAndHeadersBothTooLargeStillMakeARecordThatFits() {
        byte[] bigKey = new byte[20_000];
        AnsweredRecord answered = answer("all", 10_000, request(bigKey, "x-big", new byte[20_000]), SMALL);
        ProducerRecord<byte[], byte[]> record = sent(answered);
        assertEquals("20005", text(record, AnswerHeaders.HEADER_HEADERS_OMITTED));
        assertEquals("bert-base-uncased", text(record, AnswerHeaders.HEADER_MODEL));
        assertTrue(fits(record, 10_000));
    }

    private static boolean fits(ProducerRecord<byte[], byte[]> record, int max) {
        return new RecordSizeLimit(max).fits(record.key(), record.value(), record.headers().toArray());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
