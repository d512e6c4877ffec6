package dev.fillmask.job;

import dev.fillmask.job.reliability.LoadRun;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The soak: ClusterLoadITCase's overload for minutes instead of 45 s. Not run by CI (failsafe runs *ITCase only);
 * run it by hand, for 3 minutes of overload at 80 requests/s (about three times what the job answers on
 * two cores):
 *
 * <pre>
 * mvn -B -ntp -pl schemas,udf install -DskipTests
 * mvn -B -ntp -pl job verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ClusterLoadSoak \
 *     -Dsoak.minutes=3 [-Dsoak.rate=80]
 * </pre>
 *
 * The backlog it builds drains after the producer stops, at the job's own pace (on 2 cores: several minutes; the
 * drain is allowed up to 3× the overload plus 5 minutes). Results: {@code target/reliability/cluster-load-soak.md};
 * logs: {@code target/cluster-load-soak/}.
 */
class ClusterLoadSoak {
    @Test
    void overloadForMinutesHoldsAndDrainsWithExactlyOneAnswerPerRequest() throws Exception {
        double minutes = Double.parseDouble(System.getProperty("soak.minutes", "3"));
        double rate = Double.parseDouble(System.getProperty("soak.rate", Double.toString(ClusterLoadITCase.RATE)));
        Duration overload = Duration.ofMillis((long) (minutes * 60_000));
        LoadRun.run(Path.of("target", "cluster-load-soak"), new LoadRun.Settings("cluster-load-soak",
                "Overload on the process cluster, soak: ClusterLoadSoak", overload, rate, 2, 8,
                Duration.ofSeconds(10), overload.multipliedBy(3).plusMinutes(5),
                "mvn -B -ntp -pl job verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false "
                        + "-Dit.test=ClusterLoadSoak -Dsoak.minutes=" + System.getProperty("soak.minutes", "3")
                        + " -Dsoak.rate=" + rate));
    }
}
