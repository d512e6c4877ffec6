package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.JobArguments;
import dev.fillmask.job.kafka.KafkaConnections;
import dev.fillmask.udf.ModelChange;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./fill-mask swap MODEL}: sends a running job the order to serve another model (a control record), then waits
 * for each subtask's status record and prints them.
 */
final class SwapCommand {
    static final String SUMMARY = """
            Tells a running job to serve another model, without a restart: writes {"model": MODEL, "version": V}
            to the job's control topic. Every subtask loads MODEL (a model folder, the same path on every
            TaskManager) beside the model it serves, and serves it from its next batch on; a model that cannot be
            loaded leaves the old one serving. Then prints each subtask's status record (JSON, one line each:
            outcome swapped, failed or rejected, and why) as it arrives, until every subtask has reported or --wait
            has passed. Exit status 0 when every subtask swapped, 1 otherwise.""";

    private static final List<org.apache.flink.configuration.ConfigOption<?>> SHARED = List.of(
            FillMaskOptions.BOOTSTRAP_SERVERS, FillMaskOptions.CONTROL_TOPIC, FillMaskOptions.STATUS_TOPIC,
            FillMaskOptions.KAFKA_PROPERTIES);

    static final List<CommandLine.Option> OPTIONS = Stream.concat(JobArguments.options(SHARED).stream(), Stream.of(
            new CommandLine.Option("version", "HEX", "the version MODEL must have: the 16 hex digits of the answers' "
                    + "fill-mask.model.version header, or its first 8 or more (a folder with other files fails)", null),
            new CommandLine.Option("wait", "DURATION", "how long to wait for the status records (0: do not wait)",
                    "60 s"))).toList();

    private static final ObjectMapper JSON = new ObjectMapper();

    private SwapCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        CommandLine cli = new CommandLine("swap", SUMMARY, OPTIONS).withArguments("MODEL", 1).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (cli.arguments().size() != 1) {
            throw new CommandLine.UsageException("give one MODEL (a model folder, the same path on every TaskManager)"
                    + ", got " + cli.arguments().size());
        }
        Configuration options = JobArguments.toConfiguration(cli, SHARED);
        KafkaConnections kafka = new KafkaConnections(options);
        String bootstrap = kafka.bootstrapServers();
        String controlTopic = kafka.controlTopic().orElseThrow(() -> new CommandLine.UsageException(
                "--" + FillMaskOptions.flagName(FillMaskOptions.CONTROL_TOPIC) + " is empty"));
        String statusTopic = options.get(FillMaskOptions.STATUS_TOPIC);
        Duration wait;
        try {
            wait = TimeUtils.parseDuration(cli.get("wait"));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException("--wait: cannot read '" + cli.get("wait") + "' as a duration");
        }

        String id = "swap-" + UUID.randomUUID().toString().substring(0, 8);
        ObjectNode value = JSON.createObjectNode().put(ModelChange.FIELD_MODEL, cli.arguments().get(0));
        if (cli.has("version")) {
            value.put(ModelChange.FIELD_VERSION, cli.get("version"));
        }
        byte[] record = value.toString().getBytes(StandardCharsets.UTF_8);
        // The job's own reading of the record: what it would reject is refused here, before it is sent.
        ModelChange change = ModelChange.fromJson(id, record);
        if (!change.isValid()) {
            throw new CommandLine.UsageException(change.invalid());
        }
        Properties client = KafkaConnections.clientPropertiesOf(options);
        try (StatusReader statuses = wait.isZero() ? null : new StatusReader(bootstrap, client, statusTopic)) {
            send(bootstrap, client, controlTopic, id, record);
            err.println("fill-mask: sent " + new String(record, StandardCharsets.UTF_8) + " to topic " + controlTopic
                    + " at " + bootstrap + " (id " + id + ")");
            if (statuses == null) {
                return 0;
            }
            err.println("fill-mask: waiting up to " + TimeUtils.formatWithHighestUnit(wait)
                    + " for the subtasks' status records on topic " + statusTopic);
            return statuses.printUntilDone(id, wait, out, err, controlTopic);
        }
    }

    private static void send(String bootstrap, Properties client, String topic, String key, byte[] value)
            throws Exception {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))
                    .get(60, TimeUnit.SECONDS);
        }
    }

    /** The status topic from its end as it was before the control record was sent. */
    private static final class StatusReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final boolean topicExists;

        StatusReader(String bootstrap, Properties client, String topic) {
            Properties props = new Properties();
            props.putAll(client);
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            topicExists = !partitions.isEmpty();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // the end now, before the swap is sent
        }

        int printUntilDone(String id, Duration wait, PrintStream out, PrintStream err, String controlTopic)
                throws IOException {
            long deadline = System.nanoTime() + wait.toNanos();
            Set<Integer> reported = new HashSet<>();
            int subtasks = Integer.MAX_VALUE;
            boolean allSwapped = true;
            while (reported.size() < subtasks && System.nanoTime() < deadline && topicExists) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null || !id.equals(new String(record.key(), StandardCharsets.UTF_8))) {
                        continue;
                    }
                    JsonNode status = JSON.readTree(record.value());
                    if (reported.add(status.path("subtask").asInt())) {
                        out.println(new String(record.value(), StandardCharsets.UTF_8));
                        out.flush();
                        subtasks = status.path("subtasks").asInt(1);
                        allSwapped &= "swapped".equals(status.path("outcome").asText());
                    }
                }
            }
            if (reported.isEmpty()) {
                err.println("fill-mask: no status record came" + (topicExists ? " within the wait" : ": the status "
                        + "topic does not exist") + ". Is a job running on control topic " + controlTopic + "? A job "
                        + "reads the swaps sent after it started; it may still be loading the model.");
                return 1;
            }
            if (reported.size() < subtasks) {
                err.println("fill-mask: " + reported.size() + " of " + subtasks + " subtasks reported within the wait;"
                        + " the others may still be loading");
                return 1;
            }
            err.println("fill-mask: " + (allSwapped ? "every subtask swapped" : "not every subtask swapped (see the "
                    + "records above); those serve their old model"));
            return allSwapped ? 0 : 1;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
