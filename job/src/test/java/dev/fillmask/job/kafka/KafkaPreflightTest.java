package dev.fillmask.job.kafka;

import dev.fillmask.job.FillMaskOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pre-flight check without a broker: settings Kafka cannot use end the start with a message naming the file and
 * no secret; so does an address where no broker answers, naming it and what to check. (Against a real SASL_SSL
 * broker: SecureKafkaITCase.)
 */
class KafkaPreflightTest {
    private static final String SECRET = "preflight-secret-8c1d";

    @TempDir
    Path dir;

    @Test
    void aMalformedJaasConfigEndsTheStartWithoutQuotingTheSecretKafkaQuotesBack() throws IOException {
        // A missing `password=` makes Kafka's JAAS parser report the quoted password as a key without a value.
        Path file = properties("security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"job\" \"" + SECRET + "\";");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KafkaPreflight.check(options(closedPort(), file)));
        assertTrue(e.getMessage().startsWith("the Kafka client settings of " + file + " (--kafka-properties) are "
                + "not usable: "), e.getMessage());
        assertTrue(e.getMessage().contains("JAAS"), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
        assertEquals(null, e.getCause(), "Kafka's exceptions (unscrubbed messages) are not passed on");
    }

    @Test
    void aMissingTruststoreEndsTheStartNamingIt() throws IOException {
        Path missing = dir.resolve("no-such.truststore.p12");
        Path file = properties("security.protocol=SSL", "ssl.truststore.location=" + missing,
                "ssl.truststore.password=" + SECRET);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KafkaPreflight.check(options(closedPort(), file)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }

    @Test
    void anAddressWhereNoBrokerAnswersEndsTheStartNamingItAndWhatToCheck() throws IOException {
        try (ClosedPort closed = new ClosedPort()) {
            Configuration options = new Configuration();
            options.set(FillMaskOptions.BOOTSTRAP_SERVERS, "127.0.0.1:" + closed.port());
            options.set(FillMaskOptions.BROKER_WAIT, Duration.ofSeconds(2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KafkaPreflight.check(options));
            assertTrue(e.getMessage().startsWith("no Kafka broker answered at 127.0.0.1:" + closed.port()
                    + " (PLAINTEXT) within 2 s (--broker-wait). Check that the broker is running and reachable"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("that --bootstrap-servers names one of its listeners"), e.getMessage());
            assertTrue(e.getMessage().contains("security.protocol in --kafka-properties (none given)"), e.getMessage());
        }
    }

    @Test
    void secretValuesAreThePasswordTypedAndJaasValues() {
        Properties props = new Properties();
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"job\" password=\"pw-1\" token=unquoted-2;");
        props.put("ssl.truststore.password", "ts-3");
        props.put("ssl.keystore.key", "key-4");
        props.put("ssl.truststore.location", "/not/secret");
        props.put("security.protocol", "SASL_SSL");
        List<String> secrets = KafkaPreflight.secretValues(props);
        for (String s : List.of("pw-1", "unquoted-2", "ts-3", "key-4", "job")) {
            assertTrue(secrets.contains(s), s + " in " + secrets.size() + " values");
        }
        assertFalse(secrets.contains("/not/secret"));
        assertFalse(secrets.contains("SASL_SSL"));
        assertEquals("a **** b", KafkaPreflight.messages(new IllegalStateException("a pw-1 b"), props));
    }

    private Path properties(String... lines) throws IOException {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static Configuration options(int port, Path file) {
        Configuration options = new Configuration();
        options.set(FillMaskOptions.BOOTSTRAP_SERVERS, "127.0.0.1:" + port);
        options.set(FillMaskOptions.KAFKA_PROPERTIES, file.toString());
        return options;
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A loopback port that stays closed while this is open: bound by a socket that never listens, so a connection to
     * it is refused and no other process can bind it meanwhile.
     */
    private static final class ClosedPort implements AutoCloseable {
        private final Socket socket = new Socket();

        ClosedPort() throws IOException {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
