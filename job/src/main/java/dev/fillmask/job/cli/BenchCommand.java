package dev.fillmask.job.cli;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.EngineSettings;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.JobArguments;
import dev.fillmask.job.bench.Benchmark;
import dev.fillmask.job.bench.FusionTiming;
import dev.fillmask.job.bench.HeadAndInt8Timing;
import dev.fillmask.job.bench.SlotsMemory;
import dev.fillmask.schemas.RequestLimits;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** {@code ./fill-mask bench}: throughput of the raw session, the engine and the streaming job, in one table. */
final class BenchCommand {
    static final String SUMMARY = """
            Measures, on the shipped corpus (job/src/main/resources/bench/corpus.jsonl) and in one run: the raw ONNX
            Runtime session on pre-tokenized batches (the ceiling), the engine (the predict path), and the streaming
            job end to end (embedded broker + local Flink, exactly-once). Prints a Markdown table and a summary line.
            With --heads-and-int8 instead: the default model's LM head at every position vs at the masks, and int8
            variants, in milliseconds per batch of 16 short sentences, with each variant's accuracy against fp32.
            With --fusions instead: the model's float32 graph as imported against its fused form (ONNX Runtime's
            Attention and SkipLayerNormalization), batch by batch in turns, in requests/s and CPU time.
            With --slots-memory instead: a TaskManager's resident memory with 1, 2 and 4 slots (one engine each, in
            one JVM), with each slot's own copy of the weights, shared, and shared without prepacking.
            A benchmark, not a test: run it on a quiet machine.""";

    /** The engine options the bench takes, besides the model. */
    private static final List<ConfigOption<?>> ENGINE_OPTIONS = List.of(FillMaskOptions.THREADS,
            FillMaskOptions.SHARED_WEIGHTS, FillMaskOptions.PREPACKING, FillMaskOptions.SPIN_WAIT);

    private static final List<CommandLine.Option> OPTIONS = Stream.concat(
            JobArguments.options(Stream.concat(Stream.of(FillMaskOptions.MODEL), ENGINE_OPTIONS.stream()).toList())
                    .stream(), Stream.of(
            new CommandLine.Option("rounds", "N", "passes over the corpus per measurement", "3"),
            new CommandLine.Option("no-stream", null, "leave out the streaming job", null),
            new CommandLine.Option("other-models", "LIST", "comma-separated models (built-in names or folders) that get "
                    + "an engine row of their own with their memory; 'none' for none (imported first if needed)",
                    "the other built-in models"),
            new CommandLine.Option("heads-and-int8", null,
                    "compare the LM head forms and int8 variants of the default model instead", null),
            new CommandLine.Option("fusions", null,
                    "compare the model's float32 graph as imported with its fused form instead", null),
            new CommandLine.Option("int8-variants", "LIST", "with --heads-and-int8: comma-separated variants, "
                    + "outliers[-lN][-rN][-gN][-sN][-uN][-wN] (outlier channels kept in float32; lN: the last N layers "
                    + "in float32; rN: per-row activation scales on/off; g1: quantize the fused graph; s1: static "
                    + "activation scales; u1: uint8 weights with all 8 bits; w7/w8: 7- or 8-bit int8 weights)",
                    HeadAndInt8Timing.DEFAULT_VARIANTS),
            new CommandLine.Option("slots-memory", null, "measure a TaskManager's memory at several slots instead",
                    null),
            new CommandLine.Option("slots", "LIST", "with --slots-memory: comma-separated slot counts", "1,2,4"),
            ListenOption.OPTION)).toList();

    private BenchCommand() {}

    private static List<Path> otherModels(CommandLine cli, Path model, PrintStream err) {
        List<String> names = !cli.has("other-models") ? BuiltInModel.names()
                : cli.get("other-models").equals("none") ? List.of()
                : List.of(cli.get("other-models").split(","));
        return names.stream()
                .map(String::trim)
                .filter(n -> !n.isEmpty())
                .map(n -> ModelCatalog.resolve(n, err))
                .filter(p -> !p.toAbsolutePath().equals(model.toAbsolutePath()))
                .distinct()
                .toList();
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        CommandLine cli = new CommandLine("bench", SUMMARY, OPTIONS).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (cli.flag("heads-and-int8")) {
            List<String> variants = List.of(cli.get("int8-variants").split(","));
            new HeadAndInt8Timing(cli.intValue("rounds", 1), cli.intValue("threads", 0), variants, out, err).run();
            return 0;
        }
        Path model = ModelCatalog.resolve(cli.has("model") ? cli.get("model") : "", err);
        if (cli.flag("fusions")) {
            new FusionTiming(model, cli.intValue("rounds", 1), cli.intValue("threads", 0), out, err).run();
            return 0;
        }
        if (cli.flag("slots-memory")) {
            List<Integer> slots = Stream.of(cli.get("slots").split(",")).map(String::trim).map(Integer::parseInt)
                    .toList();
            new SlotsMemory(model, slots, cli.intValue("rounds", 1), out, err).run();
            return 0;
        }
        Configuration config = JobArguments.toConfiguration(cli, ENGINE_OPTIONS);
        EngineOptions options = EngineSettings.of(config, RequestLimits.defaults());
        new Benchmark(model, otherModels(cli, model, err), options, config, cli.intValue("rounds", 1),
                ListenOption.of(cli), out, err).run(!cli.flag("no-stream"));
        return 0;
    }
}
