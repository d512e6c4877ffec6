package dev.fillmask.job.bench;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.schemas.FillMaskRequest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./fill-mask bench --slots-memory}: a TaskManager's resident memory with 1, 2 and 4 slots, each slot's engine
 * opened the way the operator opens it ({@link FillMaskEngine#open}, one per slot, in one JVM) and run on a batch of
 * 16, for each way of holding the weights: each slot its own copy (as before sharing), shared with prepacking (the
 * default), shared without prepacking. Each way is measured in a JVM of its own, so what one leaves behind (freed
 * but not returned to the system) does not count towards another. What the way costs in speed is measured there too:
 * one engine with every core, requests/s at batch 16 on the bench corpus, the median of the rounds.
 */
public final class SlotsMemory {
    /** A way of holding the weights: a row of the table. */
    record Way(String label, boolean shared, boolean prepacking) {}

    static final List<Way> WAYS = List.of(
            new Way("each slot its own copy", false, true),
            new Way("shared", true, true),
            new Way("shared, no prepacking", true, false));

    private static final String SLOTS_LINE = "slots ";
    private static final String RATE_LINE = "rate ";
    private final Path model;
    private final List<Integer> slots;
    private final int rounds;
    private final PrintStream out;
    private final PrintStream progress;

    public SlotsMemory(Path model, List<Integer> slots, int rounds, PrintStream out, PrintStream progress) {
        if (slots.isEmpty() || slots.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--slots needs slot counts >= 1, got " + slots);
        }
        this.model = model;
        this.slots = slots.stream().distinct().sorted().toList();
        this.rounds = Math.max(1, rounds);
        this.out = out;
        this.progress = progress;
    }

    public void run() throws IOException, InterruptedException {
        int most = slots.get(slots.size() - 1);
        long weights = ModelCatalog.weightBytes(model);
        progress.println("bench: the shared weights' split form of " + model + " (made once per model, before any "
                + "figure)...");
        measure(new Way("warm-up", true, true), List.of(1), 0);
        List<String[]> rows = new ArrayList<>();
        for (Way way : WAYS) {
            progress.printf(Locale.ROOT, "bench: %d engines in one JVM, weights %s...%n", most, way.label());
            Figures figures = measure(way, slots, rounds);
            TreeMap<Integer, Long> growth = figures.growth();
            List<String> cells = new ArrayList<>(List.of(way.label(), way.prepacking() ? "on" : "off"));
            for (int n : slots) {
                cells.add(mb(growth.get(n)));
            }
            int least = slots.get(0);
            double perSlot = most == least ? Double.NaN
                    : (growth.get(most) - growth.get(least)) / (double) (most - least);
            cells.add(mb(Math.round(perSlot)));
            cells.add(String.format(Locale.ROOT, "%.0f %%", 100 * perSlot / weights));
            cells.add(String.format(Locale.ROOT, "%.1f", figures.rate()));
            rows.add(cells.toArray(String[]::new));
        }
        List<String> head = new ArrayList<>(List.of("weights", "prepacking"));
        slots.forEach(n -> head.add(n + (n == 1 ? " slot" : " slots")));
        head.add("each added slot");
        head.add("added slot / weights");
        head.add("engine req/s (batch 16)");
        out.println("| " + String.join(" | ", head) + " |");
        out.println("|" + "---|".repeat(head.size()));
        rows.forEach(r -> out.println("| " + String.join(" | ", r) + " |"));
        out.printf(Locale.ROOT, "summary: RSS growth of one JVM over its size before the first engine, %s, weights "
                + "%,d MB, engines with %d intra-op threads each (cores / %d slots); req/s: one engine with %d "
                + "threads, median of %d rounds%n", model.getFileName(), Math.round(weights / 1e6), threads(most), most,
                threads(1), rounds);
    }

    /** What a measuring JVM reports: RSS growth by slot count, and one engine's requests/s (NaN when not asked). */
    private record Figures(TreeMap<Integer, Long> growth, double rate) {}

    private Figures measure(Way way, List<Integer> counts, int rateRounds) throws IOException, InterruptedException {
        Path args = Files.createTempFile("fill-mask-bench", ".args");
        try {
            // The class path goes in an @argfile: ONNX Runtime reads /proc/self/cmdline when it starts and fails on
            // command lines of several KB (see the fill-mask script).
            Files.writeString(args, "-cp\n\"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n",
                    StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-D" + FillMaskHome.PROPERTY + "=" + FillMaskHome.resolve(),
                    "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                    "@" + args, SlotsMemory.class.getName(), model.toString(), Boolean.toString(way.shared()),
                    Boolean.toString(way.prepacking()), Integer.toString(threads(counts.get(counts.size() - 1))),
                    Integer.toString(rateRounds)));
            counts.forEach(n -> command.add(Integer.toString(n)));
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            TreeMap<Integer, Long> growth = new TreeMap<>();
            double rate = Double.NaN;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith(SLOTS_LINE)) {
                        String[] parts = line.split(" ");
                        growth.put(Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
                    } else if (line.startsWith(RATE_LINE)) {
                        rate = Double.parseDouble(line.substring(RATE_LINE.length()));
                    }
                }
            }
            if (!child.waitFor(10, TimeUnit.MINUTES) || child.exitValue() != 0 || !growth.keySet().containsAll(counts)
                    || rateRounds > 0 && Double.isNaN(rate)) {
                child.destroyForcibly();
                throw new IOException("measuring " + way.label() + " failed (exit " + (child.isAlive() ? "-" :
                        child.exitValue()) + ", figures " + growth + ")");
            }
            return new Figures(growth, rate);
        } finally {
            Files.deleteIfExists(args);
        }
    }

    /** The intra-op threads a slot's session gets on this machine when a TaskManager has {@code slots} slots. */
    private static int threads(int slots) {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / slots);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%+,d MB", Math.round(bytes / 1e6));
    }

    /**
     * The measuring JVM: {@code model shared prepacking threads rounds slots...}; prints {@code slots N bytes}, the
     * RSS growth once N engines are open and have each answered a batch of 16; then, when rounds > 0, closes them and
     * prints {@code rate R}, one engine's requests/s with every core.
     */
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        EngineOptions options = EngineOptions.defaults().withSharedWeights(Boolean.parseBoolean(args[1]))
                .withPrepacking(Boolean.parseBoolean(args[2])).withIntraOpThreads(Integer.parseInt(args[3]));
        List<FillMaskRequest> batch = BenchCorpus.inMaskTokenOf(BenchCorpus.shortSet(),
                ModelFolder.open(model).maskToken()).subList(0, 16);
        long before = SessionMemory.residentBytes();
        List<FillMaskEngine> engines = new ArrayList<>();
        try {
            for (int i = 5; i < args.length; i++) {
                int n = Integer.parseInt(args[i]);
                while (engines.size() < n) {
                    FillMaskEngine engine = FillMaskEngine.open(model, options);
                    engines.add(engine);
                    engine.predict(batch);
                }
                System.out.println(SLOTS_LINE + n + " " + (SessionMemory.residentBytes() - before));
            }
        } finally {
            engines.forEach(FillMaskEngine::close);
        }
        int rounds = Integer.parseInt(args[4]);
        if (rounds > 0) {
            List<FillMaskRequest> corpus = BenchCorpus.inMaskTokenOf(BenchCorpus.shortSet(),
                    ModelFolder.open(model).maskToken());
            try (FillMaskEngine engine = FillMaskEngine.open(model, options.withIntraOpThreads(threads(1)))) {
                System.out.println(RATE_LINE + Benchmark.engineRate(engine, corpus, 16, rounds).median());
            }
        }
    }
}
