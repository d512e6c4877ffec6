package dev.fillmask.job.kafka;

import dev.fillmask.job.FillMaskOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One connection to Kafka with the job's client settings before the job is submitted. Settings the broker rejects
 * (a wrong user name or password, an untrusted or misnamed broker certificate, a SASL mechanism the broker does not
 * offer) end the start with an {@link IllegalArgumentException} that says what to fix, instead of becoming a job that
 * fails and restarts on its TaskManagers for ever. So does a broker that does not answer within {@code --broker-wait}
 * (a wrong address, a broker that is down, a firewall, a protocol the listener does not speak): the message names the
 * address and what to check. The wait is for brokers that start together with the job.
 *
 * <p>Messages name the broker, the protocol, the mechanism, the user name and the properties file; never a password
 * (Kafka's own messages carry none either).
 */
public final class KafkaPreflight {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaPreflight.class);

    private static final Pattern USERNAME = Pattern.compile("\\busername\\s*=\\s*\"([^\"]*)\"");
    /** A value in a JAAS line: any quoted string, or an unquoted {@code key=value}'s value. */
    private static final Pattern JAAS_VALUE = Pattern.compile("\"([^\"]*)\"|=\\s*([^\\s;\"]+)");

    private KafkaPreflight() {}

    /** Checks the broker and client settings the job's options name ({@code --bootstrap-servers}, {@code --kafka-properties}). */
    public static void check(Configuration options) {
        String bootstrap = new KafkaConnections(options).bootstrapServers();
        String source = options.getOptional(FillMaskOptions.KAFKA_PROPERTIES)
                .filter(s -> !s.isBlank())
                .map(file -> Path.of(file).toAbsolutePath() + " (--"
                        + FillMaskOptions.flagName(FillMaskOptions.KAFKA_PROPERTIES) + ")")
                .orElse("--" + FillMaskOptions.flagName(FillMaskOptions.KAFKA_PROPERTIES) + " (none given)");
        check(bootstrap, KafkaConnections.clientPropertiesOf(options), source, options.get(FillMaskOptions.BROKER_WAIT));
    }

    /**
     * Connects to {@code bootstrapServers} with {@code clientProperties} and asks for the cluster's brokers, waiting
     * up to {@code wait} for an answer (the client retries the connection meanwhile). {@code source} says where the
     * properties came from, for the messages.
     */
    public static void check(String bootstrapServers, Properties clientProperties, String source, Duration wait) {
        Duration timeout = wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait;
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "fill-mask-preflight");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        String protocol = props.getProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
        String where = bootstrapServers + " (" + protocol + describeSasl(props) + ")";
        long started = System.nanoTime();
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            // Unreadable truststore or keystore, a malformed sasl.jaas.config, an unknown setting value...
            throw new IllegalArgumentException("the Kafka client settings of " + source + " are not usable: "
                    + messages(e, props));
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            LOG.info("Kafka at {}: connected in {} ms", where,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SaslAuthenticationException) {
                throw new IllegalArgumentException("Kafka authentication failed at " + where
                        + ": the broker rejected the user name or password. Check sasl.jaas.config in " + source
                        + ". Kafka said: " + messages(cause, props));
            }
            if (cause instanceof SslAuthenticationException) {
                throw new IllegalArgumentException("TLS handshake with Kafka at " + where + " failed: the broker's "
                        + "certificate is not trusted or does not name the host. Check ssl.truststore.location, "
                        + "ssl.truststore.password (and ssl.truststore.type) in " + source + ", and that the "
                        + "certificate's subject alternative names include the host of --"
                        + FillMaskOptions.flagName(FillMaskOptions.BOOTSTRAP_SERVERS) + ". Kafka said: "
                        + messages(cause, props));
            }
            if (cause instanceof AuthenticationException) {
                throw new IllegalArgumentException("Kafka authentication failed at " + where + ". Check "
                        + "security.protocol, sasl.mechanism and sasl.jaas.config in " + source + ". Kafka said: "
                        + messages(cause, props));
            }
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable(where, source, timeout, messages(cause, props));
            }
            warnUnchecked(where, source, messages(cause, props));
        } catch (TimeoutException e) {
            throw unreachable(where, source, timeout, "no answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to Kafka at " + where, e);
        } finally {
            admin.close(Duration.ofSeconds(2));
        }
    }

    private static IllegalArgumentException unreachable(String where, String source, Duration wait, String kafkaSaid) {
        return new IllegalArgumentException("no Kafka broker answered at " + where + " within " + describe(wait)
                + " (--" + FillMaskOptions.flagName(FillMaskOptions.BROKER_WAIT) + "). Check that the broker is"
                + " running and reachable from here (host, port, firewall), that --"
                + FillMaskOptions.flagName(FillMaskOptions.BOOTSTRAP_SERVERS) + " names one of its listeners, and that"
                + " security.protocol in " + source + " is the listener's; if the broker is still starting, give it"
                + " longer with --" + FillMaskOptions.flagName(FillMaskOptions.BROKER_WAIT) + ". Kafka said: "
                + kafkaSaid);
    }

    private static String describe(Duration wait) {
        return wait.toMillis() % 1000 == 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms";
    }

    private static void warnUnchecked(String where, String source, String why) {
        LOG.warn("could not check the connection to Kafka at {} before starting: {}. Starting anyway (the job retries). If the "
                + "broker needs TLS or SASL, check security.protocol and sasl.* in {}.", where, why, source);
    }

    /** {@code , SCRAM-SHA-512, user 'name'} for SASL protocols; the user name only, never the password. */
    private static String describeSasl(Properties props) {
        String protocol = props.getProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "");
        if (!protocol.toUpperCase(java.util.Locale.ROOT).startsWith("SASL")) {
            return "";
        }
        String text = ", " + props.getProperty(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM);
        String jaas = props.getProperty(SaslConfigs.SASL_JAAS_CONFIG);
        if (jaas != null) {
            Matcher user = USERNAME.matcher(jaas);
            if (user.find()) {
                text += ", user '" + user.group(1) + "'";
            }
        }
        return text;
    }

    /**
     * The messages of {@code e} and its causes, without repeats, with every secret value of {@code props} replaced by
     * {@code ****}. Kafka's messages carry no secrets, but a mistyped sasl.jaas.config can make its parser quote a
     * value as if it were a key; so the messages are scrubbed, and the exceptions themselves (with their stack
     * traces) are not passed on.
     */
    static String messages(Throwable e, Properties props) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && !message.isBlank() && text.indexOf(message) < 0) {
                if (text.length() > 0) {
                    text.append(": ");
                }
                text.append(message);
            }
        }
        String result = text.length() == 0 ? e.getClass().getSimpleName() : text.toString();
        for (String secret : secretValues(props)) {
            result = result.replace(secret, "****");
        }
        return result;
    }

    /**
     * The values of the settings that Kafka types as passwords (sasl.jaas.config, ssl.*.password, ssl.keystore.key,
     * ...) or whose names say secret, and each value inside a JAAS line (every quoted string: a stray one is what
     * Kafka's JAAS parser quotes back as a "key"); longest first.
     */
    static List<String> secretValues(Properties props) {
        TreeSet<String> secrets = new TreeSet<>(Comparator.comparingInt(String::length).reversed()
                .thenComparing(Comparator.naturalOrder()));
        for (String key : props.stringPropertyNames()) {
            String value = props.getProperty(key);
            if (value == null || value.isBlank() || !isSecret(key)) {
                continue;
            }
            secrets.add(value);
            if (key.endsWith(SaslConfigs.SASL_JAAS_CONFIG)) {
                Matcher m = JAAS_VALUE.matcher(value);
                while (m.find()) {
                    String inner = m.group(1) != null ? m.group(1) : m.group(2);
                    if (inner.length() >= 3) {
                        secrets.add(inner);
                    }
                }
            }
        }
        return List.copyOf(secrets);
    }

    private static boolean isSecret(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        if (lower.contains("password") || lower.contains("secret") || lower.contains("jaas")
                || lower.contains("token") || lower.contains("credential")) {
            return true;
        }
        for (ConfigDef def : List.of(AdminClientConfig.configDef(), ProducerConfig.configDef(),
                ConsumerConfig.configDef())) {
            ConfigDef.ConfigKey configKey = def.configKeys().get(key);
            if (configKey != null && configKey.type == ConfigDef.Type.PASSWORD) {
                return true;
            }
        }
        return false;
    }
}
