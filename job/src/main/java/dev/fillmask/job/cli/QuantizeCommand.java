package dev.fillmask.job.cli;

import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.JobArguments;
import dev.fillmask.job.bench.BenchCorpus;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.quantize.AccuracyReport;
import dev.fillmask.engine.quantize.CpuFeatures;
import dev.fillmask.engine.quantize.Int8Options;
import dev.fillmask.engine.quantize.Int8Quantizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code ./fill-mask quantize}: writes an int8 copy of a model folder, then prints how its answers compare with the
 * float32 model's on the bench corpus (top-1 agreement, top-5 overlap, largest score difference) and how long a
 * batch took with each. int8 is opt-in: point {@code predict}/{@code run} at the output folder to use it.
 */
final class QuantizeCommand {
    static final String SUMMARY = """
            Writes an int8 copy of a model folder to --out: the encoder's MatMuls with constant weights become
            ONNX Runtime int8 MatMuls (the LM head stays float32), tokenizer and config files are copied. A short
            calibration run finds the activation channels too large for int8, which stay float32. Then compares the
            copy with the float32 model on the bench corpus and on a held-out corpus of other prose (manuals,
            recipes, dialogue, news; never used for calibration) and prints both reports on stdout.""";

    static final List<CommandLine.Option> OPTIONS = Stream.concat(
            JobArguments.options(List.of(FillMaskOptions.MODEL, FillMaskOptions.BATCH_SIZE, FillMaskOptions.THREADS))
                    .stream(),
            Stream.of(
            new CommandLine.Option("out", "DIR", "folder to write the int8 model into (required)", null),
            new CommandLine.Option("outlier-channels", "N",
                    "at most N outlier channels per activation kept in float32 (0: none)",
                    String.valueOf(Int8Options.DEFAULT_OUTLIER_CHANNELS)),
            new CommandLine.Option("activation-scales", "row|tensor",
                    "row: each token's activations scaled to the int8 range on their own (accurate); tensor: one "
                            + "scale per activation tensor (the older, slightly faster mode)",
                    Int8Options.DEFAULT_PER_ROW_ACTIVATIONS ? "row" : "tensor"),
            new CommandLine.Option("float-layers", "N", "all MatMuls of the last N transformer layers stay float32",
                    String.valueOf(Int8Options.DEFAULT_FLOAT_LAYERS)),
            new CommandLine.Option("graph", "fused|imported",
                    "fused: quantize the encoder fused into ONNX Runtime's attention, skip-layer-norm and bias-GELU "
                            + "ops (faster); imported: the graph as imported (the older form)",
                    Int8Options.DEFAULT_FUSED ? "fused" : "imported"),
            new CommandLine.Option("activations", "static|dynamic",
                    "static: each activation quantized once with a constant scale (rows normalized first); "
                            + "dynamic: at every MatMul with a scale found at run time (the older form)",
                    Int8Options.DEFAULT_STATIC_ACTIVATIONS ? "static" : "dynamic"),
            new CommandLine.Option("unsigned-weights", "true|false",
                    "uint8 weights with all 8 bits, multiplied by ONNX Runtime's u8xu8 kernel: more accurate than "
                            + "--reduce-range's 7-bit weights on CPUs without VNNI, slower per multiply", "false"),
            new CommandLine.Option("per-tensor", null, "one weight scale per matrix instead of per column", null),
            new CommandLine.Option("reduce-range", "true|false", "7-bit weights, for CPUs without VNNI (AVX2 only)",
                    "true on an x86 CPU without VNNI, like this one is: " + CpuFeatures.x86WithoutVnni()),
            new CommandLine.Option("corpus", "FILE", "JSONL fill-mask requests to compare on",
                    "the bench corpus and the held-out corpus"),
            new CommandLine.Option("no-report", null, "only write the int8 model", null))).toList();

    private QuantizeCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        CommandLine cli = new CommandLine("quantize", SUMMARY, OPTIONS).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (!cli.has("out")) {
            throw new CommandLine.UsageException("--out DIR is required: the folder to write the int8 model into");
        }
        boolean reduceRange = cli.has("reduce-range") ? Boolean.parseBoolean(cli.get("reduce-range"))
                : Int8Options.defaults().reduceRange();
        Int8Options options = new Int8Options(!cli.flag("per-tensor"), reduceRange,
                cli.intValue("outlier-channels", 0), cli.intValue("float-layers", 0),
                parseActivationScales(cli.get("activation-scales")), false, false, false)
                .withFused(choice(cli.get("graph"), "--graph", "fused", "imported"))
                .withStaticActivations(choice(cli.get("activations"), "--activations", "static", "dynamic"));
        if (Boolean.parseBoolean(cli.get("unsigned-weights"))) {
            options = options.withUnsignedWeights(true);
        }
        Path model = ModelCatalog.resolve(cli.has("model") ? cli.get("model") : "", err);
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(model, Path.of(cli.get("out")), options, err);
        err.println("fill-mask quantize: " + result.describe());
        if (cli.flag("no-report")) {
            return 0;
        }
        Map<String, List<FillMaskRequest>> corpora = new LinkedHashMap<>();
        if (cli.has("corpus")) {
            try (InputStream in = Files.newInputStream(Path.of(cli.get("corpus")))) {
                corpora.put(cli.get("corpus"), BenchCorpus.read(in));
            }
        } else {
            corpora.put("the bench corpus", BenchCorpus.shortSet());
            corpora.put("the held-out corpus", BenchCorpus.heldOutSet());
        }
        EngineOptions engineOptions = EngineOptions.defaults().withIntraOpThreads(cli.intValue("threads", 0));
        try (FillMaskEngine fp32 = FillMaskEngine.open(model, engineOptions);
             FillMaskEngine int8 = FillMaskEngine.open(result.out(), engineOptions)) {
            for (Map.Entry<String, List<FillMaskRequest>> corpus : corpora.entrySet()) {
                out.println(corpus.getKey() + ":");
                AccuracyReport report = AccuracyReport.compare(fp32, int8, corpus.getValue(),
                        cli.intValue("batch-size", 1));
                out.print(report.format("fp32", "int8"));
            }
        }
        return 0;
    }

    /** True for {@code yes}, false for {@code no}, else a usage error naming {@code option}. */
    private static boolean choice(String value, String option, String yes, String no) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals(yes) || v.equals(no)) {
            return v.equals(yes);
        }
        throw new CommandLine.UsageException(option + " must be " + yes + " or " + no + ", got '" + value + "'");
    }

    private static boolean parseActivationScales(String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "row" -> true;
            case "tensor" -> false;
            default -> throw new CommandLine.UsageException("--activation-scales must be row or tensor, got '" + value + "'");
        };
    }
}
