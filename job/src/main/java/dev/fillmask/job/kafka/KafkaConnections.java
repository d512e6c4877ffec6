package dev.fillmask.job.kafka;

import dev.fillmask.job.FillMaskOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/** The job's Kafka source and sinks, made from the job's options. */
public final class KafkaConnections {
    /**
     * Longer than the longest time between a transaction's start and its commit (checkpoint interval plus restart),
     * and no longer than the broker's transaction.max.timeout.ms (15 minutes by default).
     */
    private static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    private final Configuration options;
    private final Properties clientProperties;

    public KafkaConnections(Configuration options) {
        this.options = options;
        this.clientProperties = clientPropertiesOf(options);
    }

    public String bootstrapServers() {
        return options.getOptional(FillMaskOptions.BOOTSTRAP_SERVERS)
                .filter(s -> !s.isBlank())
                .orElseThrow(() -> new IllegalArgumentException("no Kafka broker given: set --"
                        + FillMaskOptions.flagName(FillMaskOptions.BOOTSTRAP_SERVERS) + " HOST:PORT"));
    }

    public KafkaSource<KafkaRecord> source() {
        OffsetsInitializer start = switch (options.get(FillMaskOptions.STARTING_OFFSETS)) {
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
        };
        Properties consumer = new Properties();
        consumer.putAll(clientProperties);
        // Requests are only read once their producer committed them (a transactional upstream job).
        consumer.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(bootstrapServers())
                .setTopics(options.get(FillMaskOptions.INPUT_TOPIC))
                .setGroupId(options.get(FillMaskOptions.GROUP_ID))
                .setStartingOffsets(start)
                .setProperties(consumer)
                .setDeserializer(new KafkaRecordDecoder())
                .build();
    }

    public KafkaSink<AnsweredRecord> answerSink() {
        return sink(new AnswerEncoder(options.get(FillMaskOptions.OUTPUT_TOPIC)), "answers");
    }

    public KafkaSink<AnsweredRecord> deadLetterSink() {
        return sink(new DeadLetterEncoder(options.get(FillMaskOptions.DEAD_LETTER_TOPIC), recordLimit()), "dead-letters");
    }

    /** The largest record the sinks' producers can send (their max.request.size, from --kafka-properties). */
    public RecordSizeLimit recordLimit() {
        return RecordSizeLimit.of(clientProperties);
    }

    private KafkaSink<AnsweredRecord> sink(KafkaRecordSerializationSchema<AnsweredRecord> encoder, String role) {
        Properties producer = new Properties();
        producer.putAll(clientProperties);
        producer.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                Long.toString(TRANSACTION_TIMEOUT.toMillis()));
        // Answers carry whole candidate lists; batch them a little for throughput. No compression by default: the
        // CPU is the model's (a client can set compression.type in --kafka-properties).
        producer.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        boolean exactlyOnce = options.get(FillMaskOptions.DELIVERY_GUARANTEE)
                == FillMaskOptions.DeliveryGuarantee.EXACTLY_ONCE;
        return KafkaSink.<AnsweredRecord>builder()
                .setBootstrapServers(bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(encoder)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                // Two sinks in one job: each needs transactional ids of its own.
                .setTransactionalIdPrefix(options.get(FillMaskOptions.TRANSACTIONAL_ID_PREFIX) + "-" + role)
                .build();
    }

    /** The pass-through client settings of {@code --kafka-properties}, empty when none. */
    public static Properties clientPropertiesOf(Configuration options) {
        Properties properties = new Properties();
        options.getOptional(FillMaskOptions.KAFKA_PROPERTIES).filter(s -> !s.isBlank()).ifPresent(file -> {
            Path path = Path.of(file);
            try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the Kafka client properties file " + path.toAbsolutePath()
                        + " (--" + FillMaskOptions.flagName(FillMaskOptions.KAFKA_PROPERTIES) + "): " + e.getMessage(), e);
            }
        });
        return properties;
    }
}
