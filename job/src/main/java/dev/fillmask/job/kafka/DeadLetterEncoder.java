package dev.fillmask.job.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The dead letter of a request answered with an error: the original key, value and headers untouched, plus headers in
 * Kafka Connect's dead-letter convention saying why and where it came from. A dead letter must always be sendable
 * ({@link RecordSizeLimit}), so when the original record is too large for one, as little of it as will do is left
 * out, each part with a header saying how large it was: one of the value, the original headers or the key
 * (replaced by {@code sha256:<hex>}), in that order, else two of them, else all three.
 */
public final class DeadLetterEncoder implements KafkaRecordSerializationSchema<AnsweredRecord> {
    private static final long serialVersionUID = 1L;

    public static final String HEADER_TOPIC = "__connect.errors.topic";
    public static final String HEADER_PARTITION = "__connect.errors.partition";
    public static final String HEADER_OFFSET = "__connect.errors.offset";
    public static final String HEADER_MESSAGE = "__connect.errors.exception.message";
    public static final String HEADER_STAGE = "__connect.errors.stage";
    /** Set when the value was left out: its size in bytes. */
    public static final String HEADER_VALUE_OMITTED = "fill-mask.value.omitted.bytes";
    /** Set when the original headers were left out: their total size in bytes (keys and values). */
    public static final String HEADER_HEADERS_OMITTED = "fill-mask.headers.omitted.bytes";
    /** The stage that rejected it: the fill-mask job (decoding or the model's checks). */
    static final String STAGE = "fill-mask";

    private final String topic;
    private final RecordSizeLimit limit;

    public DeadLetterEncoder(String topic, RecordSizeLimit limit) {
        this.topic = topic;
        this.limit = limit;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnsweredRecord answered, KafkaSinkContext context, Long timestamp) {
        ProducerRecord<byte[], byte[]> letter = null;
        for (int leftOut : LEAVE_OUT_ORDER) {
            letter = letter(answered, timestamp, (leftOut & VALUE) != 0, (leftOut & HEADERS) != 0, (leftOut & KEY) != 0);
            if (limit.fits(letter.key(), letter.value(), letter.headers().toArray())) {
                return letter;
            }
        }
        return letter; // all three left out: a few hundred bytes of our own headers, under any real limit
    }

    private static final int VALUE = 1;
    private static final int HEADERS = 2;
    private static final int KEY = 4;
    /** What to leave out, least first: nothing, one part, two parts, all three. */
    private static final int[] LEAVE_OUT_ORDER = {0, VALUE, HEADERS, KEY, VALUE | HEADERS, VALUE | KEY, HEADERS | KEY,
            VALUE | HEADERS | KEY};

    private ProducerRecord<byte[], byte[]> letter(AnsweredRecord answered, Long timestamp, boolean noValue,
                                                  boolean noHeaders, boolean noKey) {
        KafkaRecord in = answered.request;
        RecordHeaders headers = headers(answered, !noHeaders);
        byte[] key = in.key;
        byte[] value = in.value;
        if (noHeaders) {
            headers.add(HEADER_HEADERS_OMITTED, ascii(Long.toString(originalHeaderBytes(in))));
        }
        if (noValue && value != null) {
            headers.add(HEADER_VALUE_OMITTED, ascii(Integer.toString(value.length)));
            value = new byte[0];
        }
        if (noKey && key != null) {
            headers.add(RecordSizeLimit.HEADER_KEY_SHA256, ascii(RecordSizeLimit.sha256(key)));
            headers.add(RecordSizeLimit.HEADER_KEY_OMITTED, ascii(Integer.toString(key.length)));
            key = RecordSizeLimit.keyStandIn(key);
        }
        return new ProducerRecord<>(topic, null, timestamp, key, value, headers);
    }

    private static RecordHeaders headers(AnsweredRecord answered, boolean withOriginal) {
        KafkaRecord in = answered.request;
        RecordHeaders headers = new RecordHeaders();
        if (withOriginal) {
            for (int i = 0; i < in.headerKeys.length; i++) {
                headers.add(in.headerKeys[i], in.headerValues[i]);
            }
        }
        headers.add(HEADER_TOPIC, utf8(in.topic));
        headers.add(HEADER_PARTITION, ascii(Integer.toString(in.partition)));
        headers.add(HEADER_OFFSET, ascii(Long.toString(in.offset)));
        headers.add(HEADER_STAGE, ascii(STAGE));
        headers.add(HEADER_MESSAGE, utf8(answered.error));
        return headers;
    }

    private static long originalHeaderBytes(KafkaRecord in) {
        long bytes = 0;
        for (int i = 0; i < in.headerKeys.length; i++) {
            bytes += utf8(in.headerKeys[i]).length + (in.headerValues[i] == null ? 0 : in.headerValues[i].length);
        }
        return bytes;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
