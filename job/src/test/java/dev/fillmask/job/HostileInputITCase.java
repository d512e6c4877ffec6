package dev.fillmask.job;

import dev.fillmask.job.kafka.RecordSizeLimit;
import dev.fillmask.job.kafka.DeadLetterEncoder;
import dev.fillmask.job.kafka.KafkaRecord;
import dev.fillmask.job.kafka.AnswerHeaders;
import dev.fillmask.job.kafka.KafkaRequests;
import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.RequestFeeder;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.SharedDefaultModel;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input in bulk through the real job (MiniCluster, in-JVM KRaft broker, the real model), mixed with good
 * requests: every input record gets exactly one answer; every error answer has its dead letter with the original
 * value; the good answers are those the good requests get alone; and the job never restarts (it runs with no
 * restart strategy, so any failure would end it). Size: {@code -Dhostile.rounds=N} repeats the hostile set N times
 * (1 in the suite; deploy/scripts/hostile-input.sh runs a longer one). Writes target/reliability/hostile-input.md.
 */
class HostileInputITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = NoRestartJob.miniCluster();

    @Test
    void everyRecordIsAnsweredOnceBadOnesAreDeadLetteredGoodOnesUnchanged() throws Exception {
        int rounds = Integer.getInteger("hostile.rounds", 1);
        Path model = SharedDefaultModel.path();
        Map<String, byte[]> hostile = HostileRecords.all();
        List<String> names = new ArrayList<>(hostile.keySet());

        // The mix: each hostile record between good ones, keys in input order.
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        Map<String, String> kindOfKey = new HashMap<>();
        List<byte[]> good = HostileRecords.good(2 * names.size());
        Map<String, Integer> goodIndexOfKey = new HashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < names.size(); i++) {
                for (int g = 2 * i; g < 2 * i + 2; g++) {
                    String key = "good-" + round + "-" + g;
                    keys.add(key);
                    values.add(good.get(g));
                    goodIndexOfKey.put(key, g);
                }
                String key = "bad-" + round + "-" + i;
                keys.add(key);
                values.add(hostile.get(names.get(i)));
                kindOfKey.put(key, names.get(i));
            }
        }

        Map<String, String> expectedHostile = hostileReference(model, hostile);
        List<String> expectedGood = PredictReference.answers(model, good);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            NoRestartJob job = NoRestartJob.start(kafka, model);
            Configuration options = job.options();
            Properties big = new Properties();
            big.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(16 << 20));
            long start = System.nanoTime();
            try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                    options.get(FillMaskOptions.OUTPUT_TOPIC));
                 AnswerCollector deadLetters = new AnswerCollector(kafka.bootstrapServers(), new Properties(),
                         options.get(FillMaskOptions.DEAD_LETTER_TOPIC))) {
                RequestFeeder.send(kafka.bootstrapServers(), big, options.get(FillMaskOptions.INPUT_TOPIC), keys, values);
                Set<String> awaited = new LinkedHashSet<>(keys);
                boolean all = answers.awaitKeys(awaited, Duration.ofMinutes(5),
                        () -> job.status().isGloballyTerminalState(), n -> {});
                assertTrue(all, "answered " + answers.answersByKey().size() + " of " + keys.size() + "; job "
                        + job.status());
                answers.drain(awaited, Duration.ofSeconds(2));
                double seconds = (System.nanoTime() - start) / 1e9;

                assertEquals(keys.size(), answers.records().size(), "exactly one answer per input record");
                FillMaskCodec codec = new FillMaskCodec();
                Set<String> errorKeys = new LinkedHashSet<>();
                for (String key : keys) {
                    String answer = answers.answersByKey().get(key);
                    if (kindOfKey.containsKey(key)) {
                        assertEquals(expectedHostile.get(kindOfKey.get(key)), answer, kindOfKey.get(key));
                    } else {
                        assertEquals(expectedGood.get(goodIndexOfKey.get(key)), answer,
                                "a good request's answer is not changed by the noise around it: " + key);
                    }
                    if (codec.readAnswer(answer).isError()) {
                        errorKeys.add(key);
                    }
                }

                assertTrue(deadLetters.awaitKeys(errorKeys, Duration.ofMinutes(1), () -> false, n -> {}));
                deadLetters.drain(errorKeys, Duration.ofSeconds(1));
                assertEquals(errorKeys.size(), deadLetters.records().size(), "one dead letter per error answer");
                Map<String, byte[]> valueOfKey = new HashMap<>();
                for (int i = 0; i < keys.size(); i++) {
                    valueOfKey.put(keys.get(i), values.get(i));
                }
                for (ConsumerRecord<byte[], byte[]> letter : deadLetters.records()) {
                    String key = new String(letter.key(), StandardCharsets.UTF_8);
                    byte[] original = valueOfKey.get(key);
                    Header omitted = letter.headers().lastHeader(DeadLetterEncoder.HEADER_VALUE_OMITTED);
                    if (omitted != null) {
                        assertEquals(Integer.toString(original.length), new String(omitted.value(), StandardCharsets.UTF_8));
                    } else if (original == null) {
                        assertTrue(letter.value() == null, "a tombstone stays a tombstone");
                    } else {
                        assertArrayEquals(original, letter.value(), "the original value, untouched: " + key);
                    }
                    assertNotNull(letter.headers().lastHeader(DeadLetterEncoder.HEADER_OFFSET));
                }
                assertEquals(JobStatus.RUNNING, job.status(), "the job never failed (it has no restarts)");
                writeReport(rounds, names, hostile, expectedHostile, keys.size(), answers.records().size(),
                        answers.answersByKey().size(), errorKeys.size(), deadLetters.records().size(), seconds, codec);
            } finally {
                job.close();
            }
        }
    }

    /** What the job must answer to each hostile record: the codec and the engine, as the operator runs them. */
    private static Map<String, String> hostileReference(Path model, Map<String, byte[]> hostile) {
        KafkaRequests records = new KafkaRequests(RequestLimits.defaults(), RecordSizeLimit.of(new java.util.Properties()),
                AnswerHeaders.of("all"));
        FillMaskCodec codec = new FillMaskCodec();
        Map<String, String> expected = new HashMap<>();
        try (FillMaskEngine engine = FillMaskEngine.open(model, EngineOptions.defaults().withIntraOpThreads(1))) {
            for (Map.Entry<String, byte[]> e : hostile.entrySet()) {
                KafkaRecord record = new KafkaRecord();
                record.value = e.getValue();
                DecodedRequest decoded = records.decode(record);
                FillMaskAnswer answer = decoded instanceof DecodedRequest.Valid v
                        ? engine.predict(v.request())
                        : FillMaskAnswer.error(((DecodedRequest.Invalid) decoded).reason());
                expected.put(e.getKey(), codec.writeAnswerAsString(answer));
            }
        }
        return expected;
    }


    private static void writeReport(int rounds, List<String> names, Map<String, byte[]> hostile,
                                    Map<String, String> expected, int in, int answerRecords, int answeredKeys,
                                    int errors, int deadLetters, double seconds, FillMaskCodec codec) throws Exception {
        StringBuilder md = new StringBuilder();
        md.append("## Hostile input (HostileInputITCase, ").append(rounds).append(rounds == 1 ? " round" : " rounds")
                .append(")\n\n");
        md.append("| requests in | answers out | answered once | duplicates | losses | error answers | dead letters |"
                + " job restarts | time |\n|---|---|---|---|---|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d | %d | 0 | %.1f s |%n%n", in, answerRecords,
                answeredKeys, answerRecords - answeredKeys, in - answeredKeys, errors, deadLetters, seconds));
        md.append("| record | size | answer |\n|---|---|---|\n");
        for (String name : names) {
            byte[] v = hostile.get(name);
            FillMaskAnswer a = codec.readAnswer(expected.get(name));
            String what = a instanceof FillMaskAnswer.Error e ? "error + dead letter: " + e.message() : "answered";
            if (what.length() > 140) {
                what = what.substring(0, 137) + "...";
            }
            md.append("| ").append(name).append(" | ").append(v == null ? "tombstone" : v.length + " B").append(" | ")
                    .append(what.replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        Path dir = Path.of("target", "reliability");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hostile-input.md"), md.toString(), StandardCharsets.UTF_8);
        System.out.println(md);
    }
}
