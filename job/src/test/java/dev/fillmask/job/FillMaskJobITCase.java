package dev.fillmask.job;

import dev.fillmask.job.kafka.DeadLetterEncoder;
import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.RequestFeeder;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.testing.SharedBuiltInModels;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.job.kafka.AnswerHeaders;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.fillmask.job.kafka.AnsweredRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole job on a Flink MiniCluster (one TaskManager, two slots) against a real KRaft broker in this JVM, with the
 * real default model: every request gets exactly one answer (read_committed), equal to {@code ./fill-mask predict}'s;
 * every error answer also has its dead letter; and a failure after answers were committed loses and repeats nothing.
 * The built-in multilingual model, chosen by its name, serves the job the same way.
 */
class FillMaskJobITCase {
    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestJobs.miniCluster(PARALLELISM);

    private static EmbeddedKafka kafka;
    private static Path model;

    @BeforeAll
    static void start() {
        model = SharedDefaultModel.path();
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Options for a job on topics of its own (prefixed {@code name}). */
    private static Configuration options(String name) {
        Configuration options = TestJobs.options(kafka, name, model, PARALLELISM);
        TestJobs.createTopics(kafka, options, PARALLELISM, PARALLELISM);
        return options;
    }

    private static JobClient startJob(Configuration options, FailOnceWhenArmed failure) throws Exception {
        return TestJobs.start(options, new Configuration(), answered -> {
            if (failure != null) {
                // A step beside the sinks, chained into the same task: when it throws, the sinks' task fails with it.
                answered.map(failure).name("fail-once").uid("fail-once").sinkTo(new DiscardingSink<>()).name("discard");
            }
        });
    }

    private static List<String> keys(String run, int n) {
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(run + "-" + i);
        }
        return keys;
    }

