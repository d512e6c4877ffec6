package dev.fillmask.gateway.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks the job whether it answers, while the gateway is not ready: checks that both topics exist, then sends a probe,
 * a request the job answers at once without the model ({@code {"fill-mask-gateway": "readiness probe"}} has no
 * {@code inputs}: an error answer, without a dead letter, as it is marked with the header {@value #HEADER_PROBE}). Its
 * answer, like any answer under this instance's key prefix, makes the gateway ready.
 */
public final class JobProbe implements AutoCloseable {
    public static final String HEADER_PROBE = "fill-mask.gateway.probe";
    static final byte[] PROBE = "{\"fill-mask-gateway\": \"readiness probe\"}".getBytes(StandardCharsets.UTF_8);

    /**
     * Whether a request is a gateway's probe: the probe's exact value, marked with {@value #HEADER_PROBE}. The job
     * answers it (the answer is what makes a gateway ready) but leaves no dead letter for it, which would otherwise
     * pile up one per probe interval while a gateway waits for the job. Nothing else can pass for a probe.
     */
    public static boolean isProbe(byte[] value, boolean markedAsProbe) {
        return markedAsProbe && Arrays.equals(PROBE, value);
    }

    private final Admin admin;
    private final RequestSender sender;
    private final Readiness readiness;
    private final String keyPrefix;
    private final List<String> topics;
    private int probes;

    public JobProbe(String bootstrapServers, Properties clientProperties, List<String> topics, RequestSender sender,
                    Readiness readiness, String keyPrefix) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(props);
        this.sender = sender;
        this.readiness = readiness;
        this.keyPrefix = keyPrefix;
        this.topics = topics;
    }

    /** One probe, unless the gateway is ready. Called every probe interval; never throws (that would end the calls). */
    public synchronized void probeIfNotReady() {
        if (readiness.isReady()) {
            return;
        }
        try {
            probe();
        } catch (RuntimeException e) {
            readiness.waitingFor("probing the job failed: " + e.getMessage());
        }
    }

    private void probe() {
        try {
            admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            readiness.waitingFor(e.getCause() instanceof UnknownTopicOrPartitionException
                    ? "a topic of the job does not exist yet: " + String.join(", ", topics)
                    : "the Kafka broker does not answer: " + e.getCause().getMessage());
            return;
        } catch (TimeoutException e) {
            readiness.waitingFor("the Kafka broker does not answer");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Header marker = new RecordHeader(HEADER_PROBE, "1".getBytes(StandardCharsets.US_ASCII));
        sender.send(keyPrefix + "probe-" + (++probes), PROBE, List.of(marker));
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
