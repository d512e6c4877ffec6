package dev.fillmask.job.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/**
 * The answer record: the request's key, the answer's JSON, the request's timestamp. A key too large for any record
 * is replaced by {@code sha256:<hex>}, with headers giving the hash and the key's size, so the client can still match
 * it.
 */
public final class AnswerEncoder implements KafkaRecordSerializationSchema<AnsweredRecord> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public AnswerEncoder(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnsweredRecord answered, KafkaSinkContext context, Long timestamp) {
        if (answered.keyTooLarge) {
            byte[] key = answered.request.key;
            RecordHeaders headers = new RecordHeaders();
            headers.add(RecordSizeLimit.HEADER_KEY_SHA256, RecordSizeLimit.sha256(key).getBytes(StandardCharsets.US_ASCII));
            headers.add(RecordSizeLimit.HEADER_KEY_OMITTED, Integer.toString(key.length).getBytes(StandardCharsets.US_ASCII));
            return new ProducerRecord<>(topic, null, timestamp, RecordSizeLimit.keyStandIn(key), answered.answer, headers);
        }
        return new ProducerRecord<>(topic, null, timestamp, answered.request.key, answered.answer);
    }
}
