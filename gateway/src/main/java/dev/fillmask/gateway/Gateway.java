package dev.fillmask.gateway;

import dev.fillmask.gateway.http.InferenceCall;
import dev.fillmask.gateway.http.InferenceHandler;
import dev.fillmask.gateway.kafka.AnswerListener;
import dev.fillmask.gateway.kafka.JobProbe;
import dev.fillmask.gateway.kafka.PendingAnswers;
import dev.fillmask.gateway.kafka.Readiness;
import dev.fillmask.gateway.kafka.RequestSender;
import dev.fillmask.schemas.FillMaskCodec;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP gateway: the Hugging Face Inference API's fill-mask call in front of the Kafka job. Each request goes to
 * the input topic under a key that starts with this instance's prefix; the instance reads the output topic and
 * answers each caller with the answer under its key ({@link PendingAnswers}). Several instances in front of one job
 * each get exactly their own answers, in either delivery mode of the job.
 *
 * <p>{@link #close()} answers every accepted request: with its answer when it comes within the drain time, else with
 * 503. A request never waits in silence.
 */
public final class Gateway implements AutoCloseable {
    private final GatewaySettings settings;
    private final String instance;
    private final PendingAnswers pending;
    private final Readiness readiness = new Readiness();
    private final RequestSender sender;
    private final AnswerListener listener;
    private final JobProbe probe;
    private final ScheduledExecutorService prober;
    private final ExecutorService workers;
    private final ExecutorService responders;
    private final HttpServer server;
    private volatile boolean closing;
    private boolean serving;
    private boolean closed;

    private Gateway(GatewaySettings settings) throws IOException {
        this.settings = settings;
        byte[] id = new byte[6];
        new SecureRandom().nextBytes(id);
        this.instance = "gateway-" + HexFormat.of().formatHex(id);
        this.pending = new PendingAnswers(instance + "/", settings.maxWaiting(), settings.timeout());
        this.sender = new RequestSender(settings.bootstrapServers(), settings.clientProperties(), settings.inputTopic(),
                pending.keyPrefix());
        this.listener = new AnswerListener(settings.bootstrapServers(), settings.clientProperties(),
                settings.outputTopic(), pending, readiness);
        this.probe = new JobProbe(settings.bootstrapServers(), settings.clientProperties(),
                List.of(settings.inputTopic(), settings.outputTopic()), sender, readiness, pending.keyPrefix());
        this.prober = Executors.newSingleThreadScheduledExecutor(daemon("fill-mask-gateway-probe"));
        // Workers read and check bodies and hand requests to Kafka; none waits for an answer. Beyond the queue,
        // the HTTP server closes the connection: that request was never accepted.
        this.workers = new ThreadPoolExecutor(settings.threads(), settings.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(settings.maxWaiting()), daemon("fill-mask-gateway-http"));
        // Writes the answers: at most one task per request waiting, which the routing table bounds.
        this.responders = Executors.newFixedThreadPool(settings.threads(), daemon("fill-mask-gateway-answer"));
        // Connections not yet accepted wait in the socket's backlog: as many as requests may wait for answers.
        this.server = settings.tls() == null ? HttpServer.create(settings.listen(), settings.maxWaiting())
                : httpsServer(settings.listen(), settings.tls(), settings.maxWaiting());
        FillMaskCodec codec = new FillMaskCodec(settings.limits());
        server.createContext("/", new InferenceHandler(codec, new InferenceCall(codec, settings.maxInputs()),
                settings.tokens(), settings.maxBodyBytes(), settings.timeout(), pending, sender, readiness,
                () -> closing, responders));
        server.setExecutor(workers);
    }

    /**
     * Starts a gateway: positions itself at the end of the output topic, opens the HTTP port, and probes the job
     * until it answers (meanwhile requests get 503, or wait with {@code X-Wait-For-Model: true}).
     *
     * @throws IllegalStateException when the output topic does not exist or the broker does not answer
     */
    public static Gateway start(GatewaySettings settings) throws IOException {
        Gateway gateway = new Gateway(settings);
        try {
            gateway.listener.start(Duration.ofSeconds(30));
            gateway.server.start();
            gateway.serving = true;
            gateway.prober.scheduleWithFixedDelay(gateway.probe::probeIfNotReady, 0,
                    settings.probeInterval().toMillis(), TimeUnit.MILLISECONDS);
            return gateway;
        } catch (RuntimeException | Error e) {
            gateway.close();
            throw e;
        }
    }

    /** The address the HTTP server listens on (its port, when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** {@code http(s)://host:port/}, for clients on this machine. */
    public URI uri() {
        InetSocketAddress a = address();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create((settings.tls() == null ? "http" : "https") + "://" + host + ":" + a.getPort() + "/");
    }

    /** What a start prints: where the gateway answers, and who may call it (never a token). */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("HTTP gateway (Hugging Face Inference API, " + instance + "): POST " + uri() + "models/<model_id>"
                + " or POST " + uri() + " -> topic " + settings.inputTopic() + ", answers <- topic "
                + settings.outputTopic());
        lines.add(settings.tokens() == null
                ? "WARNING: no token file: the HTTP gateway is open, anybody who reaches its port may call it"
                : "the HTTP gateway accepts " + settings.tokens() + " (Authorization: Bearer)");
        if (!address().getAddress().isLoopbackAddress()) {
            lines.add("WARNING: the HTTP gateway listens on " + address().getAddress().getHostAddress()
                    + ": reachable from the network" + (settings.tls() == null ? ", without TLS" : ", with TLS"));
        }
        return lines;
    }

    /** This instance's name; the keys of its requests start with it. */
    public String instance() {
        return instance;
    }

    /** Whether the job has answered this instance (see {@link Readiness}). */
    public boolean isReady() {
        return readiness.isReady();
    }

    /** Requests waiting for their answers now. */
    public int waiting() {
        return pending.size();
    }

    /**
     * Stops: new requests get 503; requests waiting may still get their answer within the drain time; then every
     * request still waiting gets 503, each response is written, and the port closes.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        long drainEnd = System.nanoTime() + settings.drain().toNanos();
        while (pending.size() > 0 && System.nanoTime() < drainEnd) {
            sleep(20);
        }
        pending.close(503, "the gateway shut down before the answer came; the request may still be answered on the"
                + " output topic: send it again");
        prober.shutdownNow();
        // The port stays open until every response is written: first the requests being read, then the answers.
        workers.shutdown();
        awaitQuietly(workers);
        responders.shutdown();
        awaitQuietly(responders);
        if (serving) {
            server.stop(0);
        }
        probe.close();
        listener.close();
        sender.close();
    }

    private static HttpsServer httpsServer(InetSocketAddress listen, GatewaySettings.TlsKeystore tls, int backlog)
            throws IOException {
        try (InputStream in = Files.newInputStream(tls.file())) {
            KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(in, tls.password());
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(keys, tls.password());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(factory.getKeyManagers(), null, null);
            HttpsServer server = HttpsServer.create(listen, backlog);
            server.setHttpsConfigurator(new HttpsConfigurator(context));
            return server;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the keystore " + tls.file() + " for TLS: " + e.getMessage(),
                    e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }

    private static void awaitQuietly(ExecutorService executor) {
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
