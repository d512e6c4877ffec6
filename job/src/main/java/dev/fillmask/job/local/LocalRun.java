package dev.fillmask.job.local;

import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.kafka.KafkaConnections;
import dev.fillmask.job.kafka.KafkaPreflight;
import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The job on a local Flink cluster (in this JVM), against an embedded broker or an existing one. Given requests, it
 * feeds them to the input topic, waits until each has its answer on the output topic (read_committed), returns the
 * answers in request order and stops. Without requests it serves until the process is stopped.
 */
public final class LocalRun {
    /** How long a fed run waits for its answers before it gives up. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(30);

    private final Configuration options;
    private final boolean embedded;
    private final ListenAddress listen;
    private final PrintStream progress;
    private final LocalJob job;

    /** {@code listen}: where the broker (when {@code embedded}) and the local Flink cluster listen. */
    public LocalRun(Configuration options, boolean embedded, ListenAddress listen, PrintStream progress) {
        this(options, embedded, listen, progress, LocalJob.KAFKA);
    }

    /** The same, running {@code job} instead of the streaming job. */
    public LocalRun(Configuration options, boolean embedded, ListenAddress listen, PrintStream progress, LocalJob job) {
        this.options = new Configuration(options);
        this.embedded = embedded;
        this.listen = listen;
        this.progress = progress;
        this.job = job;
    }

