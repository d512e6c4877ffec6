package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record that fails the job itself, every time it is answered, under Flink's default restart strategy: the job does
 * not loop. It fails once in a batch, once more while recovering one record at a time (noting it in flight), and on
 * the third attempt that record gets an error answer naming it a poison pill; every other record gets its answer, and
 * the job finishes. The fault is the test's own: its record mapping throws when it is handed candidates for the
 * poison request, as a crash of the process would end the attempt.
 */
class PoisonPillITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final String POISON = "{\"inputs\": \"the poison <mask> here.\"}";
    /** What reached the sink, from every attempt. */
    static final Queue<String> OUT = new ConcurrentLinkedQueue<>();
    /** How often the poison request was handed candidates (each time, its attempt failed). */
    static final Queue<String> FAILURES = new ConcurrentLinkedQueue<>();

    @TempDir
    static Path dir;

    /** Request lines; the line is its own identity; answering the poison request with candidates fails the task. */
    static final class FailOnPoison implements FillMaskRecords<String, String> {
        private final FillMaskOperatorTest.Lines lines = new FillMaskOperatorTest.Lines();

        @Override
        public DecodedRequest decode(String record) {
            return lines.decode(record);
        }

        @Override
        public String answered(String record, FillMaskAnswer answer) {
            if (record.equals(POISON) && !answer.isError()) {
                FAILURES.add(record);
                throw new IllegalStateException("test fault: answering the poison request fails the task");
            }
            return lines.answered(record, answer);
        }

        @Override
        public String identity(String record) {
            return record;
        }
    }

    @Test
    void aRecordThatFailsTheJobTwiceIsAnsweredWithAnErrorAndTheJobGoesOn() throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Path checkpoints = dir.resolve("checkpoints");
        List<String> requests = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            requests.add("{\"inputs\": \"the cat number " + i + " sat on the <mask>.\"}");
            if (i == 17) {
                requests.add(POISON);
            }
        }

        Configuration config = new Configuration();
        // Flink's default restart strategy with checkpointing (exponential delay), made quick for a test.
        config.setString("restart-strategy.exponential-delay.initial-backoff", "100 ms");
        config.setString("restart-strategy.exponential-delay.max-backoff", "1 s");
        config.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.enableCheckpointing(Duration.ofMillis(200).toMillis());
        env.setParallelism(1);
        env.fromData(requests)
                .transform("fill-mask", Types.STRING, new FillMaskOperator<>(model,
                        EngineOptions.defaults().withIntraOpThreads(1),
                        new BatchPolicy(8, Duration.ofMillis(10)), new FailOnPoison()))
                .sinkTo(new Collect());
        JobExecutionResult result = env.execute("poison-pill");
        assertTrue(result.getNetRuntime() > 0);

        assertEquals(2, FAILURES.size(), "fails in a batch, then alone while recovering, then never again: " + FAILURES);
        Map<String, List<String>> answersOf = new TreeMap<>();
        for (String line : OUT) {
            int arrow = line.indexOf(" => ");
            answersOf.computeIfAbsent(line.substring(0, arrow), k -> new ArrayList<>()).add(line.substring(arrow + 4));
        }
        assertEquals(requests.size(), answersOf.size(), "every request reached the sink: " + answersOf.keySet());
        FillMaskCodec codec = new FillMaskCodec();
        for (Map.Entry<String, List<String>> e : answersOf.entrySet()) {
            for (String answer : e.getValue()) {
                FillMaskAnswer read = codec.readAnswer(answer);
                if (e.getKey().equals(POISON)) {
                    assertTrue(read.isError() && answer.contains("poison pill"), answer);
                } else {
                    assertFalse(read.isError(), e.getKey() + " => " + answer);
                }
            }
        }
        assertEquals(1, answersOf.get(POISON).size(), "the poison request is answered once, with its error");
        System.out.printf("| PoisonPillITCase | %d requests, one fails the task whenever it is answered | "
                        + "failed the job %d times, then answered with an error; every other request answered; job "
                        + "FINISHED | %.1f s |%n", requests.size(), FAILURES.size(), result.getNetRuntime() / 1000.0);
        assertTrue(Files.isDirectory(checkpoints.resolve(result.getJobID().toHexString()).resolve("fill-mask-in-flight")),
                "in-flight records are noted beside the checkpoints");
    }

    /** Keeps every record it is given, in memory of this JVM (the MiniCluster runs here). */
    static final class Collect implements Sink<String> {
        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(String element, Context ctx) {
                    OUT.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
