package dev.fillmask.job.reliability;

import dev.fillmask.job.cluster.FlinkProcesses;
import dev.fillmask.job.cluster.KafkaProcess;
import dev.fillmask.job.local.Topics;
import dev.fillmask.engine.model.FileTrees;
import dev.fillmask.engine.testing.SharedDefaultModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The process cluster of StandaloneClusterITCase and the reliability runs: a Kafka broker process (KRaft) and a Flink
 * session cluster of processes (a JobManager and one TaskManager with two slots), the native jars in the cluster's
 * lib/ with parent-first patterns, the cluster jar submitted with {@code flink run}. {@link #close} stops every
 * process, also when the start failed half-way.
 */
public final class ReliabilityCluster implements AutoCloseable {
    public static final String INPUT = "requests";
    public static final String OUTPUT = "answers";
    public static final String DEAD_LETTERS = "dead-letters";
    public static final String GROUP = "reliability";
    public static final int PARTITIONS = 2;

    private final Path home;
    private final Path jobJar;
    private final Path model;
    private KafkaProcess kafka;
    private FlinkProcesses flink;

    private ReliabilityCluster(Path home, Path jobJar, Path model) {
        this.home = home;
        this.jobJar = jobJar;
        this.model = model;
    }

    /**
     * Starts the broker and the Flink cluster under {@code home} (emptied first), with {@code flinkConfiguration} on
     * top of the common settings, creates the topics and waits until the TaskManager has registered.
     */
    public static ReliabilityCluster start(Path home, Map<String, String> flinkConfiguration) {
        Path jobJar = pathProperty("fillmask.cluster.jobJar", "target/fill-mask-flink-job.jar");
        Path flinkLib = pathProperty("fillmask.cluster.flinkLib", "target/cluster-flink-lib");
        Path nativeLib = pathProperty("fillmask.cluster.nativeLib", "target/cluster-native-lib");
        Path kafkaLib = pathProperty("fillmask.cluster.kafkaLib", "target/cluster-kafka-lib");
        if (!Files.isRegularFile(jobJar)) {
            throw new IllegalStateException("no cluster jar " + jobJar + ": run `mvn verify` (package first)");
        }
        ReliabilityCluster cluster = new ReliabilityCluster(home.toAbsolutePath(), jobJar, SharedDefaultModel.path());
        try {
            deleteRecursively(cluster.home);
            cluster.kafka = KafkaProcess.start(cluster.home.resolve("kafka"), kafkaLib);
            Map<String, String> config = new LinkedHashMap<>();
            // the jars of nativeLib are in the cluster's lib/: load their classes there, once per JVM (docs/operations.md)
            config.put("classloader.parent-first-patterns.additional", "ai.djl.;ai.onnxruntime.");
            // metrics read over REST are at most a second old
            config.put("metrics.fetcher.update-interval", "1000");
            config.putAll(flinkConfiguration);
            cluster.flink = FlinkProcesses.start(cluster.home.resolve("flink"), List.of(flinkLib, nativeLib), config);
            cluster.kafka.awaitReady();
            Topics.ensure(cluster.kafka.bootstrapServers(), new Properties(), List.of(INPUT, OUTPUT, DEAD_LETTERS),
                    PARTITIONS);
            cluster.flink.awaitReady(1);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    public KafkaProcess kafka() {
        return kafka;
    }

    public FlinkProcesses flink() {
        return flink;
    }

    public Path home() {
        return home;
    }

    public Path jobJar() {
        return jobJar;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The job's arguments: this cluster's broker and topics, the default model, small batches, 1 s checkpoints. */
    public List<String> jobArguments(int parallelism, int batchSize) {
        return new ArrayList<>(List.of(
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--input-topic", INPUT,
                "--output-topic", OUTPUT,
                "--dead-letter-topic", DEAD_LETTERS,
                "--group-id", GROUP,
                "--transactional-id-prefix", GROUP,
                "--model", model.toString(),
                "--parallelism", Integer.toString(parallelism),
                "--threads", "1",
                "--batch-size", Integer.toString(batchSize),
                "--checkpoint-interval", "1s"));
    }

    /** Stops the Flink processes, then the broker; each even when the other fails to stop. */
    @Override
    public void close() {
        try {
            if (flink != null) {
                flink.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    private static Path pathProperty(String name, String fallback) {
        return Path.of(System.getProperty(name, fallback)).toAbsolutePath();
    }

    private static void deleteRecursively(Path dir) {
        try {
            FileTrees.deleteRecursively(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not empty " + dir, e);
        }
    }
}
