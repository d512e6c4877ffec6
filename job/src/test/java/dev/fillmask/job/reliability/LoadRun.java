package dev.fillmask.job.reliability;

import dev.fillmask.job.cluster.FlinkProcesses;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.fillmask.job.reliability.ResultsFile.mib;
import static dev.fillmask.job.reliability.ResultsFile.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Overload on the real topology: a producer well above the job's throughput for a while, then silence. It checks
 * that backpressure holds (the job keeps running: no failure, no restart; the backlog waits in Kafka, not in the
 * job), that nothing is lost or repeated (exactly one answer per request at the end, read_committed), that the
 * consumer lag drains once the producer stops, and samples the TaskManager's heap (Flink REST,
 * {@code Status.JVM.Memory.Heap.Used}) and RSS ({@code VmRSS} of its process) all along. The numbers go to
 * {@code target/reliability/NAME.md}.
 */
public final class LoadRun {
    /** How a run is shaped. */
    public record Settings(String name, String title, Duration overload, double perSecond, int parallelism,
                           int batchSize, Duration sampleEvery, Duration drainTimeout, String command) {}

    /** One sample of the run. */
    public record Sample(long atMillis, String phase, int sent, int answered, long lag, long heapUsed, long rss,
                         int failures) {
        List<String> row() {
            return List.of(seconds(atMillis), phase, Integer.toString(sent), Integer.toString(answered),
                    lag < 0 ? "n/a" : Long.toString(lag), mib(heapUsed), mib(rss), Integer.toString(failures));
        }
    }

    private final Settings settings;
    private final ReliabilityCluster cluster;
    private final FlinkProcesses flink;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private volatile String phase = "job running";
    private volatile boolean sampling = true;

    private LoadRun(Settings settings, ReliabilityCluster cluster) {
        this.settings = settings;
        this.cluster = cluster;
        this.flink = cluster.flink();
    }

    /** Starts a cluster under {@code home}, runs the load, writes the results file, stops every process. */
    public static void run(Path home, Settings settings) throws Exception {
        try (ReliabilityCluster cluster = ReliabilityCluster.start(home, Map.of(
                // any failure would show: it is counted, and the run fails on it
                "restart-strategy.type", "fixed-delay",
                "restart-strategy.fixed-delay.attempts", "3",
                "restart-strategy.fixed-delay.delay", "1 s"))) {
            new LoadRun(settings, cluster).run();
        }
    }

