package dev.fillmask.job.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feeder against a real broker (KRaft, in this JVM): a record the broker refuses ends the feed with its reason. */
class RequestFeederITCase {
    private static final int TOPIC_MAX_MESSAGE_BYTES = 1024;

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(
                    new NewTopic("small-records", 1, (short) 1)
                            .configs(Map.of("max.message.bytes", Integer.toString(TOPIC_MAX_MESSAGE_BYTES))),
                    new NewTopic("requests", 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aRecordTheBrokerRefusesEndsTheFeedNamingItAndKafkasReason() {
        byte[] small = "{\"inputs\": \"a [MASK].\"}".getBytes(StandardCharsets.UTF_8);
        byte[] tooLarge = new byte[4 * TOPIC_MAX_MESSAGE_BYTES];
        Arrays.fill(tooLarge, (byte) 'x');
        RequestSendException e = assertThrows(RequestSendException.class, () -> RequestFeeder.send(
                kafka.bootstrapServers(), new Properties(), "small-records", List.of("k-1", "k-2", "k-3"),
                List.of(small, tooLarge, small)));
        assertTrue(e.getMessage().startsWith("request 2 (key k-2) could not be written to topic small-records at "
                + kafka.bootstrapServers() + ": RecordTooLargeException: "), e.getMessage());
        assertInstanceOf(RecordTooLargeException.class, e.getCause());
    }

    @Test
    void recordsTheBrokerTakesAreAllAcknowledged() {
        List<String> keys = List.of("a", "b", "c");
        byte[] value = "{\"inputs\": \"a [MASK].\"}".getBytes(StandardCharsets.UTF_8);
        RequestFeeder.send(kafka.bootstrapServers(), new Properties(), "requests", keys, List.of(value, value, value));
        try (AnswerCollector read = new AnswerCollector(kafka.bootstrapServers(), new Properties(), "requests")) {
            assertTrue(read.awaitKeys(new java.util.LinkedHashSet<>(keys), java.time.Duration.ofSeconds(30),
                    () -> false, n -> {}));
            assertEquals(3, read.records().size());
        }
    }
}
