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
    /** @param seconds the median round's; {@code spread}: how far apart the rounds' rates were */
    public record Figures(int batchSize, int sequences, long paddedTokens, double seconds, double spread) {
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
     * Runs all of {@code inputs} in batches of {@code batchSize} (in the given order, each padded to its longest, or,
     * {@code grouped}, each split into runs of similar lengths as the engine splits it), after one untimed warm-up
     * round. The figures are those of the median of {@code rounds} timed rounds.
     */
    public Figures measure(List<long[]> inputs, int batchSize, int rounds, boolean grouped) {
        List<List<long[]>> batches = new ArrayList<>();
        for (int from = 0; from < inputs.size(); from += batchSize) {
            List<long[]> batch = inputs.subList(from, Math.min(inputs.size(), from + batchSize));
            if (grouped) {
                batches.addAll(ModelRunner.runsOf(batch));
            } else {
                batches.add(batch);
            }
        }
        try (ModelRunner.Prepared prepared = runner.prepare(batches)) {
            runner.runAll(prepared);
            double[] seconds = new double[Math.max(1, rounds)];
            double[] rates = new double[seconds.length];
            for (int r = 0; r < seconds.length; r++) {
                long start = System.nanoTime();
                runner.runAll(prepared);
                seconds[r] = (System.nanoTime() - start) / 1e9;
                rates[r] = inputs.size() / seconds[r];
            }
            return new Figures(batchSize, inputs.size(), prepared.paddedTokens(), Rounds.median(seconds),
                    Rounds.spread(rates));
        }
    }

    @Override
    public void close() {
        runner.close();
    }
}
