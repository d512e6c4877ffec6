package dev.fillmask.job;

import dev.fillmask.job.cluster.ChildProcess;
import dev.fillmask.job.cluster.FlinkProcesses;
import dev.fillmask.job.cluster.KafkaProcess;
import dev.fillmask.job.listen.ListeningSockets;
import dev.fillmask.job.listen.ListeningSockets.Listener;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The servers the cluster tests start as processes of their own (a Kafka broker, a Flink JobManager and TaskManager,
 * configured by {@link KafkaProcess} and {@link FlinkProcesses}) listen on loopback only: every socket each process
 * listens on, as the kernel reports it. Logs: {@code job/target/cluster-listen-it/}.
 */
class ClusterListenITCase {
    private static final Path HOME = Path.of("target", "cluster-listen-it").toAbsolutePath();

    @Test
    void everyProcessListensOnLoopbackOnly() {
        Path flinkLib = Path.of(System.getProperty("fillmask.cluster.flinkLib", "target/cluster-flink-lib"));
        Path kafkaLib = Path.of(System.getProperty("fillmask.cluster.kafkaLib", "target/cluster-kafka-lib"));
        try (KafkaProcess kafka = KafkaProcess.start(HOME.resolve("kafka"), kafkaLib);
             FlinkProcesses flink = FlinkProcesses.start(HOME.resolve("flink"), List.of(flinkLib), Map.of())) {
            kafka.awaitReady();
            flink.awaitReady(1);
            assertOnLoopback(kafka.process(), 2);
            // REST API and web UI, RPC, blob server, metric query service
            assertOnLoopback(flink.jobManager(), 3);
            // RPC, data port, metric query service
            assertOnLoopback(flink.taskManagers().get(0), 2);
        }
    }

    private static void assertOnLoopback(ChildProcess process, int atLeast) {
        List<Listener> listeners = ListeningSockets.of(process.pid());
        assertTrue(listeners.size() >= atLeast, process + " listens on " + listeners);
        for (Listener l : listeners) {
            assertTrue(l.isLoopback(), process + " listens on " + l + ", not loopback; all: " + listeners);
        }
        assertFalse(listeners.stream().anyMatch(Listener::isWildcard), listeners.toString());
        System.out.println("fill-mask: " + process.name() + " listens on " + listeners);
    }
}
