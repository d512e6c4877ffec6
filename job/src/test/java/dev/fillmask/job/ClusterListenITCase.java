package dev.fillmask.job;

import dev.fillmask.job.cluster.FlinkProcesses;
import dev.fillmask.job.cluster.KafkaProcess;
import dev.fillmask.job.listen.ListeningSockets;
import dev.fillmask.job.listen.ListeningSockets.Listener;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.security.ScramTlsListeners;
import dev.fillmask.job.security.TestCertificates;

import org.apache.flink.runtime.testutils.MiniClusterResource;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The servers the tests start listen on loopback only, every socket as the kernel reports it: the processes of the
 * cluster tests (a Kafka broker, a Flink JobManager and TaskManager, configured by {@link KafkaProcess} and
 * {@link FlinkProcesses}), the SASL_SSL broker of the security tests, and a MiniCluster configured as the job's
 * ITCases configure theirs. Logs: {@code job/target/cluster-listen-it/}.
 */
class ClusterListenITCase {
    private static final Path HOME = Path.of("target", "cluster-listen-it").toAbsolutePath();
    private static final Path KAFKA_LIB =
            Path.of(System.getProperty("fillmask.cluster.kafkaLib", "target/cluster-kafka-lib"));

    /** A broker's log folder from an earlier run belongs to another cluster id: each run starts afresh. */
    @BeforeAll
    static void clearEarlierRuns() throws IOException {
        if (Files.exists(HOME)) {
            try (Stream<Path> files = Files.walk(HOME)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    @Test
    void theClusterProcessesListenOnLoopbackOnly() {
        Path flinkLib = Path.of(System.getProperty("fillmask.cluster.flinkLib", "target/cluster-flink-lib"));
        try (KafkaProcess kafka = KafkaProcess.start(HOME.resolve("kafka"), KAFKA_LIB);
             FlinkProcesses flink = FlinkProcesses.start(HOME.resolve("flink"), List.of(flinkLib), Map.of())) {
            kafka.awaitReady();
            flink.awaitReady(1);
            // broker and controller
            assertOnLoopback("kafka", ListeningSockets.of(kafka.process().pid()), 2);
            // REST API and web UI, RPC, blob server, metric query service
            assertOnLoopback("jobmanager", ListeningSockets.of(flink.jobManager().pid()), 4);
            // RPC, data port, metric query service
            assertOnLoopback("taskmanager", ListeningSockets.of(flink.taskManagers().get(0).pid()), 3);
        }
    }

    @Test
    void theSecureBrokerListensOnLoopbackOnly() {
        TestCertificates tls = TestCertificates.create(HOME.resolve("tls"), "listen-keystore", "listen-truststore");
        try (KafkaProcess kafka = KafkaProcess.start(HOME.resolve("secure-kafka"), KAFKA_LIB,
                new ScramTlsListeners(tls.brokerKeystore, "listen-keystore"))) {
            kafka.awaitReady();
            // SASL_SSL, internal PLAINTEXT, controller
            assertOnLoopback("secure kafka", ListeningSockets.of(kafka.process().pid()), 3);
        }
    }

    @Test
    void aMiniClusterConfiguredLikeTheTestsListensOnLoopbackOnly() throws Exception {
        long self = ProcessHandle.current().pid();
        List<Listener> before = ListeningSockets.of(self);
        MiniClusterResource flink = new MiniClusterResource(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(ListenAddress.loopback().flinkConfiguration())
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
        flink.before();
        try {
            // REST API at least; which other services a MiniCluster opens is its business, where is ours
            assertOnLoopback("MiniCluster", ListeningSockets.since(before, ListeningSockets.of(self)), 1);
        } finally {
            flink.after();
        }
    }

    private static void assertOnLoopback(String what, List<Listener> listeners, int atLeast) {
        System.out.println("fill-mask: " + what + " listens on " + listeners);
        assertTrue(listeners.size() >= atLeast, what + " listens on " + listeners);
        for (Listener l : listeners) {
            assertTrue(l.isLoopback(), what + " listens on " + l + ", not loopback; all: " + listeners);
        }
    }
}