    /** Feeds {@code requests}, returns their answers (JSON) in the same order. */
    public List<String> answer(List<byte[]> requests) throws Exception {
        try (Session session = start()) {
            String run = UUID.randomUUID().toString().substring(0, 8);
            List<String> keys = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                keys.add(run + "-" + (i + 1));
            }
            Set<String> awaited = new LinkedHashSet<>(keys);
            try (AnswerCollector collector = new AnswerCollector(session.bootstrap, session.clientProperties,
                    options.get(FillMaskOptions.OUTPUT_TOPIC))) {
                RequestFeeder.send(session.bootstrap, session.clientProperties, options.get(FillMaskOptions.INPUT_TOPIC),
                        keys, requests);
                progress.println("fill-mask: sent " + requests.size() + " request(s), waiting for the answers");
                long[] lastLine = {System.nanoTime()};
                boolean complete = collector.awaitKeys(awaited, ANSWER_TIMEOUT, session::jobEnded, count -> {
                    if (System.nanoTime() - lastLine[0] > TimeUnit.SECONDS.toNanos(2) || count == awaited.size()) {
                        progress.println("fill-mask: answered " + count + "/" + awaited.size());
                        lastLine[0] = System.nanoTime();
                    }
                });
                if (!complete) {
                    throw new IllegalStateException("only " + collector.answersByKey().size() + " of " + awaited.size()
                            + " requests were answered" + (session.jobEnded() ? ": the job ended (" + session.status()
                            + ")" : " within " + ANSWER_TIMEOUT.toMinutes() + " minutes"));
                }
                Map<String, String> answers = collector.answersByKey();
                return keys.stream().map(answers::get).toList();
            }
        }
    }

    /** Starts the job and serves until the job ends or the process is stopped. */
    public void serve() throws Exception {
        serve(null);
    }

    /**
     * {@link #serve()}, and with {@code http} the HTTP gateway in front of the job too (its bootstrap servers filled
     * in), stopped before the job so that every request it accepted is answered.
     */
    public void serve(GatewaySettings http) throws Exception {
        try (Session session = start()) {
            progress.println("fill-mask: serving. Kafka bootstrap servers: " + session.bootstrap);
            progress.println("fill-mask:   requests    -> topic " + options.get(FillMaskOptions.INPUT_TOPIC));
            progress.println("fill-mask:   answers     <- topic " + options.get(FillMaskOptions.OUTPUT_TOPIC)
                    + " (read with isolation.level=read_committed)");
            progress.println("fill-mask:   dead letters <- topic " + options.get(FillMaskOptions.DEAD_LETTER_TOPIC));
            swapTopic().ifPresent(control -> progress.println("fill-mask:   another model, without a restart: "
                    + "./fill-mask swap --bootstrap " + session.bootstrap + " MODEL (-> topic " + control
                    + ", statuses <- topic " + options.get(FillMaskOptions.STATUS_TOPIC) + ")"));
            if (http != null) {
                session.gateway = Gateway.start(http.withBootstrapServers(session.bootstrap));
                session.gateway.describe().forEach(line -> progress.println("fill-mask: " + line));
            }
            progress.println("fill-mask: Ctrl-C stops.");
            AtomicBoolean stopping = new AtomicBoolean();
            Thread stopper = new Thread(() -> {
                stopping.set(true);
                // Closing the gateway, the job and the broker takes a few seconds: say so, or Ctrl-C looks ignored.
                progress.println("fill-mask: stopping" + (http != null ? " (the gateway answers what it accepted "
                        + "first)" : "") + "...");
                session.close();
                progress.println("fill-mask: stopped.");
            }, "fill-mask-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                session.job.getJobExecutionResult().get();
            } catch (ExecutionException e) {
                if (!stopping.get()) {
                    throw e;
                }
                // Cancelled by Ctrl-C, as asked: not a failure.
            }
        }
    }

    private Session start() throws Exception {
        Path model = FillMaskJob.modelFolder(options);
        Session session = new Session();
        try {
            listen.exposureWarning(embedded).ifPresent(progress::println);
            if (embedded) {
                progress.println("fill-mask: starting a Kafka broker (KRaft) on " + listen);
                session.broker = EmbeddedKafka.start(listen);
                options.set(FillMaskOptions.BOOTSTRAP_SERVERS, session.broker.bootstrapServers());
            }
            session.bootstrap = options.get(FillMaskOptions.BOOTSTRAP_SERVERS);
            if (session.bootstrap == null || session.bootstrap.isBlank()) {
                throw new IllegalArgumentException("no Kafka broker: give --bootstrap HOST:PORT, or --embedded");
            }
            session.clientProperties = KafkaConnections.clientPropertiesOf(options);
            KafkaPreflight.check(options);
            int parallelism = options.getOptional(FillMaskOptions.PARALLELISM)
                    .orElse(Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 4)));
            Topics.ensure(session.bootstrap, session.clientProperties, List.of(options.get(FillMaskOptions.INPUT_TOPIC),
                    options.get(FillMaskOptions.OUTPUT_TOPIC), options.get(FillMaskOptions.DEAD_LETTER_TOPIC)),
                    parallelism);
            // One partition each: swaps stay in order.
            swapTopic().ifPresent(control -> Topics.ensure(session.bootstrap, session.clientProperties,
                    List.of(control, options.get(FillMaskOptions.STATUS_TOPIC)), 1));
            options.set(FillMaskOptions.MODEL, model.toString());
            progress.println("fill-mask: starting the job on a local Flink cluster (parallelism " + parallelism
                    + ", model " + model + ")");
            Configuration cluster = listen.flinkConfiguration();
            cluster.addAll(FillMaskJob.clusterSettings());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, cluster);
            session.job = job.start(env, options);
            return session;
        } catch (Exception | Error e) {
            session.close();
            throw e;
        }
    }

    /** The control topic of model swaps, unless swapping is off. */
    private java.util.Optional<String> swapTopic() {
        return new KafkaConnections(options).controlTopic();
    }

    /** What a run started, stopped in reverse order. */
    private static final class Session implements AutoCloseable {
        EmbeddedKafka broker;
        Gateway gateway;
        String bootstrap;
        Properties clientProperties = new Properties();
        JobClient job;
        private volatile long lastStatusCheck;
        private volatile boolean ended;

        boolean jobEnded() {
            if (!ended && System.nanoTime() - lastStatusCheck > TimeUnit.SECONDS.toNanos(1)) {
                lastStatusCheck = System.nanoTime();
                ended = status().isGloballyTerminalState();
            }
            return ended;
        }

        JobStatus status() {
            try {
                return job.getJobStatus().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // The local cluster is gone: the job has ended.
                return JobStatus.FAILED;
            }
        }

        @Override
        public synchronized void close() {
            if (gateway != null) {
                Gateway g = gateway;
                gateway = null;
                g.close();
            }
            if (job != null) {
                JobClient running = job;
                job = null;
                try {
                    CompletableFuture<Void> cancelled = running.cancel();
                    cancelled.get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // Already finished or failed: nothing to cancel.
                }
            }
            if (broker != null) {
                EmbeddedKafka b = broker;
                broker = null;
                b.close();
            }
        }
    }
}
