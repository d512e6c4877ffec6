package dev.fillmask.job.bench;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.ModelRunner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ceiling for the benchmark: a bare ONNX Runtime session ({@link ModelRunner}) on the same model file and session
 * settings as the engine, fed pre-tokenized, pre-padded batches whose tensors are built before the clock starts.
 * Only {@code session.run} is timed. What the engine and the job reach is compared with this, measured in the same
 * run.
 */
public final class RawSessionBenchmark implements AutoCloseable {
    private final ModelRunner runner;

    /** Throughput of one configuration. */
    public record Figures(int batchSize, int sequences, long paddedTokens, double seconds) {
        public double sequencesPerSecond() {
            return sequences / seconds;
        }

        public double paddedTokensPerSecond() {
            return paddedTokens / seconds;
        }
    }

    private RawSessionBenchmark(ModelRunner runner) {
        this.runner = runner;
    }

    /** The model file the engine would load for {@code model} (a recognised plain export's head rewritten). */
    public static RawSessionBenchmark open(Path model, EngineOptions options) {
        return new RawSessionBenchmark(ModelRunner.open(model, options));
    }

    /** Model input ids of each text (special tokens added), as the engine would tokenize it. */
    public List<long[]> tokenize(List<String> texts) {
        return runner.tokenize(texts);
    }

    /**
     * Runs all of {@code inputs} in batches of {@code batchSize} (in the given order, each padded to its longest),
     * {@code rounds} times after one untimed warm-up round.
     */
    public Figures measure(List<long[]> inputs, int batchSize, int rounds) {
        List<List<long[]>> batches = new ArrayList<>();
        for (int from = 0; from < inputs.size(); from += batchSize) {
            batches.add(inputs.subList(from, Math.min(inputs.size(), from + batchSize)));
        }
        try (ModelRunner.Prepared prepared = runner.prepare(batches)) {
            runner.runAll(prepared);
            long start = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                runner.runAll(prepared);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Figures(batchSize, inputs.size() * rounds, prepared.paddedTokens() * rounds, seconds);
        }
    }

    @Override
    public void close() {
        runner.close();
    }
}
