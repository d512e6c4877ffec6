package dev.fillmask.job.kafka;

import dev.fillmask.udf.ModelChange;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/**
 * A control record as the {@link ModelChange} it asks for. Its key, if any, is the change's id, which the status
 * records repeat as their key; without one the id is the record's topic-partition@offset. Never throws: a record that
 * is no change becomes an invalid one, which the operator answers with a status record saying why.
 */
public final class ModelChangeDecoder implements KafkaRecordDeserializationSchema<ModelChange> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelChange> out) {
        String id = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
                : record.topic() + "-" + record.partition() + "@" + record.offset();
        out.collect(ModelChange.fromJson(id, record.value()));
    }

    @Override
    public TypeInformation<ModelChange> getProducedType() {
        return TypeInformation.of(ModelChange.class);
    }
}
