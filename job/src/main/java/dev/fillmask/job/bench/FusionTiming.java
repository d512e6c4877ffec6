package dev.fillmask.job.bench;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.GraphRewrites;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.schemas.FillMaskRequest;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./fill-mask bench --fusions}: the engine on a model's float32 graph as it is in the folder against the same
 * graph fused into ONNX Runtime's contrib ops (what every engine loads), in one process, batch by batch in turns (the
 * first of each pair alternating), so other load on the machine falls on both alike. Per round: requests/s of each,
 * their ratio, and the process CPU time per request of each (steadier than wall time on a shared machine, but it
 * counts the intra-op threads' spinning too), and the medians over the rounds. No memory figure: two sessions of one
 * process share its allocator, so what the second adds says little about what it needs (measure each form in a
 * process of its own).
 */
public final class FusionTiming {
    private static final int BATCH = 16;

    private final Path model;
    private final int rounds;
    private final int threads;
    private final PrintStream out;
    private final PrintStream progress;

    public FusionTiming(Path model, int rounds, int threads, PrintStream out, PrintStream progress) {
        this.model = model;
        this.rounds = rounds;
        this.threads = threads;
        this.out = out;
        this.progress = progress;
    }

    public void run() {
        List<FillMaskRequest> requests = BenchCorpus.inMaskTokenOf(BenchCorpus.shortSet(),
                ModelFolder.open(model).maskToken());
        EngineOptions options = EngineOptions.defaults().withIntraOpThreads(threads);
        // The fused graph is made (once, then cached) before anything is timed.
        progress.println("bench: fusions, preparing the fused graph...");
        FillMaskEngine.open(model, options).close();
        try (FillMaskEngine plain = FillMaskEngine.open(model, options, GraphRewrites.NONE);
             FillMaskEngine fused = FillMaskEngine.open(model, options)) {
            plain.predict(requests.subList(0, BATCH));
            fused.predict(requests.subList(0, BATCH));
            out.printf(Locale.ROOT, "fp32 fusions on %s: %d requests of the bench corpus in batches of %d, %d rounds, "
                    + "%s intra-op threads%n", model.getFileName(), requests.size(), BATCH, rounds,
                    threads == 0 ? "all" : threads);
            out.println("| round | as imported req/s | fused req/s | fused/imported | as imported CPU ms/request "
                    + "| fused CPU ms/request | imported/fused CPU | load average |");
            out.println("|---|---|---|---|---|---|---|---|");
            time(plain, fused, requests);
        }
    }

    private void time(FillMaskEngine plain, FillMaskEngine fused, List<FillMaskRequest> requests) {
        double[] plainRate = new double[rounds];
        double[] fusedRate = new double[rounds];
        double[] rateRatio = new double[rounds];
        double[] plainCpu = new double[rounds];
        double[] fusedCpu = new double[rounds];
        double[] cpuRatio = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            progress.printf(Locale.ROOT, "bench: fusions, round %d of %d...%n", round + 1, rounds);
            long[] nanos = new long[2];
            long[] cpu = new long[2];
            for (int from = 0, pair = 0; from < requests.size(); from += BATCH, pair++) {
                List<FillMaskRequest> batch = requests.subList(from, Math.min(requests.size(), from + BATCH));
                boolean plainFirst = (pair + round) % 2 == 0;
                for (int turn = 0; turn < 2; turn++) {
                    int which = plainFirst == (turn == 0) ? 0 : 1;
                    long cpuStart = processCpuNanos();
                    long start = System.nanoTime();
                    (which == 0 ? plain : fused).predict(batch);
                    nanos[which] += System.nanoTime() - start;
                    cpu[which] += processCpuNanos() - cpuStart;
                }
            }
            plainRate[round] = requests.size() / (nanos[0] / 1e9);
            fusedRate[round] = requests.size() / (nanos[1] / 1e9);
            rateRatio[round] = fusedRate[round] / plainRate[round];
            plainCpu[round] = cpu[0] / 1e6 / requests.size();
            fusedCpu[round] = cpu[1] / 1e6 / requests.size();
            cpuRatio[round] = plainCpu[round] / fusedCpu[round];
            out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f | %s |%n", round + 1,
                    plainRate[round], fusedRate[round], rateRatio[round], plainCpu[round], fusedCpu[round],
                    cpuRatio[round], loadAverage());
        }
        out.printf(Locale.ROOT, "| median | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f | |%n", median(plainRate),
                median(fusedRate), median(rateRatio), median(plainCpu), median(fusedCpu), median(cpuRatio));
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** The 1, 5 and 15 minute load averages (Linux), or "?" where they cannot be read. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
