package dev.fillmask.job;

import dev.fillmask.job.cluster.ChildProcess;
import dev.fillmask.job.cluster.FlinkProcesses;
import dev.fillmask.job.cluster.Pause;
import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.RequestFeeder;
import dev.fillmask.job.reliability.ClusterProbe;
import dev.fillmask.job.reliability.ReliabilityCluster;
import dev.fillmask.engine.testing.SharedDefaultModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster jar on a real standalone Flink session cluster, submitted as a user submits it: a JobManager and a
 * TaskManager in JVM processes of their own (from Maven jars, as no Flink distribution is at hand), a Kafka broker
 * process (KRaft) on 127.0.0.1 (the {@link ReliabilityCluster}), and {@code flink run -d fill-mask-flink-job.jar
 * --bootstrap-servers ... --model ...}. Every request gets exactly one answer (read_committed), equal to
 * {@code ./fill-mask predict}'s. Then the job is cancelled and submitted again to the same TaskManager, which must
 * still answer: the native libraries (ONNX Runtime, tokenizers) are loaded
 * once per TaskManager from the cluster's lib/, with {@code classloader.parent-first-patterns.additional:
 * ai.djl.;ai.onnxruntime.}, as deploy/README.md tells users to set up their clusters.
 *
 * <p>Logs: {@code job/target/standalone-cluster-it/} (Flink's under flink/log, the broker's under kafka/logs).
 */
class StandaloneClusterITCase {
    private static final Path HOME = Path.of("target", "standalone-cluster-it").toAbsolutePath();
    private static final String INPUT = ReliabilityCluster.INPUT;
    private static final String OUTPUT = ReliabilityCluster.OUTPUT;
    private static final String GROUP = ReliabilityCluster.GROUP;
    private static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(3);

    private static Path model;
    private static ReliabilityCluster cluster;
    private static FlinkProcesses flink;