    @Test
    void everyRequestGetsExactlyOneAnswerEqualToPredictsAndErrorsGetDeadLetters() throws Exception {
        Configuration options = options("mixed");
        List<byte[]> values = MixedRequests.of(240);
        List<String> keys = keys("mixed", values.size());
        JobClient job = startJob(options, null);
        try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                options.get(FillMaskOptions.OUTPUT_TOPIC));
             AnswerCollector deadLetters = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                     options.get(FillMaskOptions.DEAD_LETTER_TOPIC))) {
            RequestFeeder.send(kafka.bootstrapServers(), new Properties(), options.get(FillMaskOptions.INPUT_TOPIC),
                    keys, values);
            Set<String> awaited = new LinkedHashSet<>(keys);
            assertTrue(answers.awaitKeys(awaited, Duration.ofMinutes(5), () -> false, n -> {}),
                    "answered only " + answers.answersByKey().size() + " of " + keys.size());
            answers.drain(awaited, Duration.ofSeconds(2));
            assertEquals(keys.size(), answers.records().size(), "exactly one answer per request");

            List<String> expected = PredictReference.answers(model, values);
            FillMaskCodec codec = new FillMaskCodec();
            Set<String> errorKeys = new LinkedHashSet<>();
            for (int i = 0; i < keys.size(); i++) {
                String answer = answers.answersByKey().get(keys.get(i));
                assertEquals(expected.get(i), answer, "request " + i + ": " + text(values.get(i)));
                if (codec.readAnswer(answer).isError()) {
                    errorKeys.add(keys.get(i));
                }
            }
            assertTrue(errorKeys.size() >= 15, "the mix has errors of every kind: " + errorKeys.size());

            assertTrue(deadLetters.awaitKeys(errorKeys, Duration.ofMinutes(1), () -> false, n -> {}));
            deadLetters.drain(errorKeys, Duration.ofSeconds(1));
            assertEquals(errorKeys.size(), deadLetters.records().size(), "one dead letter per error answer");
            Map<String, Integer> indexByKey = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                indexByKey.put(keys.get(i), i);
            }
            for (ConsumerRecord<byte[], byte[]> letter : deadLetters.records()) {
                int i = indexByKey.get(new String(letter.key(), StandardCharsets.UTF_8));
                assertTrue(java.util.Arrays.equals(values.get(i), letter.value()), "the original value, untouched");
                assertEquals(options.get(FillMaskOptions.INPUT_TOPIC), header(letter, DeadLetterEncoder.HEADER_TOPIC));
                assertTrue(header(letter, DeadLetterEncoder.HEADER_OFFSET).matches("\\d+"));
                String why = header(letter, DeadLetterEncoder.HEADER_MESSAGE);
                FillMaskAnswer answer = codec.readAnswer(expected.get(i));
                assertEquals(((FillMaskAnswer.Error) answer).message(), why);
            }
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theMultilingualModelChosenByNameAnswersInEveryLanguageAsPredictDoes() throws Exception {
        Path multilingual = SharedBuiltInModels.path(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED);
        Configuration options = options("multilingual");
        options.set(FillMaskOptions.MODEL, BuiltInModel.BERT_BASE_MULTILINGUAL_CASED.modelName());
        List<byte[]> values = new ArrayList<>();
        for (String request : List.of(
                "{\"inputs\":\"Berlin ist die [MASK] von Deutschland.\"}",
                "{\"inputs\":\"Paris est la [MASK] de la France.\",\"parameters\":{\"top_k\":3}}",
                "{\"inputs\":\"東京は日本の[MASK]です。\"}",
                "{\"inputs\":\"Madrid es la [MASK] de España.\",\"parameters\":{\"targets\":[\"capital\",\"ciudad\"]}}",
                "{\"inputs\":\"Москва — [MASK] России.\"}",
                "{\"inputs\":\"Roma è la [MASK] d'Italia e [MASK] è il Tevere.\",\"parameters\":{\"top_k\":2}}",
                "{\"inputs\":\"Hello I'm a [MASK] model.\"}",
                "{\"inputs\":\"no mask in this one\"}")) {
            values.add(request.getBytes(StandardCharsets.UTF_8));
        }
        List<String> keys = keys("multilingual", values.size());
        JobClient job = startJob(options, null);
        try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                options.get(FillMaskOptions.OUTPUT_TOPIC))) {
            RequestFeeder.send(kafka.bootstrapServers(), new Properties(), options.get(FillMaskOptions.INPUT_TOPIC),
                    keys, values);
            Set<String> awaited = new LinkedHashSet<>(keys);
            assertTrue(answers.awaitKeys(awaited, Duration.ofMinutes(5), () -> false, n -> {}),
                    "answered only " + answers.answersByKey().size() + " of " + keys.size());
            List<String> expected = PredictReference.answers(multilingual, values);
            for (int i = 0; i < keys.size(); i++) {
                assertEquals(expected.get(i), answers.answersByKey().get(keys.get(i)), "request " + i + ": " + text(values.get(i)));
            }
            // And the words themselves, as an independent conversion of the same weights gives them.
            assertTrue(answers.answersByKey().get(keys.get(0)).startsWith(
                    "[{\"sequence\":\"Berlin ist die Hauptstadt von Deutschland.\",\"score\":0.94"), answers.answersByKey().get(keys.get(0)));
            for (ConsumerRecord<byte[], byte[]> record : answers.records()) {
                assertEquals(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED.modelName(), header(record, AnswerHeaders.HEADER_MODEL));
            }
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFailureAfterAnswersWereCommittedLosesNothingAndRepeatsNothing() throws Exception {
        Configuration options = options("failover");
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            values.add(("{\"inputs\": \"request number " + i + " is about the [MASK].\", \"parameters\": {\"top_k\": 1}}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        List<String> keys = keys("failover", values.size());
        int half = values.size() / 2;
        FailOnceWhenArmed.reset();
        JobClient job = startJob(options, new FailOnceWhenArmed());
        try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                options.get(FillMaskOptions.OUTPUT_TOPIC))) {
            String input = options.get(FillMaskOptions.INPUT_TOPIC);
            RequestFeeder.send(kafka.bootstrapServers(), new Properties(), input, keys.subList(0, half),
                    values.subList(0, half));
            Set<String> firstHalf = new LinkedHashSet<>(keys.subList(0, half));
            assertTrue(answers.awaitKeys(firstHalf, Duration.ofMinutes(5), () -> false, n -> {}),
                    "answered only " + answers.answersByKey().size() + " of the first " + half);
            // Committed (a read_committed consumer sees them), so a checkpoint completed after these answers.
            assertEquals(half, answers.answersByKey().size(), "the first half's answers, visible before the failure");
            assertFalse(FailOnceWhenArmed.FAILED.get(), "nothing failed yet");

            FailOnceWhenArmed.ARMED.set(true);
            RequestFeeder.send(kafka.bootstrapServers(), new Properties(), input, keys.subList(half, keys.size()),
                    values.subList(half, values.size()));
            Set<String> awaited = new LinkedHashSet<>(keys);
            assertTrue(answers.awaitKeys(awaited, Duration.ofMinutes(5), () -> false, n -> {}),
                    "answered only " + answers.answersByKey().size() + " of " + keys.size());
            answers.drain(awaited, Duration.ofSeconds(3));
            assertTrue(FailOnceWhenArmed.FAILED.get(), "the job failed once, after answers had been committed");
            assertEquals(keys.size(), answers.records().size(),
                    "each answer exactly once across the failure (duplicates: "
                            + (answers.records().size() - answers.answersByKey().size()) + ")");
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /** Throws once, at the first record it sees after the test armed it (the MiniCluster runs in this JVM). */
    static final class FailOnceWhenArmed implements MapFunction<AnsweredRecord, AnsweredRecord> {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean FAILED = new AtomicBoolean();

        static void reset() {
            ARMED.set(false);
            FAILED.set(false);
        }

        @Override
        public AnsweredRecord map(AnsweredRecord record) {
            if (ARMED.get() && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure (test)");
            }
            return record;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String text(byte[] value) {
        return value == null ? "(tombstone)" : new String(value, StandardCharsets.UTF_8);
    }
}
