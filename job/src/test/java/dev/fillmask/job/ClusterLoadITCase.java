package dev.fillmask.job;

import dev.fillmask.job.reliability.LoadRun;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The short overload run of CI (ClusterLoadSoak is the long one, run by hand): on the real topology (a broker
 * process, a JobManager and a TaskManager process, the cluster jar via {@code flink run}), a producer at
 * {@value #RATE} requests/s, about three times what the job answers on two cores (25-35/s), for 45 s, then none.
 * Backpressure holds (no failure, no restart), the lag drains, every request has exactly one answer, memory stays
 * bounded, and the TaskManager's heap and RSS are sampled every 5 s into {@code target/reliability/cluster-load.md}.
 * {@code -Dload.rate=N} changes the rate. Logs: {@code target/cluster-load-it/}.
 */
class ClusterLoadITCase {
    static final double RATE = 80;

    @Test
    void overloadForFortyFiveSecondsHoldsAndDrainsWithExactlyOneAnswerPerRequest() throws Exception {
        LoadRun.run(Path.of("target", "cluster-load-it"), new LoadRun.Settings("cluster-load",
                "Overload on the process cluster, short (CI): ClusterLoadITCase",
                Duration.ofSeconds(45), Double.parseDouble(System.getProperty("load.rate", Double.toString(RATE))), 2, 8,
                Duration.ofSeconds(5), Duration.ofMinutes(4),
                "mvn -B -ntp -pl job verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false "
                        + "-Dit.test=ClusterLoadITCase"));
    }
}
