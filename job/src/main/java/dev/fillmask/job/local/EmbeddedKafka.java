package dev.fillmask.job.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A real Kafka broker (KRaft, one combined broker/controller node) inside this JVM: the server {@code kafka.Kafka}
 * runs, formatted and configured like a one-node installation, with the settings a one-broker cluster needs for
 * transactions. Its listeners bind the run's {@link ListenAddress}, 127.0.0.1 unless asked otherwise. (Kafka's
 * KafkaClusterTestKit is not used: it binds its sockets on every interface before it reads any listener setting.)
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final Path home;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaRaftServer server, Path home, String bootstrapServers) {
        this.server = server;
        this.home = home;
        this.bootstrapServers = bootstrapServers;
    }

    /** A broker on 127.0.0.1. */
    public static EmbeddedKafka start() {
        return start(ListenAddress.loopback());
    }

    public static EmbeddedKafka start(ListenAddress listen) {
        Path home = null;
        KafkaRaftServer server = null;
        try {
            home = Files.createTempDirectory("fill-mask-kafka-");
            int port = listen.freePort();
            Properties config = configuration(listen, port, listen.freePort(), home.resolve("data"));
            format(config, home);
            server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
            // Returns once the broker has caught up with the controller and is unfenced: ready for clients.
            server.startup();
            return new EmbeddedKafka(server, home, listen.clientAddress(port));
        } catch (Exception e) {
            if (server != null) {
                try {
                    stop(server);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            deleteQuietly(home);
            throw new IllegalStateException("could not start the embedded Kafka broker: " + e.getMessage(), e);
        }
    }

    static Properties configuration(ListenAddress listen, int port, int controllerPort, Path data) {
        Properties config = new Properties();
        config.putAll(listen.kafkaListeners(port, controllerPort));
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("log.dirs", data.toString());
        config.put("num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "4");
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("auto.create.topics.enable", "false");
        // Room for oversized requests, so the job's answer to them can be tried (it rejects > 1 MiB).
        config.put("message.max.bytes", Integer.toString(16 << 20));
        return config;
    }

    /** What {@code kafka-storage.sh format} does; its report goes to the log, as stdout carries a run's answers. */
    private static void format(Properties config, Path home) throws IOException {
        Path file = home.resolve("server.properties");
        try (var out = Files.newOutputStream(file)) {
            config.store(out, "the embedded broker of a local fill-mask run");
        }
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        int code = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                file.toString()}, new PrintStream(report, true, StandardCharsets.UTF_8));
        if (code != 0) {
            throw new IllegalStateException("formatting its log folder failed: " + report.toString(StandardCharsets.UTF_8));
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        try {
            stop(server);
        } finally {
            deleteQuietly(home);
        }
    }

    private static void stop(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    private static void deleteQuietly(Path folder) {
        if (folder == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // A temporary folder left behind is no reason to fail a run that has ended.
        }
    }
}
