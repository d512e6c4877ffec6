package dev.fillmask.job.cluster;

import dev.fillmask.engine.model.FileTrees;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka broker (KRaft, one combined broker/controller node) as a process of its own, from the jars of
 * {@code kafka_2.13}: {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka server.properties}. It listens
 * on 127.0.0.1 only, with the {@link BrokerListeners} it is given (PLAINTEXT, or SASL_SSL in the security tests), and
 * has the settings a one-broker cluster needs for transactions. It can be stopped, killed and started again on the
 * same ports and log folder (the data survives).
 */
public final class KafkaProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path home;
    private final List<String> classpath;
    private final BrokerListeners listeners;
    private final int port;
    private final int setupPort;
    private final int controllerPort;
    private ChildProcess broker;

    private KafkaProcess(Path home, Path libDir, BrokerListeners listeners) {
        this.home = home.toAbsolutePath();
        this.classpath = List.of(libDir.toAbsolutePath() + "/*");
        this.listeners = listeners;
        this.port = FreePort.next();
        this.setupPort = listeners.setupListenerOfItsOwn() ? FreePort.next() : port;
        this.controllerPort = FreePort.next();
    }

    /** A PLAINTEXT broker: {@link #start(Path, Path, BrokerListeners)} with {@link BrokerListeners#PLAINTEXT}. */
    public static KafkaProcess start(Path home, Path libDir) {
        return start(home, libDir, BrokerListeners.PLAINTEXT);
    }

    /**
     * Formats a new log folder under {@code home} (emptied first: an earlier run's belongs to another cluster id) and
     * starts the broker; {@link #awaitReady} waits for it.
     */
    public static KafkaProcess start(Path home, Path libDir, BrokerListeners listeners) {
        requireJars(libDir, "kafka_2.13");
        KafkaProcess kafka = new KafkaProcess(home, libDir, listeners);
        try {
            kafka.clearHome();
            kafka.writeConfig();
            ChildProcess.runJava("kafka-storage-format", kafka.home.resolve("logs/storage-format.log"), kafka.classpath,
                    kafka.jvmOptions(), "kafka.tools.StorageTool",
                    List.of("format", "-t", Uuid.randomUuid().toString(), "-c", kafka.serverProperties().toString()),
                    Map.of(), kafka.home, Duration.ofMinutes(2));
            kafka.launch();
            return kafka;
        } catch (RuntimeException | Error e) {
            kafka.close();
            throw e;
        }
    }

    /** The clients' listener: the one the job is given. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The listener of the test's own set-up: PLAINTEXT, and the clients' one unless the listeners keep it apart. */
    public String setupBootstrapServers() {
        return "127.0.0.1:" + setupPort;
    }

    public ChildProcess process() {
        return broker;
    }

    /** The broker's own log files (server.log, its console, the storage format's output). */
    public List<Path> logFiles() {
        try (var files = Files.list(home.resolve("logs"))) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Admin client settings for the set-up listener. */
    public Properties setupAdminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, setupBootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        return props;
    }

    /** Waits until the broker answers metadata requests; fails with its log when it died or did not come up. */
    public KafkaProcess awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(setupAdminProperties())) {
            while (true) {
                if (!broker.isAlive()) {
                    throw new IllegalStateException("the Kafka broker ended while starting:\n" + broker.logTail(60));
                }
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return this;
                    }
                } catch (Exception notYet) {
                    if (notYet instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for the Kafka broker", notYet);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the Kafka broker was not ready within " + READY_TIMEOUT + ":\n"
                            + broker.logTail(60));
                }
                Pause.sleep(250);
            }
        }
    }

    /** Stops the broker cleanly (SIGTERM); {@link #restart} starts it again with its data. */
    public void stop() {
        if (broker != null) {
            broker.stop();
        }
    }

    /** Kills the broker (SIGKILL), as a crash would; {@link #restart} starts it again with its data. */
    public void kill() {
        if (broker != null) {
            broker.kill();
        }
    }

    /** Starts the broker again on the same port and log folder (after {@link #stop} or {@link #kill}). */
    public KafkaProcess restart() {
        if (broker != null && broker.isAlive()) {
            throw new IllegalStateException("the Kafka broker is still running: " + broker);
        }
        launch();
        return this;
    }

    @Override
    public void close() {
        if (broker != null) {
            broker.stop();
        }
    }

    private void launch() {
        broker = ChildProcess.startJava("kafka", home.resolve("logs/kafka.out"), classpath, jvmOptions(),
                "kafka.Kafka", List.of(serverProperties().toString()), Map.of(), home);
    }

    private Path serverProperties() {
        return home.resolve("config/server.properties");
    }

    private List<String> jvmOptions() {
        return List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                "-Dkafka.logs.dir=" + home.resolve("logs"),
                "-Dlog4j2.configurationFile=file:" + home.resolve("config/log4j2.properties"));
    }

    private void clearHome() {
        try {
            FileTrees.deleteRecursively(home);
        } catch (IOException e) {
            throw new UncheckedIOException("could not empty " + home, e);
        }
    }

    private void writeConfig() {
        StringBuilder listenerLines = new StringBuilder();
        listeners.settings(port, setupPort, controllerPort)
                .forEach((key, value) -> listenerLines.append(key).append('=').append(value).append('\n'));
        String server = String.join("\n",
                "# written by KafkaProcess: one KRaft node, broker and controller, on 127.0.0.1 only",
                "process.roles=broker,controller",
                "node.id=1",
                listenerLines.toString().strip(),
                "log.dirs=" + home.resolve("data"),
                "num.partitions=2",
                "auto.create.topics.enable=false",
                "group.initial.rebalance.delay.ms=0",
                // one broker: every internal topic with one replica, and few partitions (fast start)
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=2",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=2",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "");
        String log4j = String.join("\n",
                "appender.file.type = File",
                "appender.file.name = file",
                "appender.file.fileName = " + home.resolve("logs/server.log"),
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "logger.kafka.name = kafka",
                "logger.kafka.level = INFO",
                "logger.apache.name = org.apache.kafka",
                "logger.apache.level = INFO",
                "");
        try {
            Files.createDirectories(home.resolve("config"));
            Files.createDirectories(home.resolve("logs"));
            Files.writeString(serverProperties(), server, StandardCharsets.UTF_8);
            Files.writeString(home.resolve("config/log4j2.properties"), log4j, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the Kafka configuration under " + home, e);
        }
    }

    static void requireJars(Path libDir, String expected) {
        try (var files = Files.list(libDir)) {
            if (files.noneMatch(f -> f.getFileName().toString().startsWith(expected))) {
                throw new IllegalStateException(libDir + " has no " + expected + " jar");
            }
        } catch (IOException e) {
            throw new IllegalStateException("no jar folder " + libDir.toAbsolutePath() + " (made by the job module's "
                    + "pre-integration-test phase: run `mvn verify`, or `mvn pre-integration-test`, first)", e);
        }
    }
}
