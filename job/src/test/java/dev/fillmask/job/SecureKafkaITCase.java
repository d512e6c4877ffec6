package dev.fillmask.job;

import dev.fillmask.job.JobArguments;
import dev.fillmask.job.cluster.KafkaProcess;
import dev.fillmask.job.local.AnswerCollector;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.LocalRun;
import dev.fillmask.job.local.RequestFeeder;
import dev.fillmask.job.local.Topics;
import dev.fillmask.job.kafka.KafkaPreflight;
import dev.fillmask.job.security.SecretWatch;
import dev.fillmask.job.security.ScramTlsListeners;
import dev.fillmask.job.security.TestCertificates;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.testing.SharedDefaultModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The job against a broker that lets clients in only with SASL/SCRAM-SHA-512 over TLS (a real broker process,
 * certificates and SCRAM user made by the test), configured the way a user does it: {@code FillMaskJob.main} with
 * {@code --bootstrap-servers} and a {@code --kafka-properties} file, nothing else.
 * <ol>
 *   <li>It answers each request exactly once (read_committed, with the same client settings), equal to
 *       {@code predict}'s answers; while it runs, the Flink REST API (what the web UI shows: the job's and the
 *       JobManager's configuration, the plan, exceptions, TaskManagers, metric names and values) and every registered
 *       metric (names, scope variables, values) hold no secret.</li>
 *   <li>A wrong password ends {@code main} (and the local run) at once with a message that names authentication, the
 *       user, the broker and the properties file; no job is submitted.</li>
 *   <li>Without the truststore (the broker's certificate not trusted) the start ends with a message that names TLS
 *       and the truststore settings.</li>
 *   <li>With the passwords kept in a file of their own and referenced through Kafka's FileConfigProvider
 *       ({@code ${file:PATH:KEY}}), the job runs the same, and its serialized job graph holds no password (with them
 *       in the properties file, it does: the control case).</li>
 *   <li>Over the whole run no secret (the SCRAM password, the wrong one, the keystore and truststore passwords)
 *       appeared in any log event of this JVM (INFO, and DEBUG for Kafka's security and network code), on
 *       System.out/err, or in the broker's logs; and Kafka's config dumps were seen, masked.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureKafkaITCase {
    private static final String USER = "fill-mask";
    private static final String PASSWORD = secret("scram");
    private static final String WRONG_PASSWORD = secret("wrong");
    private static final String KEYSTORE_PASSWORD = secret("keystore");
    private static final String TRUSTSTORE_PASSWORD = secret("truststore");
    private static final Map<String, String> SECRETS = secretsByLabel();
    /** How Kafka prints a client's sasl.jaas.config when it logs its configuration. */
    private static final String MASKED_JAAS = "sasl.jaas.config = [hidden]";

    private static final Path HOME = Path.of("target", "secure-kafka-it").toAbsolutePath();

    /** Watching starts before anything else of this class runs, the MiniCluster included. */
    private static final SecretWatch WATCH = SecretWatch.start(SECRETS, List.of(MASKED_JAAS));
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(ListenAddress.loopback().flinkConfiguration()))
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(1)
            .build());

    private static KafkaProcess kafka;
    private static Path model;
    private static Path clientProperties;
    private static Path wrongPasswordProperties;
    private static Path noTruststoreProperties;
    private static Properties client;

    @BeforeAll
    static void start() throws Exception {
        long started = System.nanoTime();
        model = SharedDefaultModel.path();
        TestCertificates tls = TestCertificates.create(HOME.resolve("tls"), KEYSTORE_PASSWORD, TRUSTSTORE_PASSWORD);
        kafka = KafkaProcess.start(HOME.resolve("kafka"),
                Path.of(System.getProperty("fillmask.cluster.kafkaLib", "target/cluster-kafka-lib")),
                new ScramTlsListeners(tls.brokerKeystore, KEYSTORE_PASSWORD)).awaitReady();
        ScramTlsListeners.createScramUser(kafka, USER, PASSWORD);
        clientProperties = writeProperties("client.properties", PASSWORD, tls.clientTruststore);
        wrongPasswordProperties = writeProperties("wrong-password.properties", WRONG_PASSWORD, tls.clientTruststore);
        noTruststoreProperties = writeProperties("no-truststore.properties", PASSWORD, null);
        client = load(clientProperties);
        awaitScramUser();
        System.out.printf("fill-mask: secure broker (SASL_SSL, SCRAM-SHA-512) at %s ready in %d ms%n",
                kafka.bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @AfterAll
    static void stop() {
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            WATCH.close();
        }
    }

    @Test
    @Order(1)
    void answersEachRequestExactlyOnceOverSaslSslAndTheWebUiAndMetricsHoldNoSecret(
            @InjectMiniCluster MiniCluster flink, @InjectClusterRESTAddress URI rest) throws Exception {
        long started = System.nanoTime();
        RunningJob job = startJob(flink, clientProperties, "secure");
        try {
            List<byte[]> values = requests(6);
            Map<String, String> answers = answerEachOnce(job, "secure", values);
            System.out.printf("fill-mask: %d requests answered over SASL_SSL in %d ms (job start included)%n",
                    values.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            List<String> expected = PredictReference.answers(model, values);
            assertEquals(expected, new ArrayList<>(answers.values()), "the answers of predict");

            int pages = assertRestShowsNoSecret(rest, job.id);
            int metrics = assertMetricsHoldNoSecret();
            System.out.printf("fill-mask: %d REST responses and %d metrics checked: no secret%n", pages, metrics);
        } finally {
            stopJob(flink, job);
        }
    }

    @Test
    @Order(2)
    @Timeout(90)
    void aWrongPasswordEndsTheStartWithAClearMessageAndSubmitsNothing(@InjectMiniCluster MiniCluster flink)
            throws Exception {
        int jobsBefore = flink.listJobs().get().size();
        String[] args = jobArgs(wrongPasswordProperties, "wrong");
        long started = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FillMaskJob.main(args));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String message = e.getMessage();
        assertTrue(message.startsWith("Kafka authentication failed at " + kafka.bootstrapServers()
                + " (SASL_SSL, SCRAM-SHA-512, user '" + USER + "')"), message);
        assertTrue(message.contains("Check sasl.jaas.config in " + wrongPasswordProperties), message);
        assertTrue(message.contains("invalid credentials"), "Kafka's own reason is passed on: " + message);
        assertEquals(jobsBefore, flink.listJobs().get().size(), "no job was submitted");
        System.out.printf("fill-mask: a wrong password ended the start in %d ms: %s%n", millis, message);

        // The same check guards the local run (`./fill-mask run --bootstrap ... --kafka-properties ...`).
        LocalRun run = new LocalRun(JobArguments.parse(args), false, ListenAddress.loopback(),
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class, run::serve);
        assertEquals(message, local.getMessage());
    }

    @Test
    @Order(3)
    @Timeout(90)
    void anUntrustedBrokerCertificateEndsTheStartWithAClearMessage(@InjectMiniCluster MiniCluster flink)
            throws Exception {
        int jobsBefore = flink.listJobs().get().size();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FillMaskJob.main(jobArgs(noTruststoreProperties, "untrusted")));
        String message = e.getMessage();
        assertTrue(message.startsWith("TLS handshake with Kafka at " + kafka.bootstrapServers() + " (SASL_SSL, "
                + "SCRAM-SHA-512, user '" + USER + "') failed"), message);
        assertTrue(message.contains("ssl.truststore.location") && message.contains(noTruststoreProperties.toString()),
                message);
        assertEquals(jobsBefore, flink.listJobs().get().size(), "no job was submitted");
        System.out.println("fill-mask: an untrusted broker certificate: " + message);
    }

    @Test
    @Order(4)
    void withAConfigProviderThePasswordsStayOutOfTheJobGraphAndTheJobRuns(@InjectMiniCluster MiniCluster flink)
            throws Exception {
        Path provided = writeProviderProperties();
        // With the passwords in the properties file, Flink's job graph carries them: the Kafka source and sinks hold
        // their client properties, serialized with the graph (and so in a HA store's job graph files).
        assertTrue(jobGraphContains(clientProperties, PASSWORD), "the job graph holds a plain file's password");
        // With ${file:...} references, each Kafka client reads them where it starts: the graph holds none.
        assertFalse(jobGraphContains(provided, PASSWORD), "the job graph holds the SCRAM password");
        assertFalse(jobGraphContains(provided, TRUSTSTORE_PASSWORD), "the job graph holds the truststore password");

        RunningJob job = startJob(flink, provided, "provided");
        try {
            FillMaskCodec codec = new FillMaskCodec();
            for (String answer : answerEachOnce(job, "provided", requests(3)).values()) {
                assertFalse(codec.readAnswer(answer).isError(), answer);
            }
        } finally {
            stopJob(flink, job);
        }
    }

    @Test
    @Order(5)
    void noSecretAppearedInLogsConsoleOrBrokerLogs() throws IOException {
        for (Path log : kafka.logFiles()) {
            WATCH.scan("the broker's " + log.getFileName(), Files.readString(log, StandardCharsets.ISO_8859_1));
        }
        List<String> findings = WATCH.findings();
        assertTrue(findings.isEmpty(), "secrets shown:\n" + String.join("\n", findings));
        assertTrue(WATCH.logEventsWith(MASKED_JAAS) > 0, "Kafka logged its client configurations, with "
                + "sasl.jaas.config masked (else the watch saw nothing worth seeing)");
        System.out.printf("fill-mask: %d log events watched (%d Kafka config dumps with sasl.jaas.config masked), "
                + "console and %d broker log files: no secret%n", WATCH.logEvents(), WATCH.logEventsWith(MASKED_JAAS),
                kafka.logFiles().size());
    }

    // ---- running the job as a user does: main with --kafka-properties

    private record RunningJob(JobID id, Thread main, AtomicReference<Throwable> ended) {}

    /** {@code FillMaskJob.main} on its own thread (it blocks while the job runs), once its job is RUNNING. */
    private static RunningJob startJob(MiniCluster flink, Path kafkaProperties, String name) throws Exception {
        Topics.ensure(kafka.bootstrapServers(), client, List.of(name + "-requests", name + "-answers",
                name + "-dead-letters"), 1);
        Set<JobID> before = jobIds(flink);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        String[] args = jobArgs(kafkaProperties, name);
        Thread main = new Thread(() -> {
            try {
                FillMaskJob.main(args);
            } catch (Throwable t) {
                ended.set(t);
            }
        }, "fill-mask-main-" + name);
        main.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (JobStatusMessage status : flink.listJobs().get()) {
                if (!before.contains(status.getJobId()) && status.getJobState() == JobStatus.RUNNING) {
                    return new RunningJob(status.getJobId(), main, ended);
                }
            }
            if (!main.isAlive()) {
                throw new AssertionError("the job's main ended before its job ran", ended.get());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the job did not start within 60 s");
    }

    /**
     * Sends {@code values} to the job's input topic and reads its answers (read_committed), all over SASL_SSL with the
     * same client properties; asserts exactly one answer per request. Returns them by key, in request order.
     */
    private static Map<String, String> answerEachOnce(RunningJob job, String name, List<byte[]> values) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            keys.add(name + "-" + i);
        }
        try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), client, name + "-answers")) {
            RequestFeeder.send(kafka.bootstrapServers(), client, name + "-requests", keys, values);
            Set<String> awaited = new LinkedHashSet<>(keys);
            assertTrue(answers.awaitKeys(awaited, Duration.ofMinutes(2), () -> !job.main.isAlive(), n -> {}),
                    "answered only " + answers.answersByKey().size() + " of " + keys.size()
                            + (job.main.isAlive() ? "" : "; the job ended: " + job.ended.get()));
            answers.drain(awaited, Duration.ofSeconds(2));
            assertEquals(keys.size(), answers.records().size(), "exactly one answer per request (read_committed)");
            Map<String, String> byKey = new LinkedHashMap<>();
            keys.forEach(k -> byKey.put(k, answers.answersByKey().get(k)));
            return byKey;
        }
    }

    private static void stopJob(MiniCluster flink, RunningJob job) throws InterruptedException {
        try {
            flink.cancelJob(job.id).get(30, TimeUnit.SECONDS);
        } catch (Exception alreadyEnded) {
            // the job failed: the assertions say why
        }
        job.main.join(TimeUnit.SECONDS.toMillis(60));
    }

    private static List<byte[]> requests(int n) {
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(("{\"inputs\": \"secure request " + i + " is about the [MASK].\", \"parameters\": {\"top_k\": 2}}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return values;
    }

    /** Whether the serialized job graph that main would submit for {@code kafkaProperties} contains {@code secret}. */
    private static boolean jobGraphContains(Path kafkaProperties, String secret) throws IOException {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        FillMaskJob job = FillMaskJob.onKafka(JobArguments.parse(jobArgs(kafkaProperties, "graph")));
        job.configure(env);
        job.addTo(env);
        JobGraph graph = env.getStreamGraph().getJobGraph();
        byte[] bytes = InstantiationUtil.serializeObject(graph);
        byte[] wanted = secret.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + wanted.length <= bytes.length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (bytes[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    // ---- the REST API and the metrics

    /** GETs what the web UI shows of the cluster and the job; fails on a secret in any answer. */
    private static int assertRestShowsNoSecret(URI rest, JobID job) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        ObjectMapper json = new ObjectMapper();
        String base = rest.toString().replaceAll("/$", "");
        List<String> paths = new ArrayList<>(List.of("/config", "/overview", "/jobmanager/config",
                "/jobmanager/environment", "/jobmanager/metrics", "/taskmanagers", "/jobs/overview",
                "/jobs/" + job, "/jobs/" + job + "/config", "/jobs/" + job + "/jobmanager/config",
                "/jobs/" + job + "/plan", "/jobs/" + job + "/exceptions", "/jobs/" + job + "/checkpoints",
                "/jobs/" + job + "/checkpoints/config"));
        Map<String, String> bodies = new LinkedHashMap<>();
        for (String path : paths) {
            bodies.put(path, get(http, base + path));
        }
        for (JsonNode tm : json.readTree(bodies.get("/taskmanagers")).path("taskmanagers")) {
            String path = "/taskmanagers/" + tm.path("id").asText();
            bodies.put(path, get(http, base + path));
            bodies.put(path + "/metrics", get(http, base + path + "/metrics"));
        }
        for (JsonNode vertex : json.readTree(bodies.get("/jobs/" + job)).path("vertices")) {
            String path = "/jobs/" + job + "/vertices/" + vertex.path("id").asText();
            bodies.put(path, get(http, base + path));
            String names = get(http, base + path + "/metrics");
            bodies.put(path + "/metrics", names);
            // the values too, a few names a request, as the web UI's metrics tab asks for them
            List<String> all = new ArrayList<>();
            json.readTree(names).forEach(m -> all.add(m.path("id").asText()));
            for (int i = 0; i < all.size(); i += 40) {
                String get = String.join(",", all.subList(i, Math.min(all.size(), i + 40)));
                bodies.put(path + "/metrics?get=#" + i,
                        get(http, base + path + "/metrics?get=" + URLEncoder.encode(get, StandardCharsets.UTF_8)));
            }
        }
        assertTrue(bodies.get("/jobs/" + job + "/config").contains(job.toString()), "the job's config view answered");
        for (Map.Entry<String, String> body : bodies.entrySet()) {
            assertNoSecret("GET " + body.getKey(), body.getValue());
        }
        return bodies.size();
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), "GET " + url + ": " + response.body());
        return response.body();
    }

    /** Every metric registered so far: identifier, scope variables and value. Returns how many. */
    private static int assertMetricsHoldNoSecret() {
        int count = 0;
        boolean consumer = false;
        boolean producer = false;
        for (Map.Entry<MetricGroup, Map<String, Metric>> group : METRICS.getMetricsByGroup().entrySet()) {
            String variables = group.getKey().getAllVariables().toString();
            for (Map.Entry<String, Metric> metric : group.getValue().entrySet()) {
                String id = group.getKey().getMetricIdentifier(metric.getKey());
                consumer |= id.contains(".KafkaConsumer.");
                producer |= id.contains(".KafkaProducer.");
                assertNoSecret("metric " + id, id + " " + variables + " = " + valueOf(metric.getValue()));
                count++;
            }
        }
        assertTrue(consumer && producer, "the Kafka clients' own metrics were among those checked");
        return count;
    }

    private static String valueOf(Metric metric) {
        try {
            if (metric instanceof Gauge<?> gauge) {
                return String.valueOf(gauge.getValue());
            } else if (metric instanceof Counter counter) {
                return Long.toString(counter.getCount());
            } else if (metric instanceof Meter meter) {
                return meter.getRate() + "/" + meter.getCount();
            }
            return metric.getClass().getSimpleName();
        } catch (RuntimeException e) {
            return "(" + e + ")";
        }
    }

    private static void assertNoSecret(String where, String text) {
        for (Map.Entry<String, String> secret : SECRETS.entrySet()) {
            if (text.contains(secret.getValue())) {
                fail("the " + secret.getKey() + " shows in " + where);
            }
        }
    }

    // ---- set-up

    private static String[] jobArgs(Path kafkaProperties, String name) {
        return new String[] {
            "--bootstrap-servers", kafka.bootstrapServers(),
            "--kafka-properties", kafkaProperties.toString(),
            "--input-topic", name + "-requests",
            "--output-topic", name + "-answers",
            "--dead-letter-topic", name + "-dead-letters",
            "--group-id", name,
            "--transactional-id-prefix", name,
            "--model", model.toString(),
            "--parallelism", "1",
            "--checkpoint-interval", "500ms",
            "--batch-size", "8",
            "--threads", "1",
        };
    }

    /** The client settings a user writes: SASL_SSL, SCRAM-SHA-512, the truststore (when given). */
    private static Path writeProperties(String fileName, String password, Path truststore) throws IOException {
        StringBuilder text = new StringBuilder()
                .append("security.protocol=SASL_SSL\n")
                .append("sasl.mechanism=SCRAM-SHA-512\n")
                .append("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required ")
                .append("username=\"").append(USER).append("\" password=\"").append(password).append("\";\n");
        if (truststore != null) {
            text.append("ssl.truststore.type=PKCS12\n")
                    .append("ssl.truststore.location=").append(truststore).append('\n')
                    .append("ssl.truststore.password=").append(TRUSTSTORE_PASSWORD).append('\n');
        }
        Path file = HOME.resolve(fileName);
        Files.createDirectories(HOME);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /**
     * The same settings with the passwords in a file of their own (a mounted secret, in a deployment), referenced
     * through Kafka's FileConfigProvider: {@code ${file:PATH:KEY}} is resolved by each Kafka client as it starts.
     */
    private static Path writeProviderProperties() throws IOException {
        Path secrets = HOME.resolve("secrets/kafka-secrets.properties");
        Files.createDirectories(secrets.getParent());
        Files.writeString(secrets, "password=" + PASSWORD + "\ntruststore.password=" + TRUSTSTORE_PASSWORD + "\n",
                StandardCharsets.UTF_8);
        String text = "config.providers=file\n"
                + "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n"
                + "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + USER + "\" password=\"${file:" + secrets + ":password}\";\n"
                + "ssl.truststore.type=PKCS12\n"
                + "ssl.truststore.location=" + client.getProperty("ssl.truststore.location") + "\n"
                + "ssl.truststore.password=${file:" + secrets + ":truststore.password}\n";
        Path file = HOME.resolve("provided.properties");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }

    /** A new SCRAM user is known to the broker a moment after the controller has it. */
    private static void awaitScramUser() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                KafkaPreflight.check(kafka.bootstrapServers(), client, clientProperties.toString(),
                        Duration.ofSeconds(5));
                return;
            } catch (IllegalArgumentException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(200);
            }
        }
    }

    private static Set<JobID> jobIds(MiniCluster flink) throws Exception {
        return flink.listJobs().get().stream().map(JobStatusMessage::getJobId).collect(Collectors.toSet());
    }

    private static String secret(String what) {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        return what + "-" + HexFormat.of().formatHex(random);
    }

    private static Map<String, String> secretsByLabel() {
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("SCRAM password", PASSWORD);
        secrets.put("wrong SCRAM password", WRONG_PASSWORD);
        secrets.put("broker keystore password", KEYSTORE_PASSWORD);
        secrets.put("client truststore password", TRUSTSTORE_PASSWORD);
        return secrets;
    }
}
