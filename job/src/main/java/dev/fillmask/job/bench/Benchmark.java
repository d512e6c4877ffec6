package dev.fillmask.job.bench;

import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.LocalJob;
import dev.fillmask.job.sql.SqlScriptJob;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.job.FillMaskOptions.DeliveryGuarantee;

import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./fill-mask bench}: the raw ONNX Runtime session (the ceiling), the engine, and the streaming job end to end,
 * on the same corpus in the same run, as one table with each one's ratio to the ceiling; then the engine on other
 * models (the other built-in ones by default), each with the memory its session takes.
 */
public final class Benchmark {
    private final Path model;
    private final List<Path> otherModels;
    private final EngineOptions options;
    private final Configuration jobOptions;
    private final int rounds;
    private final ListenAddress listen;
    private final PrintStream out;
    private final PrintStream progress;
    private final List<String[]> rows = new ArrayList<>();
    /** The engine's requests/s at batch 16, which sizes the jobs' backlogs. */
    private double engineRate;
    /** The streaming job's rounds against engine passes between them ({@link JobRounds#toEngine()}). */
    private Rounds.Rate streamToEngine;
    static final String RAW = "raw ONNX Runtime session";
    static final String RAW_GROUPED = "raw ONNX Runtime session, grouped by length as the engine";
    static final String ENGINE = "engine (predict path)";
    static final String OTHER_MODEL = "engine on ";
    /** Requests in flight at once in the HTTP rows: many clients, each waiting for its answer. */
    static final int HTTP_CLIENTS = 256;
    /** The fewest passes over the corpus in each backlog round of the jobs' rows (428 requests). */
    static final int BACKLOG_PASSES = 4;
    /** Each backlog round is at least this much of the engine's work: five checkpoint intervals by default. */
    static final int BACKLOG_SECONDS = 10;

    /**
     * {@code otherModels}: models that get an engine row of their own (batch 16, with the memory their session takes)
     * beside {@code model}'s; {@code listen}: where the streaming job's broker and local Flink cluster listen.
     */
    public Benchmark(Path model, List<Path> otherModels, int threads, int rounds, ListenAddress listen, PrintStream out,
                     PrintStream progress) {
        this(model, otherModels, EngineOptions.defaults().withIntraOpThreads(threads), new Configuration(), rounds,
                listen, out, progress);
    }

    /**
     * The same with the engine's options (threads, shared weights, prepacking, spinning): {@code options} for the raw
     * and engine rows, and {@code jobOptions}, the same as the job's options, for the job rows.
     */
    public Benchmark(Path model, List<Path> otherModels, EngineOptions options, Configuration jobOptions, int rounds,
                     ListenAddress listen, PrintStream out, PrintStream progress) {
        this.model = model;
        this.otherModels = List.copyOf(otherModels);
        this.options = options;
        this.jobOptions = new Configuration(jobOptions);
        this.rounds = rounds;
        this.listen = listen;
        this.out = out;
        this.progress = progress;
    }