    @BeforeAll
    static void startCluster() {
        model = SharedDefaultModel.path();
        cluster = ReliabilityCluster.start(HOME, Map.of(
                // a job that cannot run fails soon, with its exception, instead of restarting for ever
                "restart-strategy.type", "fixed-delay",
                "restart-strategy.fixed-delay.attempts", "2",
                "restart-strategy.fixed-delay.delay", "1 s"));
        flink = cluster.flink();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void answersEveryRequestAndAgainAfterASecondSubmissionToTheSameTaskManager() throws Exception {
        List<byte[]> first = requests(0, 48);
        List<byte[]> second = requests(48, 16);
        // what predict answers, computed while the cluster works
        CompletableFuture<List<String>> expected = CompletableFuture.supplyAsync(() -> predict(concat(first, second)));
        ChildProcess taskManager = flink.taskManagers().get(0);

        String job1 = flink.submit(cluster.jobJar(), cluster.jobArguments(2, 8));
        flink.awaitJobRunning(job1, Duration.ofMinutes(2));
        List<String> firstKeys = keys("first", first.size());
        List<String> firstAnswers = answers(job1, firstKeys, first);
        // A job submitted without a savepoint starts at the group's committed offsets, which the Kafka source commits
        // some seconds after the checkpoint (from its fetcher thread); cancelled before that, the next job would
        // answer those requests again. Cancel once they are committed, as an operator would check with the lag.
        awaitOffsetsCommitted();

        flink.cancel(job1, Duration.ofMinutes(1));
        assertTrue(taskManager.isAlive(), "the TaskManager outlives the job");

        // the same TaskManager JVM, a new user class loader: the natives must not be loaded a second time
        String job2 = flink.submit(cluster.jobJar(), cluster.jobArguments(2, 8));
        flink.awaitJobRunning(job2, Duration.ofMinutes(2));
        List<String> secondKeys = keys("second", second.size());
        List<String> secondAnswers = answers(job2, secondKeys, second);
        assertEquals(List.of(taskManager), flink.taskManagers(), "both jobs ran on the one TaskManager");
        // The second job starts from the group's committed offsets: it must not answer the first job's requests again.
        assertEachAnsweredOnce(concat(firstKeys, secondKeys));

        List<String> all = concat(firstAnswers, secondAnswers);
        List<String> want = expected.get();
        for (int i = 0; i < all.size(); i++) {
            assertEquals(want.get(i), all.get(i), "request " + i + ": " + new String(concat(first, second).get(i),
                    StandardCharsets.UTF_8));
        }
        flink.cancel(job2, Duration.ofMinutes(1));
    }

    /** Feeds {@code values} under {@code keys}; returns the answers in the same order, each read exactly once. */
    private static List<String> answers(String jobId, List<String> keys, List<byte[]> values) {
        try (AnswerCollector collector = new AnswerCollector(cluster.bootstrapServers(), new Properties(), OUTPUT)) {
            RequestFeeder.send(cluster.bootstrapServers(), new Properties(), INPUT, keys, values);
            Set<String> awaited = new LinkedHashSet<>(keys);
            boolean complete = collector.awaitKeys(awaited, ANSWER_TIMEOUT,
                    () -> !flink.jobState(jobId).equals("RUNNING"), n -> {});
            assertTrue(complete, () -> "job " + jobId + " (" + flink.jobState(jobId) + ") answered "
                    + collector.answersByKey().size() + " of " + keys.size()
                    + flink.failureOf(jobId).map(f -> "\n" + f).orElse("") + flink.logTails());
            collector.drain(awaited, Duration.ofSeconds(3));
            assertEquals(keys.size(), collector.records().size(), "exactly one answer per request");
            return keys.stream().map(collector.answersByKey()::get).toList();
        }
    }

    /** Waits until the job's group has committed offsets at the end of every partition of the input topic. */
    private static void awaitOffsetsCommitted() {
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        long lag = -1;
        while (System.nanoTime() < deadline) {
            lag = ClusterProbe.lag(cluster.bootstrapServers(), GROUP, INPUT);
            if (lag == 0) {
                return;
            }
            Pause.sleep(500);
        }
        throw new AssertionError("group " + GROUP + " still lags " + lag + " behind the input's end after "
                + ANSWER_TIMEOUT);
    }

    /** The output topic, read from its start, holds exactly one answer (read_committed) for every key of {@code keys}. */
    private static void assertEachAnsweredOnce(List<String> keys) {
        try (AnswerCollector collector = new AnswerCollector(cluster.bootstrapServers(), new Properties(), OUTPUT)) {
            Set<String> awaited = new LinkedHashSet<>(keys);
            assertTrue(collector.awaitKeys(awaited, ANSWER_TIMEOUT, () -> false, n -> {}),
                    () -> "only " + collector.answersByKey().size() + " of " + keys.size() + " keys answered");
            collector.drain(awaited, Duration.ofSeconds(3));
            assertEquals(keys.size(), collector.records().size(), "one answer per key of both submissions"
                    + " (duplicates: " + (collector.records().size() - collector.answersByKey().size()) + ")");
        }
    }

    /** {@code count} requests: masks in varied sentences, top_k and targets, and two that get an error answer. */
    private static List<byte[]> requests(int from, int count) {
        String[] subjects = {"the man", "the woman", "my friend", "the doctor", "a child", "the old king",
                "our teacher", "his sister"};
        String[] endings = {"worked as a [MASK].", "went to the [MASK] yesterday.", "bought a new [MASK].",
                "is the [MASK] of the family.", "likes to eat [MASK] for breakfast.", "lives in [MASK]."};
        List<byte[]> values = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            String json;
            if (i % 23 == 7) {
                json = "{\"inputs\": \"This sentence has no mask.\"}";
            } else if (i % 23 == 19) {
                json = "not json at all";
            } else if (i % 11 == 3) {
                json = "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"capital\", \"heart\"]}}";
            } else {
                String text = subjects[i % subjects.length] + " " + endings[(i / subjects.length) % endings.length];
                json = "{\"inputs\": \"" + text + "\", \"parameters\": {\"top_k\": " + (1 + i % 4) + "}}";
            }
            values.add(json.getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }

    /** The answers of {@code ./fill-mask predict} for the same request lines. */
    private static List<String> predict(List<byte[]> values) {
        return PredictReference.answers(model, values);
    }

    private static List<String> keys(String run, int n) {
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(run + "-" + i);
        }
        return keys;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
