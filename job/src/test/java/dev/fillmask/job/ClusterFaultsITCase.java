package dev.fillmask.job;

import dev.fillmask.job.cluster.ChildProcess;
import dev.fillmask.job.cluster.FlinkProcesses;
import dev.fillmask.job.cluster.Pause;
import dev.fillmask.job.reliability.AnswerLedger;
import dev.fillmask.job.reliability.ClusterProbe;
import dev.fillmask.job.reliability.ReliabilityCluster;
import dev.fillmask.job.reliability.RequestStream;
import dev.fillmask.job.reliability.ResultsFile;
import dev.fillmask.job.reliability.Tally;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static dev.fillmask.job.reliability.ResultsFile.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on the real topology (a Kafka broker process, a JobManager and a TaskManager process, the cluster jar
 * submitted with {@code flink run}), while a steady stream of requests (4 a second, each key unique) flows, one after
 * the other:
 * <ol>
 *   <li>the TaskManager is killed (SIGKILL) mid-stream and a new one started: the JobManager notices within seconds
 *       (heartbeats every second, 6 s timeout), and the job restarts from its last checkpoint (fixed-delay);</li>
 *   <li>the broker is killed (SIGKILL), left down for 3 s, and started again on the same port and data;</li>
 *   <li>the job is stopped with a savepoint and submitted again from it ({@code flink run -s}) with parallelism 1
 *       instead of 2.</li>
 * </ol>
 * After each, every request sent so far has exactly one answer (read_committed): none lost, none repeated. Each
 * recovery time is measured (fault → job running again; fault → first answer committed after it) and written with
 * the counts to {@code target/reliability/cluster-faults.md}. Logs: {@code target/cluster-faults-it/}.
 */
class ClusterFaultsITCase {
    private static final Path HOME = Path.of("target", "cluster-faults-it").toAbsolutePath();
    private static final double REQUESTS_PER_SECOND = 4;
    private static final int BATCH_SIZE = 4;
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(2);

    private static ReliabilityCluster cluster;
    private static FlinkProcesses flink;

