package dev.fillmask.job.local;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

/** Writes requests to the input topic, one record each, keyed so that each answer can be matched to its request. */
public final class RequestFeeder {
    private RequestFeeder() {}

    /** Sends {@code values[i]} with key {@code keys.get(i)}; returns once every record is acknowledged. */
    public static void send(String bootstrapServers, Properties clientProperties, String topic, List<String> keys,
                            List<byte[]> values) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < keys.size(); i++) {
                producer.send(new ProducerRecord<>(topic, keys.get(i).getBytes(StandardCharsets.UTF_8), values.get(i)));
            }
            producer.flush();
        }
    }
}
