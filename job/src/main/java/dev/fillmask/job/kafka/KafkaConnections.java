package dev.fillmask.job.kafka;

import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.udf.ModelChange;
import dev.fillmask.udf.ModelStatus;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The job's Kafka source and sinks, made from the job's options. */
public final class KafkaConnections {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnections.class);
    /** How soon the control source sees a control topic created after the job started. */
    private static final Duration CONTROL_TOPIC_DISCOVERY = Duration.ofSeconds(10);
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

    /** The control topic's name, or empty when swapping is off ({@code --control-topic} empty). */
    public Optional<String> controlTopic() {
        return Optional.ofNullable(options.get(FillMaskOptions.CONTROL_TOPIC)).map(String::trim).filter(s -> !s.isEmpty());
    }

    /**
     * The model changes of the control topic, from the job's start on: a job without a checkpoint reads from the
     * topic's end ({@code latest}), so it serves its {@code --model} and only swaps sent after it started; a restored
     * job resumes at the offsets of its checkpoint, whose state holds the model it served then, so swaps sent while
     * it was stopped are not lost. (From the earliest offset, a new job would replay every swap ever sent, loading
     * each model in turn, and overrule the {@code --model} it was started with.) The topic is subscribed to by
     * pattern, so a missing control topic is no error: once created it is found within seconds, read from its start.
     */
    public KafkaSource<ModelChange> controlSource() {
        String topic = controlTopic().orElseThrow(() -> new IllegalStateException("no control topic"));
        Properties consumer = new Properties();
        consumer.putAll(clientProperties);
        consumer.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // The job's checkpoints hold the control offsets; nothing outside needs them committed.
        consumer.put(KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT.key(), "false");
        consumer.putIfAbsent(KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS.key(),
                Long.toString(CONTROL_TOPIC_DISCOVERY.toMillis()));
        return KafkaSource.<ModelChange>builder()
                .setBootstrapServers(bootstrapServers())
                .setTopicPattern(Pattern.compile(Pattern.quote(topic)))
                .setGroupId(options.get(FillMaskOptions.GROUP_ID) + "-control")
                .setStartingOffsets(OffsetsInitializer.latest())
                .setProperties(consumer)
                .setDeserializer(new ModelChangeDecoder())
                .build();
    }

    /**
     * The statuses of model swaps, written at once (at-least-once, no transaction): the swap command and an operator
     * read them while the swap happens, not a checkpoint later. After a failure a swap may be done, and reported,
     * again.
     */
    public KafkaSink<ModelStatus> statusSink() {
        Properties producer = new Properties();
        producer.putAll(clientProperties);
        return KafkaSink.<ModelStatus>builder()
                .setBootstrapServers(bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new ModelStatusEncoder(options.get(FillMaskOptions.STATUS_TOPIC)))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }

    /**
     * Creates the control and status topics with one partition each if they are missing (one partition keeps the
     * swaps in order), so that a swap's status can be written even where the broker does not create topics itself.
     * Where the job may not create topics, it says so and goes on: swapping then waits for the topics to exist.
     */
    public void ensureSwapTopics() {
        if (controlTopic().isEmpty()) {
            return;
        }
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            for (String topic : List.of(controlTopic().get(), options.get(FillMaskOptions.STATUS_TOPIC))) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                            .all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        LOG.warn("fill-mask: cannot create the topic {} ({}); model swaps need it: create it with "
                                + "one partition", topic, e.getCause().getMessage());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
            LOG.warn("fill-mask: cannot create the control and status topics ({}); model swaps need them", e.toString());
        }
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
