package dev.fillmask.job.security;

import dev.fillmask.job.cluster.ChildProcess;
import dev.fillmask.job.cluster.FreePort;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
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
 * A Kafka broker process (KRaft, one combined broker/controller node, from the jars of {@code kafka_2.13}) that lets
 * clients in only with SCRAM-SHA-512 over TLS:
 * <ul>
 *   <li>{@code EXTERNAL://127.0.0.1:port} — SASL_SSL, SCRAM-SHA-512, the broker's certificate from
 *       {@link TestCertificates}: the one listener the job and the test's clients use;</li>
 *   <li>{@code INTERNAL://127.0.0.1:port} — PLAINTEXT, between brokers and for the test's set-up (creating the SCRAM
 *       user), and {@code CONTROLLER://127.0.0.1:port} — PLAINTEXT, for KRaft.</li>
 * </ul>
 * Every listener binds 127.0.0.1 only. It has the settings a one-broker cluster needs for transactions. The
 * keystore password is only in the broker's {@code server.properties}.
 */
public final class SecureKafkaBroker implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path home;
    private final List<String> classpath;
    private final int externalPort = FreePort.next();
    private final int internalPort = FreePort.next();
    private final int controllerPort = FreePort.next();
    private ChildProcess broker;

    private SecureKafkaBroker(Path home, Path libDir) {
        this.home = home.toAbsolutePath();
        this.classpath = List.of(libDir.toAbsolutePath() + "/*");
    }

    /** Formats a new log folder under {@code home}, starts the broker and waits until it serves. */
    public static SecureKafkaBroker start(Path home, Path libDir, Path keystore, String keystorePassword) {
        if (!Files.isDirectory(libDir)) {
            throw new IllegalStateException("no Kafka jar folder " + libDir.toAbsolutePath() + " (made by the job "
                    + "module's pre-integration-test phase: run `mvn verify`)");
        }
        SecureKafkaBroker kafka = new SecureKafkaBroker(home, libDir);
        try {
            deleteRecursively(kafka.home);
            kafka.writeConfig(keystore, keystorePassword);
            ChildProcess.runJava("kafka-storage-format", kafka.home.resolve("logs/storage-format.log"),
                    kafka.classpath, kafka.jvmOptions(), "kafka.tools.StorageTool",
                    List.of("format", "-t", Uuid.randomUuid().toString(), "-c", kafka.serverProperties().toString()),
                    Map.of(), kafka.home, Duration.ofMinutes(2));
            kafka.broker = ChildProcess.startJava("kafka-secure", kafka.home.resolve("logs/kafka.out"),
                    kafka.classpath, kafka.jvmOptions(), "kafka.Kafka", List.of(kafka.serverProperties().toString()),
                    Map.of(), kafka.home);
            kafka.awaitReady();
            return kafka;
        } catch (RuntimeException | Error e) {
            kafka.close();
            throw e;
        }
    }

    /** The SASL_SSL listener: the only one the job is given. */
    public String bootstrapServers() {
        return "127.0.0.1:" + externalPort;
    }

    /** The PLAINTEXT listener, for the test's set-up only. */
    public String internalBootstrapServers() {
        return "127.0.0.1:" + internalPort;
    }

    /** The broker's process. */
    public long pid() {
        return broker.pid();
    }

    /** The broker's own log files (server.log, its console, the storage format's output). */
    public List<Path> logFiles() {
        try (var files = Files.list(home.resolve("logs"))) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates (or changes) a SCRAM-SHA-512 user, over the internal listener. */
    public void createScramUser(String user, String password) {
        try (Admin admin = Admin.create(internalAdminProperties())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("could not create the SCRAM user " + user + ": " + e, e);
        }
    }

    @Override
    public void close() {
        if (broker != null) {
            broker.stop();
        }
    }

    private Properties internalAdminProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        return props;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(internalAdminProperties())) {
            while (true) {
                if (!broker.isAlive()) {
                    throw new IllegalStateException("the Kafka broker ended while starting:\n" + broker.logTail(60));
                }
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
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
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not clear " + dir, e);
        }
    }

    private Path serverProperties() {
        return home.resolve("config/server.properties");
    }

    private List<String> jvmOptions() {
        return List.of("-Xms128m", "-Xmx384m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                "-Dkafka.logs.dir=" + home.resolve("logs"),
                "-Dlog4j2.configurationFile=file:" + home.resolve("config/log4j2.properties"));
    }

    private void writeConfig(Path keystore, String keystorePassword) {
        String server = String.join("\n",
                "# written by SecureKafkaBroker: one KRaft node on 127.0.0.1 only; clients must use SASL_SSL + SCRAM-SHA-512",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=EXTERNAL://127.0.0.1:" + externalPort + ",INTERNAL://127.0.0.1:" + internalPort
                        + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=EXTERNAL://127.0.0.1:" + externalPort + ",INTERNAL://127.0.0.1:" + internalPort,
                "listener.security.protocol.map=EXTERNAL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=INTERNAL",
                "controller.listener.names=CONTROLLER",
                // SASL on the external listener: SCRAM-SHA-512 only, credentials kept in the cluster's metadata
                "sasl.enabled.mechanisms=SCRAM-SHA-512",
                "listener.name.external.sasl.enabled.mechanisms=SCRAM-SHA-512",
                "listener.name.external.scram-sha-512.sasl.jaas.config="
                        + "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                // TLS on the external listener
                "listener.name.external.ssl.keystore.type=PKCS12",
                "listener.name.external.ssl.keystore.location=" + keystore.toAbsolutePath(),
                "listener.name.external.ssl.keystore.password=" + keystorePassword,
                "listener.name.external.ssl.key.password=" + keystorePassword,
                "listener.name.external.ssl.client.auth=none",
                "log.dirs=" + home.resolve("data"),
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "group.initial.rebalance.delay.ms=0",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=1",
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
}
