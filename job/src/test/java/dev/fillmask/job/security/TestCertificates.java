package dev.fillmask.job.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A broker's TLS identity made by the test with the JDK's {@code keytool}: a self-signed EC certificate for
 * {@code localhost} / {@code 127.0.0.1} in a PKCS12 keystore, and a PKCS12 truststore holding that certificate for the
 * clients. The passwords reach keytool through its environment ({@code -storepass:env}), never its command line.
 */
public final class TestCertificates {
    public final Path brokerKeystore;
    public final Path clientTruststore;

    private TestCertificates(Path brokerKeystore, Path clientTruststore) {
        this.brokerKeystore = brokerKeystore;
        this.clientTruststore = clientTruststore;
    }

    public static TestCertificates create(Path dir, String keystorePassword, String truststorePassword) {
        try {
            Files.createDirectories(dir);
            Path keystore = dir.resolve("broker.keystore.p12");
            Path certificate = dir.resolve("broker.crt");
            Path truststore = dir.resolve("client.truststore.p12");
            for (Path p : List.of(keystore, certificate, truststore)) {
                Files.deleteIfExists(p);
            }
            Map<String, String> env = Map.of("KS_PASS", keystorePassword, "TS_PASS", truststorePassword);
            keytool(dir, env, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-sigalg", "SHA256withECDSA", "-validity", "2", "-dname", "CN=localhost, O=fill-mask test broker",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                    "-storepass:env", "KS_PASS");
            keytool(dir, env, "-exportcert", "-alias", "broker", "-rfc", "-file", certificate.toString(),
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass:env", "KS_PASS");
            keytool(dir, env, "-importcert", "-noprompt", "-alias", "fill-mask-test-broker", "-file",
                    certificate.toString(), "-keystore", truststore.toString(), "-storetype", "PKCS12",
                    "-storepass:env", "TS_PASS");
            return new TestCertificates(keystore, truststore);
        } catch (IOException e) {
            throw new UncheckedIOException("could not make the test certificates in " + dir, e);
        }
    }

    private static void keytool(Path dir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " did not end within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed (exit code " + process.exitValue()
                        + "): " + output);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }
}
