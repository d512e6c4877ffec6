package dev.fillmask.job.cli;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.ExecutionProvider;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.GraphOptimization;
import dev.fillmask.engine.importer.DefaultModel;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./fill-mask predict}: JSONL requests on stdin, one JSON answer line per input line on stdout, in input
 * order. A line that is not a valid request gets an {@code {"error": ...}} line; the process never stops on input.
 */
final class PredictCommand {
    static final String SUMMARY = "Reads fill-mask requests, one JSON object per line, on stdin and writes one JSON line per"
            + "\ninput line on stdout, in input order: the answer (Hugging Face schema) or {\"error\": \"...\"}."
            + "\nLogs go to stderr.";

    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("model", "DIR",
                    "model folder (model.onnx, tokenizer.json, tokenizer_config.json, config.json)", "the default model"),
            new CommandLine.Option("batch-size", "N", "requests per ONNX Runtime run", "16"),
            new CommandLine.Option("threads", "N", "ONNX Runtime intra-op threads; 0 = all cores", "0"),
            new CommandLine.Option("provider", "cpu|cuda", "execution provider", "cpu"),
            new CommandLine.Option("cpu-fallback", null, "run on CPU (with a warning) when CUDA cannot be used", null),
            new CommandLine.Option("optimization", "LEVEL", "graph optimization: none, basic, extended, all", "all"),
            new CommandLine.Option("max-answer-bytes", "N", "largest answer in bytes of JSON; a larger one becomes an "
                    + "error saying what to lower (the job's bound)",
                    Integer.toString(RequestLimits.DEFAULT_MAX_ANSWER_BYTES)));

    private PredictCommand() {}

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) throws IOException {
        CommandLine cli = new CommandLine("predict", SUMMARY, OPTIONS).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        int batchSize = cli.intValue("batch-size", 1);
        EngineOptions options = EngineOptions.defaults()
                .withLimits(RequestLimits.defaults().withMaxAnswerBytes(
                        cli.intValue("max-answer-bytes", RequestLimits.DEFAULT_MAX_ANSWER_BYTES)))
                .withIntraOpThreads(cli.intValue("threads", 0))
                .withOptimization(GraphOptimization.parse(cli.get("optimization")))
                .withProvider(ExecutionProvider.parse(cli.get("provider")), 0, cli.flag("cpu-fallback"));
        Path model = cli.has("model") ? Path.of(cli.get("model")) : DefaultModel.ensureImported(err);

        FillMaskCodec codec = new FillMaskCodec(options.limits());
        try (FillMaskEngine engine = FillMaskEngine.open(model, options)) {
            OutputStream sink = new BufferedOutputStream(out, 1 << 16);
            LineReader lines = new LineReader(in);
            long answered = 0;
            List<byte[]> batch = new ArrayList<>(batchSize);
            byte[] line;
            while ((line = lines.next()) != null) {
                batch.add(line);
                if (batch.size() == batchSize) {
                    answered += answer(batch, codec, engine, sink);
                }
            }
            answered += answer(batch, codec, engine, sink);
            err.println("fill-mask: answered " + answered + " request(s)");
        }
        return 0;
    }

    /** Answers one batch in order, writes the lines, flushes, and empties the batch. */
    private static int answer(List<byte[]> batch, FillMaskCodec codec, FillMaskEngine engine, OutputStream sink)
            throws IOException {
        int n = batch.size();
        if (n == 0) {
            return 0;
        }
        List<DecodedRequest> requests = new ArrayList<>(n);
        for (byte[] line : batch) {
            requests.add(codec.readRequest(line));
        }
        List<FillMaskAnswer> answers = engine.answer(requests);
        for (FillMaskAnswer answer : answers) {
            sink.write(codec.writeBoundedAnswer(answer).json());
            sink.write('\n');
        }
        sink.flush();
        batch.clear();
        return n;
    }
}
