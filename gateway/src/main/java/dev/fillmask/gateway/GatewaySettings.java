package dev.fillmask.gateway;

import dev.fillmask.schemas.RequestLimits;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/**
 * Everything a {@link Gateway} is started with. Immutable; {@link #defaults(String, InetSocketAddress)} and the
 * {@code with*} methods build one.
 *
 * @param bootstrapServers  the job's Kafka broker(s)
 * @param clientProperties  extra Kafka client settings (security.protocol, sasl.*, ssl.*), passed unchanged
 * @param inputTopic        where requests go (the job's input topic)
 * @param outputTopic       where answers are read (the job's output topic)
 * @param listen            the HTTP address (port 0: any free port)
 * @param tokens            the accepted bearer tokens, or null for an open gateway
 * @param tls               the keystore for HTTPS, or null for plain HTTP
 * @param limits            the job's request limits, checked before a request goes to Kafka
 * @param maxWaiting        the most requests (each input of a list counts) waiting for their answer; 429 beyond
 * @param maxInputs         the most inputs one HTTP request may carry as a list
 * @param maxBodyBytes      the largest HTTP body accepted; 413 beyond, decided before the body is read when it says
 *                          its length
 * @param timeout           how long a request waits for its answer; 504 after
 * @param threads           HTTP worker threads (they read and check bodies and write answers; nothing waits on them)
 * @param probeInterval     how often a gateway that is not ready asks the job whether it answers
 * @param drain             on {@link Gateway#close()}, how long requests waiting for their answer may still get it
 *                          before they are answered 503
 */
public record GatewaySettings(String bootstrapServers, Properties clientProperties, String inputTopic,
                              String outputTopic, InetSocketAddress listen, BearerTokens tokens, TlsKeystore tls,
                              RequestLimits limits, int maxWaiting, int maxInputs, int maxBodyBytes, Duration timeout,
                              int threads, Duration probeInterval, Duration drain) {

    public static final int DEFAULT_MAX_WAITING = 1024;
    public static final int DEFAULT_MAX_INPUTS = 64;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_THREADS = 8;
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(5);

    /** A keystore (PKCS12 or JKS) holding the server's key and certificate chain. */
    public record TlsKeystore(Path file, char[] password) {
        public TlsKeystore {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "TlsKeystore[" + file + "]"; // never the password
        }
    }

    public GatewaySettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(clientProperties, "clientProperties");
        Objects.requireNonNull(inputTopic, "inputTopic");
        Objects.requireNonNull(outputTopic, "outputTopic");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(limits, "limits");
        requirePositive("maxWaiting", maxWaiting);
        requirePositive("maxInputs", maxInputs);
        requirePositive("maxBodyBytes", maxBodyBytes);
        requirePositive("threads", threads);
        if (timeout.isNegative() || timeout.isZero() || probeInterval.isNegative() || probeInterval.isZero()
                || drain.isNegative()) {
            throw new IllegalArgumentException("timeout and probe interval must be > 0, drain >= 0");
        }
    }

    /**
     * The job's default topics and limits, an open gateway on plain HTTP: 1,024 requests waiting, 64 inputs per list,
     * bodies up to the job's largest request, 30 s for an answer.
     */
    public static GatewaySettings defaults(String bootstrapServers, InetSocketAddress listen) {
        RequestLimits limits = RequestLimits.defaults();
        return new GatewaySettings(bootstrapServers, new Properties(), "fill-mask-requests", "fill-mask-answers",
                listen, null, null, limits, DEFAULT_MAX_WAITING, DEFAULT_MAX_INPUTS, limits.maxRequestBytes(),
                DEFAULT_TIMEOUT, DEFAULT_THREADS, DEFAULT_PROBE_INTERVAL, DEFAULT_DRAIN);
    }

    public GatewaySettings withBootstrapServers(String value) {
        return new GatewaySettings(value, clientProperties, inputTopic, outputTopic, listen, tokens, tls, limits,
                maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withClientProperties(Properties value) {
        return new GatewaySettings(bootstrapServers, value, inputTopic, outputTopic, listen, tokens, tls, limits,
                maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withTopics(String input, String output) {
        return new GatewaySettings(bootstrapServers, clientProperties, input, output, listen, tokens, tls, limits,
                maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withTokens(BearerTokens value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, value, tls,
                limits, maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withTls(TlsKeystore value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, value,
                limits, maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    /** The job's limits; the body limit follows the request limit unless set after. */
    public GatewaySettings withLimits(RequestLimits value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                value, maxWaiting, maxInputs, value.maxRequestBytes(), timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withMaxWaiting(int value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, value, maxInputs, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withMaxInputs(int value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, value, maxBodyBytes, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withMaxBodyBytes(int value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, maxInputs, value, timeout, threads, probeInterval, drain);
    }

    public GatewaySettings withTimeout(Duration value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, maxInputs, maxBodyBytes, value, threads, probeInterval, drain);
    }

    public GatewaySettings withThreads(int value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, maxInputs, maxBodyBytes, timeout, value, probeInterval, drain);
    }

    public GatewaySettings withProbeInterval(Duration value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, maxInputs, maxBodyBytes, timeout, threads, value, drain);
    }

    public GatewaySettings withDrain(Duration value) {
        return new GatewaySettings(bootstrapServers, clientProperties, inputTopic, outputTopic, listen, tokens, tls,
                limits, maxWaiting, maxInputs, maxBodyBytes, timeout, threads, probeInterval, value);
    }

    /** Without the Kafka client settings' values (they may hold passwords) and without any token. */
    @Override
    public String toString() {
        return "GatewaySettings[bootstrapServers=" + bootstrapServers + ", clientProperties="
                + clientProperties.stringPropertyNames() + ", inputTopic=" + inputTopic + ", outputTopic="
                + outputTopic + ", listen=" + listen + ", tokens=" + tokens + ", tls=" + tls + ", limits=" + limits
                + ", maxWaiting=" + maxWaiting + ", maxInputs=" + maxInputs + ", maxBodyBytes=" + maxBodyBytes
                + ", timeout=" + timeout + ", threads=" + threads + ", probeInterval=" + probeInterval + ", drain="
                + drain + "]";
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }
}
