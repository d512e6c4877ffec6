package dev.fillmask.job.local;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes requests to the input topic, one record each, keyed so that each answer can be matched to its request. A
 * record the broker refuses ends the feed with Kafka's error as soon as its acknowledgement says so: the caller would
 * otherwise wait for an answer to a request that was never written.
 */
public final class RequestFeeder {
    private RequestFeeder() {}

    /**
     * Sends {@code values[i]} with key {@code keys.get(i)}; returns once every record is acknowledged. Throws a
     * {@link RequestSendException} naming the first record that failed and Kafka's reason; records not yet sent then
     * are dropped.
     */
    public static void send(String bootstrapServers, Properties clientProperties, String topic, List<String> keys,
                            List<byte[]> values) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        AtomicReference<RequestSendException> failure = new AtomicReference<>();
        KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            for (int i = 0; i < keys.size() && failure.get() == null; i++) {
                String key = keys.get(i);
                int number = i + 1;
                producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), values.get(i)),
                        (metadata, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, new RequestSendException("request " + number + " (key "
                                        + key + ") could not be written to topic " + topic + " at " + bootstrapServers
                                        + ": " + error.getClass().getSimpleName() + ": " + error.getMessage(), error));
                            }
                        });
            }
            if (failure.get() == null) {
                producer.flush();
            }
        } finally {
            // After a failure nothing still buffered is worth waiting for.
            producer.close(failure.get() == null ? Duration.ofMillis(Long.MAX_VALUE) : Duration.ZERO);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
