package dev.fillmask.gateway.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * Produces requests to the job's input topic, each under its key, with the reply header and the caller's trace
 * headers. Idempotent, acknowledged by all in-sync replicas: a request the gateway says it sent is in the topic once.
 */
public final class RequestSender implements AutoCloseable {
    /**
     * The header every request of a gateway carries: the key prefix its answers come back under, on the output
     * topic. For people and tools reading the topics; the gateway itself routes on the key, so it works whatever
     * headers the job copies ({@code --answer-headers}).
     */
    public static final String HEADER_REPLY_TO = "fill-mask.reply-to";

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final byte[] replyTo;

    public RequestSender(String bootstrapServers, Properties clientProperties, String topic, String keyPrefix) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "fill-mask-gateway-" + keyPrefix.replaceAll("[^A-Za-z0-9-]", ""));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // A few requests arriving together leave in one produce request; 1 ms is nothing next to an inference.
        props.put(ProducerConfig.LINGER_MS_CONFIG, "1");
        // A broker that is gone fails the request within the caller's patience, not after a minute.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.replyTo = keyPrefix.getBytes(StandardCharsets.UTF_8);
    }

    /** Sends one request; the future fails with a 503 {@link GatewayException} when Kafka does not take it. */
    public CompletableFuture<Void> send(String key, byte[] value, List<Header> headers) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
        for (Header header : headers) {
            record.headers().add(header);
        }
        record.headers().add(HEADER_REPLY_TO, replyTo);
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    sent.complete(null);
                } else {
                    sent.completeExceptionally(refused(error));
                }
            });
        } catch (RuntimeException e) {
            sent.completeExceptionally(refused(e));
        }
        return sent;
    }

    private GatewayException refused(Throwable error) {
        return new GatewayException(503, "could not hand the request to Kafka (topic " + topic + "): "
                + error.getMessage());
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