    private void run() throws Exception {
        long start = System.currentTimeMillis();
        String prefix = settings.name() + "-" + Long.toString(start, 36);
        ResultsFile results = new ResultsFile(settings.name(), settings.title());
        String taskManagerId = "taskmanager-1";
        long taskManagerPid = flink.taskManagers().get(0).pid();
        String jobId = flink.submit(cluster.jobJar(), cluster.jobArguments(settings.parallelism(), settings.batchSize()));
        flink.awaitJobRunning(jobId, Duration.ofMinutes(2));
        long heapMax = ClusterProbe.taskManagerMetric(flink.rest(), taskManagerId, "Status.JVM.Memory.Heap.Max")
                .orElse(-1);
        Tally tally = null;
        Throwable failure = null;
        long producerStopped = -1;
        long drained = -1;
        long lagZero = -1;
        int sentAtStop = 0;
        int answeredAtStop = 0;
        long lagAtStop = -1;
        long producerStart = -1;
        try (AnswerLedger ledger = new AnswerLedger(cluster.bootstrapServers(), ReliabilityCluster.OUTPUT,
                ReliabilityCluster.DEAD_LETTERS, prefix);
             RequestStream requests = new RequestStream(cluster.bootstrapServers(), ReliabilityCluster.INPUT, prefix,
                     settings.perSecond())) {
            sampleNow(start, jobId, taskManagerId, taskManagerPid, requests, ledger);
            Thread sampler = new Thread(() -> sample(start, jobId, taskManagerId, taskManagerPid, requests, ledger),
                    "load-sampler");
            sampler.setDaemon(true);
            try {
                phase = "overload";
                producerStart = System.currentTimeMillis();
                requests.start();
                sampler.start();
                long overloadEnd = producerStart + settings.overload().toMillis();
                while (System.currentTimeMillis() < overloadEnd) {
                    assertRunning(jobId);
                    Thread.sleep(1000);
                }
                requests.stop();
                producerStopped = System.currentTimeMillis();
                phase = "drain";
                sentAtStop = requests.sentCount();
                answeredAtStop = ledger.answeredKeys();
                lagAtStop = ClusterProbe.lag(cluster.bootstrapServers(), ReliabilityCluster.GROUP, ReliabilityCluster.INPUT);
                System.out.printf(Locale.ROOT, "%s: producer stopped after %d requests, %d answered, lag %d%n",
                        settings.name(), sentAtStop, answeredAtStop, lagAtStop);
                // the producer outpaced the job: a backlog built up in Kafka
                assertTrue(answeredAtStop < 0.8 * sentAtStop, "the producer outpaced the job (" + answeredAtStop
                        + " of " + sentAtStop + " answered when it stopped): raise the rate");

                List<String> sent = requests.sentKeys();
                long drainDeadline = System.currentTimeMillis() + settings.drainTimeout().toMillis();
                while (!ledger.awaitAnswers(sent, Duration.ofSeconds(1), () -> false)) {
                    assertRunning(jobId);
                    assertTrue(System.currentTimeMillis() < drainDeadline, "the backlog did not drain within "
                            + settings.drainTimeout() + ": " + ledger.missing(sent).size() + " unanswered");
                }
                drained = System.currentTimeMillis();
                long lagDeadline = System.currentTimeMillis() + 60_000;
                while (ClusterProbe.lag(cluster.bootstrapServers(), ReliabilityCluster.GROUP,
                        ReliabilityCluster.INPUT) != 0) {
                    assertTrue(System.currentTimeMillis() < lagDeadline, "the consumer lag did not reach 0");
                    Thread.sleep(250);
                }
                lagZero = System.currentTimeMillis();
                phase = "idle";
                ledger.quiet(Duration.ofSeconds(5));
                sampleNow(start, jobId, taskManagerId, taskManagerPid, requests, ledger);
                tally = Tally.take(cluster.bootstrapServers(), ReliabilityCluster.INPUT, requests, ledger);
                assertEquals(List.of(), tally.problems(), "exactly once under overload");
                assertRunning(jobId);
                assertEquals(0, ClusterProbe.failures(flink.rest(), jobId), "no failure under overload");
                assertEquals(0L, ClusterProbe.jobMetric(flink.rest(), jobId, "numRestarts").orElse(0L),
                        "no restart under overload");
                stopSampling(sampler);
                assertMemoryBounded(heapMax);
                flink.cancel(jobId, Duration.ofMinutes(1));
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                stopSampling(sampler);
                long overloadMillis = producerStopped < 0 ? -1 : producerStopped - producerStart;
                double produced = overloadMillis <= 0 ? 0 : sentAtStop * 1000.0 / overloadMillis;
                double answeredRate = overloadMillis <= 0 ? 0 : answeredAtStop * 1000.0 / overloadMillis;
                double drainRate = drained < 0 ? 0 : (sentAtStop - answeredAtStop) * 1000.0 / (drained - producerStopped);
                results.paragraph("What: the cluster jar on a JobManager + TaskManager process cluster (one TaskManager, "
                        + "2 slots, parallelism " + settings.parallelism() + ", ONNX Runtime 1 thread per slot, batch "
                        + "size " + settings.batchSize() + ", checkpoints every 1 s, exactly-once) and a Kafka broker "
                        + "process; a producer at " + fmt(settings.perSecond()) + " requests/s (unique keys, one in 20 "
                        + "malformed) for " + seconds(settings.overload().toMillis()) + ", then none. Answers read "
                        + "with isolation.level=read_committed.");
                results.paragraph("Command: `" + settings.command() + "`");
                results.heading("Load");
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("overload (producer running)", seconds(overloadMillis)));
                rows.add(List.of("requests sent / answered when the producer stopped", sentAtStop + " / " + answeredAtStop));
                rows.add(List.of("rate in / answered during overload", fmt(produced) + " / " + fmt(answeredRate) + " per s"));
                rows.add(List.of("consumer lag when the producer stopped", Long.toString(lagAtStop)));
                rows.add(List.of("backlog answered after the stop in", seconds(drained < 0 ? -1 : drained - producerStopped)
                        + " (" + fmt(drainRate) + " per s)"));
                rows.add(List.of("consumer lag 0 after the stop in", seconds(lagZero < 0 ? -1 : lagZero - producerStopped)));
                rows.add(List.of("job failures / restarts", ClusterProbe.failures(flink.rest(), jobId) + " / "
                        + ClusterProbe.jobMetric(flink.rest(), jobId, "numRestarts").orElse(-1)));
                rows.add(List.of("request → answer latency p50 / p99 / max", seconds(ledger.latencyQuantile(0.5))
                        + " / " + seconds(ledger.latencyQuantile(0.99)) + " / " + seconds(ledger.latencyQuantile(1.0))));
                rows.add(List.of("TaskManager heap used: min / max (heap max " + mib(heapMax) + ")",
                        mib(min(Sample::heapUsed)) + " / " + mib(max(Sample::heapUsed))));
                rows.add(List.of("TaskManager heap used, lowest sample (after GC) in the first / second half",
                        mib(lowestHeap(0)) + " / " + mib(lowestHeap(1))));
                rows.add(List.of("TaskManager RSS: first / max / last", mib(samples.isEmpty() ? -1 : samples.get(0).rss())
                        + " / " + mib(max(Sample::rss)) + " / "
                        + mib(samples.isEmpty() ? -1 : samples.get(samples.size() - 1).rss())));
                rows.add(List.of("TaskManager RSS, highest sample in the first / second half",
                        mib(highestRss(0)) + " / " + mib(highestRss(1))));
                results.table(List.of("what", "value"), rows);
                if (tally != null) {
                    results.heading("Accounting at the end");
                    results.table(List.of("count", "value"), tally.rows());
                }
                results.heading("Samples (every " + seconds(settings.sampleEvery().toMillis()) + ")");
                results.table(List.of("t", "phase", "sent", "answered", "lag", "TM heap used", "TM RSS", "failures"),
                        samples.stream().map(Sample::row).toList());
                results.line("Test time: " + seconds(System.currentTimeMillis() - start) + " (after the cluster start).");
                if (failure != null) {
                    results.paragraph("\n**FAILED**: " + failure);
                }
                results.write();
            }
        }
    }

    private void stopSampling(Thread sampler) throws InterruptedException {
        sampling = false;
        sampler.interrupt();
        sampler.join(10_000);
    }

    /**
     * Memory stays bounded: the heap's floor (the lowest sample, i.e. what survives collections) does not climb by
     * more than 256 MiB from the first half of the run to the second; and the RSS grows by less than the heap's size
     * plus 256 MiB. (The TaskManager's heap is reserved at start, -Xms = -Xmx, but its pages count in the RSS only
     * once touched, which the garbage collector's saw-tooth does over time; ONNX Runtime's arenas grow with the batch
     * shapes seen, then level off.) Generous bounds: they catch a leak, not noise.
     */
    private void assertMemoryBounded(long heapMax) {
        long heapFirst = lowestHeap(0);
        long heapSecond = lowestHeap(1);
        assertTrue(heapFirst < 0 || heapSecond < heapFirst + (256L << 20), "the TaskManager's heap floor climbed from "
                + mib(heapFirst) + " to " + mib(heapSecond) + ": " + samples);
        long rssFirst = samples.get(0).rss();
        long rssMax = max(Sample::rss);
        assertTrue(rssFirst < 0 || heapMax < 0 || rssMax < rssFirst + heapMax + (256L << 20), "the TaskManager's RSS "
                + "grew from " + mib(rssFirst) + " to " + mib(rssMax) + ", more than its heap (" + mib(heapMax)
                + ") + 256 MiB: " + samples);
    }

    /** The lowest heap-used sample in the first (0) or second (1) half of the samples. */
    private long lowestHeap(int half) {
        return half(half).stream().mapToLong(Sample::heapUsed).filter(v -> v >= 0).min().orElse(-1);
    }

    private long highestRss(int half) {
        return half(half).stream().mapToLong(Sample::rss).filter(v -> v >= 0).max().orElse(-1);
    }

    private List<Sample> half(int half) {
        List<Sample> all = List.copyOf(samples);
        int middle = all.size() / 2;
        return half == 0 ? all.subList(0, middle) : all.subList(middle, all.size());
    }

    private void assertRunning(String jobId) {
        String state = flink.jobState(jobId);
        assertEquals("RUNNING", state, () -> "the job is " + state + flink.failureOf(jobId).map(f -> "\n" + f)
                .orElse("") + flink.logTails());
    }

    private void sample(long start, String jobId, String taskManagerId, long pid, RequestStream requests,
                        AnswerLedger ledger) {
        while (sampling) {
            try {
                Thread.sleep(settings.sampleEvery().toMillis());
            } catch (InterruptedException e) {
                return;
            }
            sampleNow(start, jobId, taskManagerId, pid, requests, ledger);
        }
    }

    private void sampleNow(long start, String jobId, String taskManagerId, long pid, RequestStream requests,
                           AnswerLedger ledger) {
        Sample sample = new Sample(System.currentTimeMillis() - start, phase, requests.sentCount(),
                ledger.answeredKeys(),
                ClusterProbe.lag(cluster.bootstrapServers(), ReliabilityCluster.GROUP, ReliabilityCluster.INPUT),
                ClusterProbe.taskManagerMetric(flink.rest(), taskManagerId, "Status.JVM.Memory.Heap.Used").orElse(-1),
                ClusterProbe.rssBytes(pid), ClusterProbe.failures(flink.rest(), jobId));
        samples.add(sample);
        System.out.println(settings.name() + ": " + sample);
    }

    private long max(java.util.function.ToLongFunction<Sample> f) {
        return samples.stream().mapToLong(f).filter(v -> v >= 0).max().orElse(-1);
    }

    private long min(java.util.function.ToLongFunction<Sample> f) {
        return samples.stream().mapToLong(f).filter(v -> v >= 0).min().orElse(-1);
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    /** The samples taken, for assertions on memory. */
    public List<Sample> samples() {
        return samples;
    }
}