    @BeforeAll
    static void startCluster() {
        cluster = ReliabilityCluster.start(HOME, Map.of(
                // a lost TaskManager is noticed within seconds, not the default 50 s
                "heartbeat.interval", "1000",
                "heartbeat.timeout", "6000",
                "restart-strategy.type", "fixed-delay",
                "restart-strategy.fixed-delay.attempts", "100",
                "restart-strategy.fixed-delay.delay", "1 s"));
        flink = cluster.flink();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One injected fault and what was measured. */
    private record Phase(String fault, long runningAgainMillis, long firstAnswerMillis, String note, int sent,
                         int answered, int duplicates, int losses) {
        List<String> row() {
            return List.of(fault, seconds(runningAgainMillis), seconds(firstAnswerMillis), note,
                    Integer.toString(sent), Integer.toString(answered), Integer.toString(duplicates),
                    Integer.toString(losses));
        }
    }

    @Test
    void everyRequestAnsweredExactlyOnceAcrossTaskManagerLossBrokerLossAndRescaledSavepointRestart() throws Exception {
        long testStart = System.currentTimeMillis();
        String prefix = "faults-" + Long.toString(testStart, 36);
        List<Phase> phases = new ArrayList<>();
        ResultsFile results = new ResultsFile("cluster-faults", "Faults on the process cluster: ClusterFaultsITCase");
        Tally tally = null;
        Throwable failure = null;
        String[] job = {flink.submit(cluster.jobJar(), cluster.jobArguments(2, BATCH_SIZE))};
        flink.awaitJobRunning(job[0], Duration.ofMinutes(2));
        BooleanSupplier jobGone = () -> {
            String state = flink.jobState(job[0]);
            return state.equals("FAILED") || state.equals("CANCELED");
        };
        try (AnswerLedger ledger = new AnswerLedger(cluster.bootstrapServers(), ReliabilityCluster.OUTPUT,
                ReliabilityCluster.DEAD_LETTERS, prefix);
             RequestStream requests = new RequestStream(cluster.bootstrapServers(), ReliabilityCluster.INPUT, prefix,
                     REQUESTS_PER_SECOND)) {
            try {
                requests.start();
                assertTrue(ledger.awaitAnswers(List.of(prefix + "-0", prefix + "-9"), Duration.ofMinutes(2), jobGone),
                        "the job answers before any fault" + failureOf(job[0]));

                // (a) the TaskManager dies (SIGKILL) mid-stream; a new one is started at once
                int failuresBefore = ClusterProbe.failures(flink.rest(), job[0]);
                ChildProcess taskManager = flink.taskManagers().get(0);
                long fault = System.currentTimeMillis();
                flink.killTaskManager(taskManager);
                flink.startTaskManager();
                await("the JobManager to notice the lost TaskManager", Duration.ofMinutes(1), () ->
                        ClusterProbe.failures(flink.rest(), job[0]) > failuresBefore
                                || !ClusterProbe.allRunning(flink.rest(), job[0]));
                long noticed = System.currentTimeMillis();
                flink.awaitJobRunning(job[0], Duration.ofMinutes(3));
                long running = System.currentTimeMillis();
                // no answer can be committed between the kill and the restored job's first checkpoint
                long first = ledger.awaitFirstAnswerAtOrAfter(Math.max(noticed, fault + 1000), SETTLE_TIMEOUT, jobGone);
                phases.add(settle("TaskManager SIGKILL, new TaskManager started", fault, running, first,
                        "noticed after " + seconds(noticed - fault) + ", "
                                + (ClusterProbe.failures(flink.rest(), job[0]) - failuresBefore) + " failover(s)",
                        requests, ledger, jobGone));

                // (b) the broker dies (SIGKILL), stays down 3 s, comes back on the same port and data
                int failuresBeforeBroker = ClusterProbe.failures(flink.rest(), job[0]);
                fault = System.currentTimeMillis();
                cluster.kafka().kill();
                Pause.sleep(3000);
                long restart = System.currentTimeMillis();
                cluster.kafka().restart().awaitReady();
                long brokerUp = System.currentTimeMillis();
                first = ledger.awaitFirstAnswerAtOrAfter(restart, SETTLE_TIMEOUT, jobGone);
                flink.awaitJobRunning(job[0], Duration.ofMinutes(3));
                running = System.currentTimeMillis();
                phases.add(settle("broker SIGKILL, down 3 s, restarted", fault, running, first,
                        "broker ready again after " + seconds(brokerUp - fault) + " (KRaft fences the crashed "
                                + "incarnation first: broker.session.timeout.ms), first answer "
                                + seconds(first < 0 ? -1 : first - brokerUp) + " after that, "
                                + (ClusterProbe.failures(flink.rest(), job[0]) - failuresBeforeBroker)
                                + " job failover(s)",
                        requests, ledger, jobGone));

                // (c) stop with a savepoint, submit again from it with parallelism 1 instead of 2
                fault = System.currentTimeMillis();
                String savepoint = flink.stopWithSavepoint(job[0], cluster.home().resolve("savepoints"),
                        Duration.ofMinutes(2));
                long stopped = System.currentTimeMillis();
                job[0] = flink.submit(cluster.jobJar(), List.of("-s", savepoint), cluster.jobArguments(1, BATCH_SIZE));
                long submitted = System.currentTimeMillis();
                flink.awaitJobRunning(job[0], Duration.ofMinutes(2));
                running = System.currentTimeMillis();
                assertEquals(List.of(1), ClusterProbe.parallelisms(flink.rest(), job[0]).stream().distinct().toList(),
                        "the job runs with parallelism 1 after the restart from the savepoint");
                first = ledger.awaitFirstAnswerAtOrAfter(submitted, SETTLE_TIMEOUT, jobGone);
                phases.add(settle("stop with savepoint, restart from it with parallelism 2 → 1", fault, running, first,
                        "savepoint taken in " + seconds(stopped - fault) + ", resubmitted after "
                                + seconds(submitted - fault),
                        requests, ledger, jobGone));

                requests.stop();
                assertTrue(ledger.awaitAnswers(requests.sentKeys(), SETTLE_TIMEOUT, jobGone),
                        "every request is answered at the end: missing " + ledger.missing(requests.sentKeys())
                                + failureOf(job[0]));
                ledger.quiet(Duration.ofSeconds(5));
                tally = Tally.take(cluster.bootstrapServers(), ReliabilityCluster.INPUT, requests, ledger);
                assertEquals(List.of(), tally.problems(), "exactly once across all faults");
                flink.cancel(job[0], Duration.ofMinutes(1));
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                results.paragraph("What: a steady stream of requests (" + REQUESTS_PER_SECOND + "/s, unique keys, one in 20 "
                        + "malformed) through the cluster jar on a JobManager + TaskManager process cluster (2 slots, "
                        + "parallelism 2, batch size " + BATCH_SIZE + ", checkpoints every 1 s, exactly-once) and a "
                        + "Kafka broker process; faults injected one after the other. Answers read with "
                        + "isolation.level=read_committed. Recovery: from the fault to the job running again (all "
                        + "tasks RUNNING), and to the first answer committed after it.");
                results.paragraph("Command: `mvn -B -ntp -pl job verify -Dtest=none "
                        + "-Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ClusterFaultsITCase`");
                results.heading("Faults");
                results.table(List.of("fault", "→ job running", "→ first new answer", "notes", "requests sent so far",
                        "answered", "duplicates", "losses"), phases.stream().map(Phase::row).toList());
                if (tally != null) {
                    results.heading("At the end (after the producer stopped and every answer was read)");
                    results.table(List.of("count", "value"), tally.rows());
                }
                results.line("Test time: " + seconds(System.currentTimeMillis() - testStart) + ".");
                if (failure != null) {
                    results.paragraph("\n**FAILED**: " + failure);
                }
                results.write();
            }
        }
    }

    /**
     * After a fault: waits until every request sent so far is answered, then counts duplicates and losses so far;
     * fails when any.
     */
    private static Phase settle(String fault, long faultAt, long runningAt, long firstAnswerAt, String note,
                                RequestStream requests, AnswerLedger ledger, BooleanSupplier jobGone) {
        List<String> sent = requests.sentBefore(System.currentTimeMillis());
        boolean complete = ledger.awaitAnswers(sent, SETTLE_TIMEOUT, jobGone);
        List<String> missing = ledger.missing(sent);
        int duplicates = ledger.answerRecords() - ledger.answeredKeys();
        Phase phase = new Phase(fault, runningAt - faultAt, firstAnswerAt < 0 ? -1 : firstAnswerAt - faultAt, note,
                sent.size(), sent.size() - missing.size(), duplicates, missing.size());
        System.out.println("ClusterFaultsITCase: " + phase);
        assertTrue(firstAnswerAt > 0, fault + ": no answer after the fault" + flink.logTails());
        assertTrue(complete, fault + ": " + missing.size() + " of " + sent.size() + " requests unanswered, e.g. "
                + missing.stream().limit(5).toList() + flink.logTails());
        assertEquals(0, duplicates, fault + ": duplicate answers " + ledger.duplicated());
        return phase;
    }

    private static String failureOf(String jobId) {
        return flink.failureOf(jobId).map(f -> "\n" + f).orElse("") + flink.logTails();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what
                        + flink.logTails());
            }
            Pause.sleep(100);
        }
    }
}
