package dev.fillmask.job.security;

import dev.fillmask.job.cluster.BrokerListeners;
import dev.fillmask.job.cluster.KafkaProcess;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The listeners of a {@link KafkaProcess} that lets clients in only with SCRAM-SHA-512 over TLS:
 * <ul>
 *   <li>{@code EXTERNAL} — SASL_SSL, SCRAM-SHA-512, the broker's certificate from {@link TestCertificates}: the one
 *       listener the job and the test's clients use;</li>
 *   <li>{@code INTERNAL} — PLAINTEXT, between brokers and for the test's set-up (readiness, creating the SCRAM user),
 *       and {@code CONTROLLER} — PLAINTEXT, for KRaft.</li>
 * </ul>
 * Every listener binds 127.0.0.1 only. The keystore password is only in the broker's {@code server.properties}.
 */
public final class ScramTlsListeners implements BrokerListeners {
    private final Path keystore;
    private final String keystorePassword;

    public ScramTlsListeners(Path keystore, String keystorePassword) {
        this.keystore = keystore.toAbsolutePath();
        this.keystorePassword = keystorePassword;
    }

    @Override
    public Map<String, String> settings(int clientPort, int setupPort, int controllerPort) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        config.put("listeners", "EXTERNAL://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + setupPort
                + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "EXTERNAL://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + setupPort);
        config.put("listener.security.protocol.map", "EXTERNAL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("inter.broker.listener.name", "INTERNAL");
        config.put("controller.listener.names", "CONTROLLER");
        // SCRAM-SHA-512 only, the credentials kept in the cluster's metadata
        config.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        config.put("listener.name.external.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        config.put("listener.name.external.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        config.put("listener.name.external.ssl.keystore.type", "PKCS12");
        config.put("listener.name.external.ssl.keystore.location", keystore.toString());
        config.put("listener.name.external.ssl.keystore.password", keystorePassword);
        config.put("listener.name.external.ssl.key.password", keystorePassword);
        config.put("listener.name.external.ssl.client.auth", "none");
        return config;
    }

    @Override
    public boolean setupListenerOfItsOwn() {
        return true;
    }

    /** Creates (or changes) a SCRAM-SHA-512 user of {@code kafka}, over its PLAINTEXT set-up listener. */
    public static void createScramUser(KafkaProcess kafka, String user, String password) {
        try (Admin admin = Admin.create(kafka.setupAdminProperties())) {
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
}
