package dev.fillmask.job.cli;

import dev.fillmask.gateway.BearerTokens;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.kafka.KafkaConnections;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The HTTP gateway's options, one definition for {@code run --embedded --http} and {@code serve}: where it listens,
 * who may call it, TLS, and its bounds. The topics, the Kafka client settings and the request limits are the job's
 * own options ({@link FillMaskOptions}), so the gateway checks requests by the job's rules.
 */
final class HttpOptions {
    static final String HTTP = "http";
    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option(HTTP, "[HOST:]PORT", "serve the Hugging Face Inference API (POST /models/{model_id},"
                    + " POST /) on this address; a port alone listens on 127.0.0.1", null),
            new CommandLine.Option("http-tokens", "FILE", "bearer tokens, one per line (# comments): a request without"
                    + " one of them gets 401. Without: anybody who reaches the port may call it", null),
            new CommandLine.Option("http-keystore", "FILE", "a PKCS12 keystore with the server's key and certificate:"
                    + " HTTPS instead of HTTP", null),
            new CommandLine.Option("http-keystore-password-file", "FILE", "a file holding the keystore's password",
                    null),
            new CommandLine.Option("http-timeout", "DURATION", "how long a request waits for its answer before 504",
                    TimeUtils.formatWithHighestUnit(GatewaySettings.DEFAULT_TIMEOUT)),
            new CommandLine.Option("http-max-waiting", "N", "most requests (each input of a list counts) waiting for"
                    + " their answers; 429 beyond", Integer.toString(GatewaySettings.DEFAULT_MAX_WAITING)),
            new CommandLine.Option("http-max-inputs", "N", "most inputs in one request's list",
                    Integer.toString(GatewaySettings.DEFAULT_MAX_INPUTS)),
            new CommandLine.Option("http-max-body-bytes", "N", "largest request body; 413 beyond, before the body is"
                    + " read when it gives its length. Default: --max-request-bytes", null),
            new CommandLine.Option("http-threads", "N", "HTTP worker threads (none waits for an answer)",
                    Integer.toString(GatewaySettings.DEFAULT_THREADS)));

    private HttpOptions() {}

    /** The gateway's settings from {@code cli}, or empty without {@code --http}. */
    static Optional<GatewaySettings> of(CommandLine cli, Configuration jobOptions) {
        if (!cli.has(HTTP)) {
            return Optional.empty();
        }
        GatewaySettings settings = GatewaySettings.defaults("", address(cli.get(HTTP)))
                .withTopics(jobOptions.get(FillMaskOptions.INPUT_TOPIC), jobOptions.get(FillMaskOptions.OUTPUT_TOPIC))
                .withClientProperties(KafkaConnections.clientPropertiesOf(jobOptions))
                .withLimits(FillMaskOptions.requestLimits(jobOptions))
                .withMaxWaiting(cli.intValue("http-max-waiting", 1))
                .withMaxInputs(cli.intValue("http-max-inputs", 1))
                .withThreads(cli.intValue("http-threads", 1))
                .withTimeout(duration(cli, "http-timeout"));
        if (cli.has("http-max-body-bytes")) {
            settings = settings.withMaxBodyBytes(cli.intValue("http-max-body-bytes", 1));
        }
        if (cli.has("http-tokens")) {
            settings = settings.withTokens(BearerTokens.read(Path.of(cli.get("http-tokens"))));
        }
        if (cli.has("http-keystore")) {
            if (!cli.has("http-keystore-password-file")) {
                throw new CommandLine.UsageException("--http-keystore needs --http-keystore-password-file FILE");
            }
            settings = settings.withTls(new GatewaySettings.TlsKeystore(Path.of(cli.get("http-keystore")),
                    password(Path.of(cli.get("http-keystore-password-file")))));
        }
        return Optional.of(settings);
    }

    static InetSocketAddress address(String value) {
        String v = value.trim();
        int colon = v.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : v.substring(0, colon).replace("[", "").replace("]", "");
        String port = colon < 0 ? v : v.substring(colon + 1);
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(InetAddress.getByName(host.isEmpty() ? "127.0.0.1" : host), p);
        } catch (NumberFormatException e) {
            throw new CommandLine.UsageException("--http " + value + ": the port must be a number from 0 to 65535");
        } catch (UnknownHostException e) {
            throw new CommandLine.UsageException("--http " + value + ": unknown host " + host);
        }
    }

    private static Duration duration(CommandLine cli, String name) {
        try {
            return TimeUtils.parseDuration(cli.get(name));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException("--" + name + ": cannot read '" + cli.get(name) + "' as a duration");
        }
    }

    private static char[] password(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the keystore password file " + file + ": " + e.getMessage());
        }
    }
}
