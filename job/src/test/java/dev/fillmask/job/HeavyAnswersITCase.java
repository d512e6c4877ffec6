package dev.fillmask.job;

import dev.fillmask.job.kafka.AnswerHeaders;
import dev.fillmask.job.kafka.DeadLetterEncoder;
import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.reliability.ResultsFile;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.model.ModelVersion;
import dev.fillmask.engine.testing.SharedDefaultModel;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Valid requests with heavy answers, and records whose key or headers are too large for any record, between good
 * requests, through the real job (MiniCluster with no restart strategy, in-JVM broker, the real model): each gets
 * exactly one answer; each answer too large becomes an error with a dead letter; the good answers and those within
 * the bound are what {@code predict} gives (both paths apply the same bound); and the job never fails. Before the
 * bound, the first of these made the answer sink fail, and the job restart and fail again for ever. Headers ride
 * along: a traced request's (repeated and binary ones too) come back on its answer unchanged, every answer names the
 * model, and the answer to the record with oversized headers leaves them out, saying how many bytes.
 */
class HeavyAnswersITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = NoRestartJob.miniCluster();

    private static final int BIG = 1_200_000;
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    /** Heavy-but-valid request values, by name: each must be answered, within the bound or by an error. */
    private static Map<String, byte[]> heavy() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("the whole vocabulary on one mask", json("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 30522}}"));
        m.put("15,000 candidates (refused by exact size)",
                json("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 15000}}"));
        m.put("5,000 candidates (within the bound)",
                json("{\"inputs\": \"paris is the [MASK] of france.\", \"parameters\": {\"top_k\": 5000}}"));
        m.put("20 masks x top_k 3,000",
                json("{\"inputs\": \"" + "the [MASK] ".repeat(20) + "\", \"parameters\": {\"top_k\": 3000}}"));
        m.put("a long input x top_k 2,000", json("{\"inputs\": \"" + "the quick brown fox jumps over the lazy dog . "
                .repeat(40) + "[MASK] .\", \"parameters\": {\"top_k\": 2000}}"));
        StringBuilder targets = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            // Numbers: most of 0-999 are whole tokens of the vocabulary, so they stay distinct targets.
            targets.append(i == 0 ? "" : ", ").append('"').append(i).append('"');
        }
        m.put("64 masks x 1,000 targets", json("{\"inputs\": \"" + "[MASK] ".repeat(64)
                + "\", \"parameters\": {\"top_k\": 1000, \"targets\": [" + targets + "]}}"));
        return m;
    }

    @Test
    void heavyAnswersAndOversizedKeysOrHeadersAreAnsweredOnceWithoutStoppingTheJob() throws Exception {
        Path model = SharedDefaultModel.path();
        Map<String, byte[]> heavy = heavy();
        List<byte[]> good = HostileRecords.good(heavy.size() + 2);

        // key -> value, in the order sent: a good request before and after every heavy one.
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        int g = 0;
        for (Map.Entry<String, byte[]> e : heavy.entrySet()) {
            keys.add("good-" + g);
            values.add(good.get(g++));
            keys.add(e.getKey());
            values.add(e.getValue());
        }
        keys.add("good-" + g);
        values.add(good.get(g));
        List<String> expected = PredictReference.answers(model, values);

        byte[] bigKey = new byte[BIG];
        java.util.Arrays.fill(bigKey, (byte) 'k');
        String bigKeyStandIn = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bigKey));
        byte[] noMask = json("{\"inputs\": \"no mask in this one\"}");
        byte[] bigHeader = new byte[BIG];
        List<Header> traced = List.of(new RecordHeader("traceparent", utf8(TRACEPARENT)),
                new RecordHeader("tracestate", utf8("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")),
                new RecordHeader("x-correlation-id", utf8("first")), new RecordHeader("x-bin", new byte[] {0, -1, 10}),
                new RecordHeader("x-correlation-id", utf8("second")));
        String modelVersion = ModelVersion.of(model);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            NoRestartJob job = NoRestartJob.start(kafka, model);
            Configuration options = job.options();
            String in = job.inputTopic();
            long start = System.nanoTime();
            try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                    options.get(FillMaskOptions.OUTPUT_TOPIC));
                 AnswerCollector deadLetters = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                         options.get(FillMaskOptions.DEAD_LETTER_TOPIC));
                 KafkaProducer<byte[], byte[]> producer = bigProducer(kafka.bootstrapServers())) {
                for (int i = 0; i < keys.size(); i++) {
                    ProducerRecord<byte[], byte[]> request = new ProducerRecord<>(in, utf8(keys.get(i)), values.get(i));
                    if (i == 0) {
                        traced.forEach(h -> request.headers().add(h));
                    }
                    producer.send(request).get();
                }
                producer.send(new ProducerRecord<>(in, bigKey, good.get(0))).get();
                ProducerRecord<byte[], byte[]> withBigHeader = new ProducerRecord<>(in, utf8("big-header"), noMask);
                withBigHeader.headers().add("traceparent", utf8(TRACEPARENT));
                withBigHeader.headers().add("x-big", bigHeader);
                producer.send(withBigHeader).get();

                Set<String> awaited = new LinkedHashSet<>(keys);
                awaited.add(bigKeyStandIn);
                awaited.add("big-header");
                boolean all = answers.awaitKeys(awaited, Duration.ofMinutes(5),
                        () -> job.status().isGloballyTerminalState(), n -> {});
                assertTrue(all, "answered " + answers.answersByKey().keySet() + " of " + awaited + "; job "
                        + job.status());
                answers.drain(awaited, Duration.ofSeconds(2));
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(awaited.size(), answers.records().size(), "exactly one answer per input record");

                FillMaskCodec codec = new FillMaskCodec();
                Set<String> errorKeys = new LinkedHashSet<>();
                List<List<String>> rows = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    String answer = answers.answersByKey().get(keys.get(i));
                    assertEquals(expected.get(i), answer, "the job answers as predict does: " + keys.get(i));
                    assertTrue(utf8(answer).length < 1 << 20, "every answer fits a default producer request");
                    FillMaskAnswer read = codec.readAnswer(answer);
                    if (read.isError()) {
                        errorKeys.add(keys.get(i));
                    }
                    if (heavy.containsKey(keys.get(i))) {
                        rows.add(List.of(keys.get(i), String.format("%,d B", utf8(answer).length),
                                read instanceof FillMaskAnswer.Error e ? "error + dead letter: " + e.message() : "answered"));
                    }
                }
                assertEquals(Set.of("the whole vocabulary on one mask", "15,000 candidates (refused by exact size)",
                        "20 masks x top_k 3,000", "a long input x top_k 2,000", "64 masks x 1,000 targets"), errorKeys);
                assertTrue(answers.answersByKey().get("15,000 candidates (refused by exact size)")
                        .matches(".*would be [0-9,]+ bytes \\(1 mask x 15,000 candidates.*"));

                // The oversized key: an error answer under the key's hash, with headers to match it by.
                String keyAnswer = answers.answersByKey().get(bigKeyStandIn);
                assertTrue(keyAnswer.contains("the request's key is 1,200,000 bytes"), keyAnswer);
                ConsumerRecord<byte[], byte[]> keyRecord = answers.records().stream()
                        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(bigKeyStandIn)).findFirst().orElseThrow();
                assertEquals(bigKeyStandIn.substring(7), text(keyRecord.headers().lastHeader("fill-mask.key.sha256")));
                errorKeys.add(bigKeyStandIn);
                // The oversized headers: the request's own error, as usual, without the copied headers.
                assertTrue(answers.answersByKey().get("big-header").contains("No mask_token"));
                ConsumerRecord<byte[], byte[]> bigHeaderAnswer = answerRecord(answers, "big-header");
                assertNull(bigHeaderAnswer.headers().lastHeader("x-big"));
                assertNull(bigHeaderAnswer.headers().lastHeader("traceparent"));
                assertEquals(Integer.toString("traceparent".length() + TRACEPARENT.length() + "x-big".length() + BIG),
                        text(bigHeaderAnswer.headers().lastHeader(AnswerHeaders.HEADER_HEADERS_OMITTED)));

                // A traced request's headers come back on its answer unchanged, in order; every answer names the model.
                List<Header> back = new ArrayList<>(List.of(answerRecord(answers, "good-0").headers().toArray()));
                assertEquals(traced.size() + 2, back.size(), "the request's headers and the model's: " + back);
                for (int i = 0; i < traced.size(); i++) {
                    assertEquals(traced.get(i).key(), back.get(i).key());
                    assertArrayEquals(traced.get(i).value(), back.get(i).value(), traced.get(i).key());
                }
                for (ConsumerRecord<byte[], byte[]> answer : answers.records()) {
                    assertEquals(model.getFileName().toString(),
                            text(answer.headers().lastHeader(AnswerHeaders.HEADER_MODEL)));
                    assertEquals(modelVersion, text(answer.headers().lastHeader(AnswerHeaders.HEADER_MODEL_VERSION)));
                }
                errorKeys.add("big-header");

                assertTrue(deadLetters.awaitKeys(errorKeys, Duration.ofMinutes(1), () -> false, n -> {}),
                        "dead letters for " + errorKeys + ", got " + deadLetters.answersByKey().keySet());
                deadLetters.drain(errorKeys, Duration.ofSeconds(1));
                assertEquals(errorKeys.size(), deadLetters.records().size(), "one dead letter per error answer");
                for (ConsumerRecord<byte[], byte[]> letter : deadLetters.records()) {
                    String key = new String(letter.key(), StandardCharsets.UTF_8);
                    assertNotNull(letter.headers().lastHeader(DeadLetterEncoder.HEADER_MESSAGE));
                    if (key.equals(bigKeyStandIn)) {
                        assertEquals("1200000", text(letter.headers().lastHeader("fill-mask.key.omitted.bytes")));
                        assertArrayEquals(good.get(0), letter.value(), "the value is kept when only the key is too large");
                    } else if (key.equals("big-header")) {
                        assertNull(letter.headers().lastHeader("x-big"), "the oversized headers are left out");
                        assertNotNull(text(letter.headers().lastHeader(DeadLetterEncoder.HEADER_HEADERS_OMITTED)));
                        assertArrayEquals(noMask, letter.value(), "the value is kept when only the headers are too large");
                    } else {
                        assertArrayEquals(values.get(keys.indexOf(key)), letter.value(), "the original value: " + key);
                    }
                }
                assertEquals(JobStatus.RUNNING, job.status(), "the job never failed (it has no restarts)");

                rows.add(List.of("a 1,200,000-byte key", "-", "error under key sha256:<hex> + dead letter without the key"));
                rows.add(List.of("a 1,200,000-byte header, no mask", "-",
                        "error without the copied headers + dead letter without the headers"));
                new ResultsFile("heavy-answers", "Heavy answers (HeavyAnswersITCase)")
                        .paragraph(String.format(java.util.Locale.ROOT, "%d records in, %d answers out, each answered "
                                + "once, %d error answers, %d dead letters, 0 job failures, %.1f s.", awaited.size(),
                                answers.records().size(), errorKeys.size(), deadLetters.records().size(), seconds))
                        .table(List.of("record", "answer size", "answer"), rows)
                        .write();
            } finally {
                job.close();
            }
        }
    }

    private static ConsumerRecord<byte[], byte[]> answerRecord(AnswerCollector answers, String key) {
        return answers.records().stream()
                .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(key)).findFirst().orElseThrow();
    }

    private static KafkaProducer<byte[], byte[]> bigProducer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(16 << 20));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static String text(Header header) {
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] json(String s) {
        return utf8(s);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