    public void run(boolean withStream) throws Exception {
        List<FillMaskRequest> shortSet = BenchCorpus.shortSet();
        List<FillMaskRequest> longSet;
        double raw1;
        double raw16;
        double raw16Grouped;
        double rawLong;
        try (RawSessionBenchmark raw = RawSessionBenchmark.open(model, options)) {
            int maxLength = ModelFolder.open(model).maxLength();
            longSet = BenchCorpus.longSet(shortSet, maskToken(), text -> raw.tokenize(List.of(text)).get(0).length,
                    maxLength);
            List<long[]> allShortIds = raw.tokenize(shortSet.stream().map(FillMaskRequest::inputs).toList());
            // The raw session runs no window over an input longer than the model takes (the engine does): such
            // inputs (none with BERT's 512 tokens) are left out of its rows.
            List<long[]> shortIds = allShortIds.stream().filter(ids -> ids.length <= maxLength).toList();
            if (shortIds.size() < allShortIds.size()) {
                progress.printf(Locale.ROOT, "bench: %d of %d sentences are longer than the model's %d tokens: the raw "
                        + "session rows leave them out%n", allShortIds.size() - shortIds.size(), allShortIds.size(),
                        maxLength);
            }
            List<long[]> longIds = raw.tokenize(longSet.stream().map(FillMaskRequest::inputs).toList()).stream()
                    .filter(ids -> ids.length <= maxLength).toList();
            progress.printf(Locale.ROOT, "bench: corpus %d sentences (%.1f tokens on average), long set %.1f tokens%n",
                    shortIds.size(), average(shortIds), average(longIds));
            raw1 = rawRow(raw, shortIds, 1, "short", Math.max(1, rounds / 3), false);
            rawRow(raw, shortIds, 4, "short", rounds, false);
            raw16 = rawRow(raw, shortIds, 16, "short", rounds, false);
            // The same batches split into runs of similar lengths as the engine splits them: engine/raw compares
            // like with like (the engine's own work against the session's), not the engine's grouping.
            raw16Grouped = rawRow(raw, shortIds, 16, "short", rounds, true);
            rawLong = rawRow(raw, longIds, 4, "long", Math.max(1, rounds / 3), false);
        }
        double engine1;
        double engine16;
        SessionMemory memory = SessionMemory.before();
        try (FillMaskEngine engine = FillMaskEngine.open(model, options)) {
            engine1 = engineRow(engine, shortSet, 1, "short", Math.max(1, rounds / 3), raw1, "");
            engine16 = engineRow(engine, shortSet, 16, "short", rounds, raw16Grouped, memory.describe(model));
            engineRate = engine16;
            engineRow(engine, longSet, 4, "long", Math.max(1, rounds / 3), rawLong, "");
        }
        for (Path other : otherModels) {
            SessionMemory otherMemory = SessionMemory.before();
            try (FillMaskEngine engine = FillMaskEngine.open(other, options)) {
                otherModelRow(engine, other, BenchCorpus.inMaskTokenOf(shortSet, ModelFolder.open(other).maskToken()),
                        otherMemory);
            }
        }
        double stream = Double.NaN;
        double sql = Double.NaN;
        double httpExactlyOnce = Double.NaN;
        double httpAtLeastOnce = Double.NaN;
        if (withStream) {
            stream = streamRow("streaming job end to end", LocalJob.KAFKA, shortSet, raw16);
            sql = streamRow("SQL ML_PREDICT end to end (async)", SqlScriptJob.shipped(), shortSet, raw16);
            httpExactlyOnce = httpRow(DeliveryGuarantee.EXACTLY_ONCE, shortSet, raw16, stream);
            httpAtLeastOnce = httpRow(DeliveryGuarantee.AT_LEAST_ONCE, shortSet, raw16, stream);
        }
        printTable();
        if (withStream) {
            out.printf(Locale.ROOT, "summary: engine/raw %.2f (raw grouped as the engine), e2e/engine %.2f "
                            + "(rounds paired with engine passes, median; spread %s; the rows' ratio %.2f), "
                            + "e2e/raw %.2f, engine %.1f req/s (batch 16; batch 1: %.1f), e2e %.1f req/s, SQL %.1f req/s "
                            + "(SQL/e2e %.2f), HTTP %.1f req/s exactly-once (HTTP/e2e %.2f), %.1f at-least-once%n",
                    engine16 / raw16Grouped, streamToEngine.median(),
                    streamToEngine.rounds() < 2 ? "none, one round" : streamToEngine.spreadText(),
                    stream / engine16, stream / raw16Grouped, engine16, engine1, stream, sql,
                    sql / stream, httpExactlyOnce, httpExactlyOnce / stream, httpAtLeastOnce);
        } else {
            out.printf(Locale.ROOT, "summary: engine/raw %.2f (raw grouped as the engine), engine %.1f req/s "
                    + "(batch 16; batch 1: %.1f)%n", engine16 / raw16Grouped, engine16, engine1);
        }
    }

    private double rawRow(RawSessionBenchmark raw, List<long[]> ids, int batch, String set, int r, boolean grouped) {
        progress.printf(Locale.ROOT, "bench: raw session, batch %d%s, %s set...%n", batch,
                grouped ? " grouped by length" : "", set);
        RawSessionBenchmark.Figures f = raw.measure(ids, batch, r, grouped);
        rows.add(new String[] {grouped ? RAW_GROUPED : RAW, set, Integer.toString(batch), fmt(f.sequencesPerSecond()),
                new Rounds.Rate(f.sequencesPerSecond(), f.spread(), Math.max(1, r)).spreadText(),
                fmt(f.paddedTokensPerSecond()), "1.00", "", ""});
        return f.sequencesPerSecond();
    }

