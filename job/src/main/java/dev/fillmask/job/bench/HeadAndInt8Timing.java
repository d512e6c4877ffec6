package dev.fillmask.job.bench;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.GraphRewrites;
import dev.fillmask.engine.importer.DefaultModel;
import dev.fillmask.engine.model.FileTrees;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.quantize.AccuracyReport;
import dev.fillmask.engine.quantize.Int8Options;
import dev.fillmask.engine.quantize.Int8Quantizer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./fill-mask bench --heads-and-int8}: milliseconds per batch of 16 short sentences of the bench corpus for the
 * default model with the LM head at every position (the plain export), at the masks, and in int8 variants, plus each
 * int8 variant's agreement with fp32 on the whole corpus. The engines run in interleaved rounds so that other load on
 * the machine spreads over all of them; the medians are printed.
 */
public final class HeadAndInt8Timing {
    /** The variants compared unless others are asked for: the quantizer's defaults, plain dynamic int8, MatMulNBits. */
    public static final String DEFAULT_VARIANTS = "32,0,32-l0-r0";
    private static final int BATCH = 16;
    private static final int SHORT_WORDS = 12;

    private final int rounds;
    private final int threads;
    private final List<String> variants;
    private final PrintStream out;
    private final PrintStream progress;

    /**
     * {@code variants}: kernel-alpha[-outlier channels[-fN|-lN|-rN...]], e.g. dqmm-0 (the defaults), dqmm-0-0 (plain
     * dynamic int8), nbits32-0.5-0 (MatMulNBits blocks of 32, SmoothQuant 0.5, no outlier channels), dqmm-0-32-f12
     * (feed-forward output dense of all 12 layers in float32); see {@link #options(String)}.
     */
    public HeadAndInt8Timing(int rounds, int threads, List<String> variants, PrintStream out, PrintStream progress) {
        this.rounds = rounds;
        this.threads = threads;
        this.variants = variants;
        this.out = out;
        this.progress = progress;
    }

    public void run() throws IOException {
        // plain requests (top_k 5, no targets): every engine does the same work whatever a corpus line asks
        List<FillMaskRequest> corpus = BenchCorpus.shortSet().stream()
                .map(r -> FillMaskRequest.of(r.inputs())).toList();
        List<FillMaskRequest> shortOnes = corpus.stream()
                .filter(r -> r.inputs().split(" ").length <= SHORT_WORDS).toList();
        List<List<FillMaskRequest>> batches = new ArrayList<>();
        for (int i = 0; i + BATCH <= shortOnes.size(); i += BATCH) {
            batches.add(shortOnes.subList(i, i + BATCH));
        }
        out.printf(Locale.ROOT, "%d short sentences (<= %d words) -> %d batches of %d; %d rounds; %s threads%n",
                shortOnes.size(), SHORT_WORDS, batches.size(), BATCH, rounds, threads == 0 ? "all" : threads);

        Path work = Files.createTempDirectory("head-int8-timing");
        Map<String, FillMaskEngine> engines = new LinkedHashMap<>();
        try {
            Path gathered = DefaultModel.ensureImported(progress);
            Path plain = DefaultModel.exportTo(work.resolve("plain"), HeadForm.FULL, progress);
            Map<String, Path> int8 = new LinkedHashMap<>();
            for (String variant : variants) {
                Int8Quantizer.FolderResult r = Int8Quantizer.quantizeFolder(gathered, work.resolve(variant),
                        options(variant), null);
                out.println("int8 " + variant + ": " + r.describe());
                int8.put("int8 " + variant, r.out());
            }
            EngineOptions options = EngineOptions.defaults().withIntraOpThreads(threads);
            engines.put("fp32 head at every position", FillMaskEngine.open(plain, options, GraphRewrites.NONE));
            engines.put("fp32 head at the masks", FillMaskEngine.open(gathered, options, GraphRewrites.HEAD_AT_MASKS));
            engines.put("fp32 plain export, rewritten", FillMaskEngine.open(plain, options, GraphRewrites.HEAD_AT_MASKS));
            engines.put("fp32 head at the masks, fused", FillMaskEngine.open(gathered, options, GraphRewrites.ALL));
            for (Map.Entry<String, Path> e : int8.entrySet()) {
                engines.put(e.getKey(), FillMaskEngine.open(e.getValue(), options));
            }
            printTimings(time(engines, batches));
            FillMaskEngine reference = engines.get("fp32 head at the masks");
            List<FillMaskRequest> heldOut = BenchCorpus.heldOutSet().stream()
                    .map(r -> FillMaskRequest.of(r.inputs())).toList();
            for (String name : int8.keySet()) {
                out.print(AccuracyReport.compare(reference, engines.get(name), corpus, BATCH)
                        .format("fp32", name + ", bench corpus"));
                out.print(AccuracyReport.compare(reference, engines.get(name), heldOut, BATCH)
                        .format("fp32", name + ", held-out corpus"));
            }
            FillMaskEngine fullHead = engines.get("fp32 head at every position");
            out.print(AccuracyReport.compare(fullHead, reference, corpus, BATCH)
                    .format("fp32 full head", "fp32 head at masks"));
            out.print(AccuracyReport.compare(fullHead, engines.get("fp32 plain export, rewritten"), corpus, BATCH)
                    .format("fp32 full head", "fp32 rewritten at load"));
        } finally {
            engines.values().forEach(FillMaskEngine::close);
            FileTrees.deleteRecursively(work);
        }
    }

