package dev.fillmask.job.kafka;

import dev.fillmask.udf.ModelStatus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * A status record: key = the change's id (the control record's key), value = one JSON object, e.g.
 * {@code {"subtask":0,"subtasks":2,"id":"swap-1f3a","model":"/models/b","outcome":"swapped","error":null,
 * "folder":"/models/b","version":"2ca425dfa11dd6c9","loadMs":5210,"servingModel":"b","servingVersion":"2ca4..."}}.
 */
public final class ModelStatusEncoder implements KafkaRecordSerializationSchema<ModelStatus> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;

    public ModelStatusEncoder(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ModelStatus status, KafkaSinkContext context, Long timestamp) {
        byte[] key = status.id() == null ? null : status.id().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, null, key, json(status));
    }

    /** The status as the status topic carries it. */
    public static byte[] json(ModelStatus status) {
        ObjectNode node = JSON.createObjectNode();
        node.put("subtask", status.subtask());
        node.put("subtasks", status.subtasks());
        node.put("id", status.id());
        node.put("model", status.model());
        node.put("outcome", status.outcome().toString());
        node.put("error", status.error());
        node.put("folder", status.folder());
        node.put("version", status.version());
        node.put("loadMs", status.loadMillis());
        node.put("servingModel", status.serving().name());
        node.put("servingVersion", status.serving().version());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