    private double engineRow(FillMaskEngine engine, List<FillMaskRequest> requests, int batch, String set, int r,
                             double rawRate, String memory) {
        progress.printf(Locale.ROOT, "bench: engine, batch %d, %s set...%n", batch, set);
        Rounds.Rate rate = engineRate(engine, requests, batch, r);
        rows.add(new String[] {ENGINE, set, Integer.toString(batch), fmt(rate.median()), rate.spreadText(), "",
                String.format(Locale.ROOT, "%.2f", rate.median() / rawRate), "", memory});
        return rate.median();
    }

    /** Another model on the same sentences (its own mask token), batch 16: no raw row, so no ratio. */
    private void otherModelRow(FillMaskEngine engine, Path other, List<FillMaskRequest> requests, SessionMemory memory) {
        String name = String.valueOf(other.getFileName());
        progress.printf(Locale.ROOT, "bench: engine on %s, batch 16, short set...%n", name);
        Rounds.Rate rate = engineRate(engine, requests, 16, rounds);
        rows.add(new String[] {OTHER_MODEL + name, "short", "16", fmt(rate.median()), rate.spreadText(), "", "", "",
                memory.describe(other)});
    }

    /** Requests per second over {@code r} passes (one each), after one to warm up. */
    static Rounds.Rate engineRate(FillMaskEngine engine, List<FillMaskRequest> requests, int batch, int r) {
        predictAll(engine, requests, batch);
        double[] rates = new double[Math.max(1, r)];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = enginePass(engine, requests, batch);
        }
        return Rounds.Rate.of(rates);
    }

    private static void predictAll(FillMaskEngine engine, List<FillMaskRequest> requests, int batch) {
        for (int from = 0; from < requests.size(); from += batch) {
            engine.predict(requests.subList(from, Math.min(requests.size(), from + batch)));
        }
    }

    /** The row of a job over Kafka: the streaming job, or the SQL script on the same topics. */
    private double streamRow(String label, LocalJob job, List<FillMaskRequest> shortSet, double rawRate)
            throws Exception {
        FillMaskCodec codec = new FillMaskCodec();
        List<byte[]> values = shortSet.stream().map(codec::writeRequest).toList();
        progress.println("bench: " + label + " (embedded broker, local Flink, exactly-once, checkpoints every "
                + dev.fillmask.job.FillMaskOptions.CHECKPOINT_INTERVAL.defaultValue().toSeconds() + " s), batch 16...");
        listen.exposureWarning(true).ifPresent(progress::println);
        boolean paired = job == LocalJob.KAFKA;
        try (StreamBenchmark stream = new StreamBenchmark(model, listen, job, jobOptions);
             FillMaskEngine engine = paired ? FillMaskEngine.open(model, options) : null) {
            JobRounds jobRounds = sustainedRate(label, values, stream::answerBacklog, engine, shortSet);
            Rounds.Rate rate = jobRounds.rate();
            if (paired) {
                streamToEngine = jobRounds.toEngine();
            }
            progress.printf(Locale.ROOT, "bench: %s, %d requests at half that rate for latency...%n", label,
                    values.size());
            StreamBenchmark.Latency l = stream.latency(values, rate.median() / 2);
            rows.add(new String[] {label, "short", "16", fmt(rate.median()), rate.spreadText(), "",
                    String.format(Locale.ROOT, "%.2f", rate.median() / rawRate),
                    String.format(Locale.ROOT, "p50 %.0f / p95 %.0f / p99 %.0f ms at %.1f req/s", l.p50Millis(),
                            l.p95Millis(), l.p99Millis(), rate.median() / 2), ""});
            return rate.median();
        }
    }

    /** A job answering a backlog: when each answer became visible, in nanoseconds. */
    private interface Backlog {
        long[] answer(List<byte[]> requests) throws Exception;
    }

    /**
     * A job row's rounds, and, when it is paired with the engine, the engine's passes over the corpus before the first
     * round and after each one.
     */
    private record JobRounds(double[] rates, double[] enginePasses) {
        Rounds.Rate rate() {
            return Rounds.Rate.of(rates);
        }

        /**
         * Each round against the mean of the engine passes just before and after it: a ratio of two figures taken
         * within seconds of each other, which what else the machine does over minutes (its neighbours, its clock)
         * does not move as it moves the ratio of two rows measured minutes apart.
         */
        Rounds.Rate toEngine() {
            double[] ratios = new double[rates.length];
            for (int r = 0; r < rates.length; r++) {
                ratios[r] = rates[r] / ((enginePasses[r] + enginePasses[r + 1]) / 2);
            }
            return Rounds.Rate.of(ratios);
        }
    }

    /**
     * The sustained rates ({@link SustainedRate}) of {@link #rounds} backlogs, after a pass over the corpus that warms
     * the job up as the engine rows' untimed pass does (the JIT compiles Flink's, Kafka's and the broker's paths
     * then, not in a measured round). A backlog is whole passes over the corpus, at least {@value #BACKLOG_PASSES}
     * and enough for {@value #BACKLOG_SECONDS} s of the engine's work at its measured rate, so that the part between
     * its 10 % and 90 % marks spans several checkpoints however fast the hardware is. With {@code engine} (not null),
     * a pass of it over {@code requests} runs before the first round and after each one, while the job is idle.
     */
    private JobRounds sustainedRate(String label, List<byte[]> values, Backlog job, FillMaskEngine engine,
                                    List<FillMaskRequest> requests) throws Exception {
        job.answer(values);
        int passes = Math.max(BACKLOG_PASSES, (int) Math.ceil(engineRate * BACKLOG_SECONDS / values.size()));
        List<byte[]> backlog = new ArrayList<>();
        for (int i = 0; i < passes; i++) {
            backlog.addAll(values);
        }
        double[] rates = new double[Math.max(1, rounds)];
        double[] enginePasses = new double[rates.length + 1];
        if (engine != null) {
            predictAll(engine, requests, 16);
            enginePasses[0] = enginePass(engine, requests, 16);
        }
        for (int r = 0; r < rates.length; r++) {
            progress.printf(Locale.ROOT, "bench: %s, round %d of %d (%d requests)...%n", label, r + 1, rates.length,
                    backlog.size());
            rates[r] = SustainedRate.of(job.answer(backlog)).perSecond();
            if (engine != null) {
                enginePasses[r + 1] = enginePass(engine, requests, 16);
            }
        }
        return new JobRounds(rates, enginePasses);
    }

    /** One pass of {@code engine} over {@code requests} in batches of {@code batch}, in requests/s. */
    private static double enginePass(FillMaskEngine engine, List<FillMaskRequest> requests, int batch) {
        long start = System.nanoTime();
        predictAll(engine, requests, batch);
        return requests.size() / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * The rows of the HTTP gateway in front of the job in one delivery mode: throughput with {@value #HTTP_CLIENTS}
     * requests in flight, and latency (sent to answered) at half that rate. The ratio column is to the raw session,
     * as the other rows; the summary line gives HTTP against the streaming job fed straight from Kafka.
     */
    private double httpRow(DeliveryGuarantee guarantee, List<FillMaskRequest> shortSet, double rawRate,
                           double streamRate) throws Exception {
        String label = "HTTP gateway in front of the job, " + guarantee;
        FillMaskCodec codec = new FillMaskCodec();
        List<byte[]> values = shortSet.stream().map(codec::writeRequest).toList();
        progress.println("bench: " + label + ", " + HTTP_CLIENTS + " clients in flight, batch 16...");
        try (HttpBenchmark http = new HttpBenchmark(model, listen, guarantee, jobOptions)) {
            Rounds.Rate rate = sustainedRate(label, values, requests -> http.answerBacklog(requests, HTTP_CLIENTS),
                    null, shortSet).rate();
            progress.printf(Locale.ROOT, "bench: %s, %d requests at half that rate for latency...%n", label,
                    values.size());
            StreamBenchmark.Latency l = http.latency(values, rate.median() / 2);
            rows.add(new String[] {label, "short", "16", fmt(rate.median()), rate.spreadText(), "",
                    String.format(Locale.ROOT, "%.2f", rate.median() / rawRate),
                    String.format(Locale.ROOT, "p50 %.0f / p95 %.0f / p99 %.0f ms at %.1f req/s (HTTP/streaming job"
                            + " %.2f)", l.p50Millis(), l.p95Millis(), l.p99Millis(), rate.median() / 2,
                            rate.median() / streamRate), ""});
            return rate.median();
        }
    }

    private void printTable() {
        String[] head = {"what", "set", "batch", "req/s", "spread over rounds", "padded tokens/s", "ratio to raw",
                "latency (produce -> answer)", "memory"};
        out.println("| " + String.join(" | ", head) + " |");
        out.println("|---".repeat(head.length) + "|");
        for (String[] row : rows) {
            out.println("| " + String.join(" | ", row) + " |");
        }
    }

    private String maskToken() {
        return ModelFolder.open(model).maskToken();
    }

    private static double average(List<long[]> ids) {
        return ids.stream().mapToInt(a -> a.length).average().orElse(0);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
