package dev.fillmask.job.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** The answer record: the request's key, the answer's JSON, the request's timestamp. */
public final class AnswerEncoder implements KafkaRecordSerializationSchema<AnsweredRecord> {
    private static final long serialVersionUID = 1L;

    private final String topic;

    public AnswerEncoder(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnsweredRecord answered, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, answered.request.key, answered.answer);
    }
}