    /**
     * The quantizer's options of a variant name: outlier channels (e.g. {@code 32}, the defaults; {@code 0}, none),
     * then suffixes: {@code lN} keeps the last N layers wholly in float32, {@code r1}/{@code r0} turns per-row
     * activation scales on/off, {@code g1}/{@code g0} quantizes the fused graph or the graph as imported,
     * {@code s1}/{@code s0} static or dynamic activation scales, {@code u1} uint8 weights with all 8 bits,
     * {@code w7}/{@code w8} 7- or 8-bit int8 weights. {@code 32-l0-r0} is the older per-tensor mode.
     */
    static Int8Options options(String variant) {
        String[] parts = variant.split("-");
        Int8Options options;
        try {
            options = Int8Options.defaults().withOutlierChannels(Integer.parseInt(parts[0]));
            for (int p = 1; p < parts.length; p++) {
                int n = Integer.parseInt(parts[p].substring(1));
                options = switch (parts[p].charAt(0)) {
                    case 'l' -> options.withFloatLayers(n);
                    case 'r' -> options.withPerRowActivations(n != 0);
                    case 'g' -> options.withFused(n != 0);
                    case 's' -> options.withStaticActivations(n != 0);
                    case 'u' -> options.withUnsignedWeights(n != 0);
                    case 'w' -> options.withReduceRange(n == 7);
                    default -> throw new IllegalArgumentException("int8 variant '" + variant + "': unknown part "
                            + parts[p]);
                };
            }
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("int8 variant '" + variant
                    + "': outliers[-lN][-rN][-gN][-sN][-uN][-wN], e.g. 32-l0-r0 or 32-g1-s1");
        }
        return options;
    }

    /** Wall and process CPU milliseconds per batch of each engine in each round. */
    private record Timings(Map<String, double[]> wall, Map<String, double[]> cpu) {}

    /**
     * Each batch is run by every engine in turn before the next batch, the engine that starts rotating from batch to
     * batch and round to round, so that load from elsewhere, which comes and goes within seconds on a shared
     * machine, falls on all engines alike. Process CPU time is taken too: another process's load slows the wall
     * clock far more than it changes the CPU time a batch needs.
     */
    private Timings time(Map<String, FillMaskEngine> engines, List<List<FillMaskRequest>> batches) {
        Map<String, double[]> wall = new LinkedHashMap<>();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        engines.forEach((name, e) -> {
            e.predict(batches.get(0)); // warm-up
            wall.put(name, new double[rounds]);
            cpu.put(name, new double[rounds]);
        });
        List<String> names = new ArrayList<>(engines.keySet());
        for (int round = 0; round < rounds; round++) {
            progress.printf(Locale.ROOT, "bench: heads and int8, round %d of %d...%n", round + 1, rounds);
            for (int b = 0; b < batches.size(); b++) {
                List<FillMaskRequest> batch = batches.get(b);
                for (int turn = 0; turn < names.size(); turn++) {
                    String name = names.get((turn + b + round) % names.size());
                    long cpuStart = processCpuNanos();
                    long start = System.nanoTime();
                    List<FillMaskAnswer> answers = engines.get(name).predict(batch);
                    wall.get(name)[round] += (System.nanoTime() - start) / 1e6 / batches.size();
                    cpu.get(name)[round] += (processCpuNanos() - cpuStart) / 1e6 / batches.size();
                    if (answers.size() != batch.size()) {
                        throw new IllegalStateException("lost answers");
                    }
                }
            }
        }
        return new Timings(wall, cpu);
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private void printTimings(Timings timings) {
        printTimesTheFullHead(timings.wall());
        out.println("process CPU ms per batch (median of " + rounds + " rounds):");
        timings.cpu().forEach((name, ms) -> out.printf(Locale.ROOT, "  %-32s %7.1f ms%n", name, median(ms)));
        out.println();
        out.println("wall clock:");
        printRatios(timings.wall());
        out.println("process CPU time:");
        printRatios(timings.cpu());
    }

    private void printRatios(Map<String, double[]> millis) {
        // Same-round ratios against the first int8 variant and the fused fp32 engine: each round's ratio is taken
        // from passes run one right after the other, so load that comes and goes cancels out better than in a ratio
        // of medians.
        String firstInt8 = millis.keySet().stream().filter(k -> k.startsWith("int8 ")).findFirst().orElse(null);
        if (firstInt8 == null) {
            return;
        }
        out.println("same-round speed ratios (median over " + rounds + " rounds of old ms / new ms):");
        for (String name : millis.keySet()) {
            out.printf(Locale.ROOT, "  %-32s x%.3f %s, x%.3f fp32 head at the masks, fused%n", name,
                    medianRatio(millis.get(firstInt8), millis.get(name)), firstInt8,
                    medianRatio(millis.get("fp32 head at the masks, fused"), millis.get(name)));
        }
        out.println();
    }

    /** The median over rounds of {@code old[r] / candidate[r]}: how many times faster the candidate ran. */
    static double medianRatio(double[] old, double[] candidate) {
        double[] ratios = new double[old.length];
        for (int r = 0; r < old.length; r++) {
            ratios[r] = old[r] / candidate[r];
        }
        return median(ratios);
    }

    private void printTimesTheFullHead(Map<String, double[]> millis) {
        double base = median(millis.get("fp32 head at every position"));
        out.println();
        out.println("ms per batch of " + BATCH + " short sentences (median of " + rounds + " rounds):");
        for (Map.Entry<String, double[]> m : millis.entrySet()) {
            double med = median(m.getValue());
            out.printf(Locale.ROOT, "  %-32s %7.1f ms  (%.2fx the full head; min %.1f, max %.1f)%n",
                    m.getKey(), med, base / med, Arrays.stream(m.getValue()).min().orElse(0),
                    Arrays.stream(m.getValue()).max().orElse(0));
        }
        out.println();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
