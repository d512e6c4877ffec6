package dev.fillmask.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.importer.DefaultModel;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.quantize.AccuracyReport;
import dev.fillmask.engine.quantize.Int8Options;
import dev.fillmask.engine.quantize.Int8Quantizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A measurement, not a test: milliseconds per batch of 16 short sentences of the bench corpus for the default model
 * with the LM head at every position (the plain export), at the masks, and in int8 variants, plus each int8
 * variant's agreement with fp32 on the whole corpus. The engines run in interleaved rounds so that other load on
 * the machine spreads over all of them; the medians are printed.
 *
 * <pre>
 * java -cp &lt;udf test class path&gt; dev.fillmask.engine.HeadAndInt8Timing [corpus.jsonl] [rounds] [threads]
 * </pre>
 */
public final class HeadAndInt8Timing {
    private HeadAndInt8Timing() {}

    public static void main(String[] args) throws IOException {
        Path corpusFile = Path.of(args.length > 0 ? args[0] : "job/src/main/resources/bench/corpus.jsonl");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        List<FillMaskRequest> corpus = readCorpus(corpusFile);
        List<FillMaskRequest> shortOnes = corpus.stream().filter(r -> r.inputs().split(" ").length <= 12).toList();
        List<List<FillMaskRequest>> batches = new ArrayList<>();
        for (int i = 0; i + 16 <= shortOnes.size(); i += 16) {
            batches.add(shortOnes.subList(i, i + 16));
        }
        System.out.printf(Locale.ROOT, "%d short sentences (<= 12 words) -> %d batches of 16; %d rounds; %s threads%n",
                shortOnes.size(), batches.size(), rounds, threads == 0 ? "all" : threads);

        Path work = Files.createTempDirectory("head-int8-timing");
        Path gathered = DefaultModel.ensureImported(System.err);
        Path plain = DefaultModel.exportTo(work.resolve("plain"), HeadForm.FULL, System.err);
        Map<String, Path> int8 = new LinkedHashMap<>();
        // Variants: outlier channels[-lN][-rN], e.g. 32 (the defaults), 0 (no outlier channels), 32-l0-r0 (the
        // older per-tensor mode: per-tensor activation scales, every layer in int8).
        for (String variant : System.getProperty("int8.variants", "32,0,32-l0-r0").split(",")) {
            String[] parts = variant.split("-");
            Int8Options options = Int8Options.defaults().withOutlierChannels(Integer.parseInt(parts[0]));
            // Optional suffixes: lN keeps the last N layers wholly in float32, r1/r0 turns per-row activation scales
            // on/off (default: the quantizer's defaults).
            for (int p = 1; p < parts.length; p++) {
                int n = Integer.parseInt(parts[p].substring(1));
                options = switch (parts[p].charAt(0)) {
                    case 'l' -> options.withFloatLayers(n);
                    case 'r' -> options.withPerRowActivations(n != 0);
                    default -> throw new IllegalArgumentException("unknown variant part " + parts[p]);
                };
            }
            Int8Quantizer.FolderResult r = Int8Quantizer.quantizeFolder(gathered, work.resolve(variant), options, null);
            System.out.println("int8 " + variant + ": " + r.describe());
            int8.put("int8 " + variant, r.out());
        }

        EngineOptions options = EngineOptions.defaults().withIntraOpThreads(threads);
        Map<String, FillMaskEngine> engines = new LinkedHashMap<>();
        engines.put("fp32 head at every position", FillMaskEngine.open(plain, options, false));
        engines.put("fp32 head at the masks", FillMaskEngine.open(gathered, options));
        engines.put("fp32 plain export, rewritten", FillMaskEngine.open(plain, options, true));
        int8.forEach((name, path) -> engines.put(name, FillMaskEngine.open(path, options)));
        try {
            Map<String, double[]> millis = new LinkedHashMap<>();
            engines.forEach((name, e) -> {
                e.predict(batches.get(0)); // warm-up
                millis.put(name, new double[rounds]);
            });
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, FillMaskEngine> e : engines.entrySet()) {
                    long start = System.nanoTime();
                    for (List<FillMaskRequest> batch : batches) {
                        List<FillMaskAnswer> answers = e.getValue().predict(batch);
                        if (answers.size() != batch.size()) {
                            throw new IllegalStateException("lost answers");
                        }
                    }
                    millis.get(e.getKey())[round] = (System.nanoTime() - start) / 1e6 / batches.size();
                }
            }
            double base = median(millis.get("fp32 head at every position"));
            System.out.println();
            System.out.println("ms per batch of 16 short sentences (median of " + rounds + " rounds):");
            for (Map.Entry<String, double[]> m : millis.entrySet()) {
                double med = median(m.getValue());
                System.out.printf(Locale.ROOT, "  %-32s %7.1f ms  (%.2fx the full head; min %.1f, max %.1f)%n",
                        m.getKey(), med, base / med, Arrays.stream(m.getValue()).min().orElse(0),
                        Arrays.stream(m.getValue()).max().orElse(0));
            }
            System.out.println();
            FillMaskEngine reference = engines.get("fp32 head at the masks");
            for (String name : int8.keySet()) {
                AccuracyReport report = AccuracyReport.compare(reference, engines.get(name), corpus, 16);
                System.out.print(report.format("fp32", name));
            }
            AccuracyReport heads = AccuracyReport.compare(engines.get("fp32 head at every position"), reference, corpus, 16);
            System.out.print(heads.format("fp32 full head", "fp32 head at masks"));
            AccuracyReport rewrite = AccuracyReport.compare(engines.get("fp32 head at every position"),
                    engines.get("fp32 plain export, rewritten"), corpus, 16);
            System.out.print(rewrite.format("fp32 full head", "fp32 rewritten at load"));
        } finally {
            engines.values().forEach(FillMaskEngine::close);
            deleteRecursively(work);
        }
    }

    static List<FillMaskRequest> readCorpus(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<FillMaskRequest> corpus = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                corpus.add(FillMaskRequest.of(json.readTree(line).get("inputs").asText()));
            }
        }
        return corpus;
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
