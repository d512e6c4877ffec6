package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;
import dev.fillmask.job.EngineSettings;
import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.JobArguments;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;

import org.apache.flink.configuration.Configuration;

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

    /** The engine's options, the job's own definitions ({@link FillMaskOptions#ENGINE}). */
    static final List<CommandLine.Option> OPTIONS = JobArguments.options(FillMaskOptions.ENGINE);

    private PredictCommand() {}

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) throws IOException {
        CommandLine cli = new CommandLine("predict", SUMMARY, OPTIONS).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        Configuration config = JobArguments.toConfiguration(cli, FillMaskOptions.ENGINE);
        int batchSize = config.get(FillMaskOptions.BATCH_SIZE);
        if (batchSize < 1) {
            throw new CommandLine.UsageException("--batch-size must be >= 1, got " + batchSize);
        }
        EngineOptions options = EngineSettings.of(config, FillMaskOptions.requestLimits(config));
        Path model = FillMaskJob.modelFolder(config);

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
