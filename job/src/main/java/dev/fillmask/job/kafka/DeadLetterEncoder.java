package dev.fillmask.job.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The dead letter of a request answered with an error: the original key, value and headers untouched, plus headers in
 * Kafka Connect's dead-letter convention saying why and where it came from. (Only a value too large for a producer
 * request is left out; see {@link #MAX_VALUE_BYTES}.)
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
    /** The stage that rejected it: the fill-mask job (decoding or the model's checks). */
    static final String STAGE = "fill-mask";
    /**
     * The largest value a dead letter carries: below the producer's default max.request.size (1 MiB) with room for
     * key and headers. A larger value (a 10 MB request, say) would make the dead-letter producer fail the job over
     * and over; its dead letter goes without the value, with {@link #HEADER_VALUE_OMITTED} saying how large it was.
     */
    public static final int MAX_VALUE_BYTES = 1_000_000;

    private final String topic;

    public DeadLetterEncoder(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnsweredRecord answered, KafkaSinkContext context, Long timestamp) {
        KafkaRecord in = answered.request;
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < in.headerKeys.length; i++) {
            headers.add(in.headerKeys[i], in.headerValues[i]);
        }
        headers.add(HEADER_TOPIC, utf8(in.topic));
        headers.add(HEADER_PARTITION, utf8(Integer.toString(in.partition)));
        headers.add(HEADER_OFFSET, utf8(Long.toString(in.offset)));
        headers.add(HEADER_STAGE, utf8(STAGE));
        headers.add(HEADER_MESSAGE, utf8(answered.error));
        byte[] value = in.value;
        if (value != null && value.length > MAX_VALUE_BYTES) {
            headers.add(HEADER_VALUE_OMITTED, utf8(Integer.toString(value.length)));
            value = new byte[0];
        }
        return new ProducerRecord<>(topic, null, timestamp, in.key, value, headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
