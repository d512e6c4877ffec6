package dev.fillmask.job.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The answer record: the key, answer and headers {@link KafkaRequests} chose (so that it fits), the request's
 * timestamp.
 */
public final class AnswerEncoder implements KafkaRecordSerializationSchema<AnsweredRecord> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public AnswerEncoder(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnsweredRecord answered, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < answered.headerKeys.length; i++) {
            headers.add(answered.headerKeys[i], answered.headerValues[i]);
        }
        return new ProducerRecord<>(topic, null, timestamp, answered.key, answered.answer, headers);
    }
}
