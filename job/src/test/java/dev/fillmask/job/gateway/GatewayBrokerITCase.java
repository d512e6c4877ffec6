package dev.fillmask.job.gateway;

import dev.fillmask.gateway.BearerTokens;
import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.Topics;
import dev.fillmask.job.security.TestCertificates;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's refusals over real HTTP against a real broker, with a stand-in for the job that answers only the
 * readiness probes (no model needed): 401, 413 (declared and counted), 400 in the job's words, 504, 429, 503 while
 * the job has not answered, X-Wait-For-Model, and HTTPS.
 */
class GatewayBrokerITCase {
    private static final FillMaskCodec CODEC = new FillMaskCodec();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static GatewaySettings settings(String name) {
        Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(name + "-requests", name + "-answers"), 1);
        return GatewaySettings.defaults(kafka.bootstrapServers(), new InetSocketAddress("127.0.0.1", 0))
                .withTopics(name + "-requests", name + "-answers")
                .withProbeInterval(Duration.ofMillis(200))
                .withDrain(Duration.ZERO);
    }

    private static StandInJob standIn(GatewaySettings settings) {
        return new StandInJob(kafka.bootstrapServers(), settings.inputTopic(), settings.outputTopic());
    }

    @Test
    void refusesWithoutAValidTokenTooLargeBodiesAndWhatTheJobWouldRefuse() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "# the team\nfirst-token\nsecond-token\n");
        GatewaySettings settings = settings("refusals").withTokens(BearerTokens.read(tokens)).withMaxBodyBytes(1000);
        try (StandInJob job = standIn(settings); Gateway gateway = Gateway.start(settings)) {
            awaitReady(gateway);
            String bad = "{\"inputs\": 42}";
            assertError(401, null, post(gateway, "/models/bert-base-uncased", bad, null));
            assertError(401, null, post(gateway, "/models/bert-base-uncased", bad, "Bearer first-tokenX"));
            assertError(401, null, post(gateway, "/", bad, "Basic first-token"));
            HttpResponse<String> refused = post(gateway, "/models/bert-base-uncased", bad, "Bearer second-token");
            assertError(400, reason(bad), refused);
            assertEquals(CODEC.writeAnswerAsString(FillMaskAnswer.error(reason(bad))), refused.body(),
                    "the job's error answer, byte for byte");
            assertError(400, reason("not json"), post(gateway, "/", "not json", "Bearer first-token"));

            String tooLarge = "{\"inputs\": \"" + "a".repeat(1200) + " [MASK]\"}";
            assertError(413, null, post(gateway, "/", tooLarge, "Bearer first-token"));
            // Declared too large: refused before the body is sent at all (none follows the headers here).
            assertTrue(raw(gateway, "Content-Length: 100000000\r\n\r\n").startsWith("HTTP/1.1 413"));
            // Chunked, no length given: counted, refused past the limit.
            String chunk = "a".repeat(800);
            String chunked = "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(800) + "\r\n" + chunk + "\r\n"
                    + Integer.toHexString(800) + "\r\n" + chunk + "\r\n0\r\n\r\n";
            assertTrue(raw(gateway, chunked).startsWith("HTTP/1.1 413"));
            String fine = "Transfer-Encoding: chunked\r\n\r\n" + "e\r\n{\"inputs\": 42}\r\n0\r\n\r\n";
            assertTrue(raw(gateway, fine).startsWith("HTTP/1.1 400"), "a chunked body within the limit is read");

            assertEquals(404, post(gateway, "/elsewhere", bad, "Bearer first-token").statusCode());
            assertEquals(405, HTTP.send(HttpRequest.newBuilder(gateway.uri().resolve("/models/x")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void answers504WhenNoAnswerComesAnd429WhenTooManyWait() throws Exception {
        GatewaySettings settings = settings("bounds").withTimeout(Duration.ofSeconds(3)).withMaxWaiting(2);
        try (StandInJob job = standIn(settings); Gateway gateway = Gateway.start(settings)) {
            awaitReady(gateway);
            String request = "{\"inputs\": \"Paris is the [MASK] of France.\"}";
            CompletableFuture<HttpResponse<String>> first = postAsync(gateway, "/", request);
            CompletableFuture<HttpResponse<String>> second = postAsync(gateway, "/models/m", request);
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (gateway.waiting() < 2 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(2, gateway.waiting());
            assertError(429, null, post(gateway, "/", request, null));
            assertError(504, null, first.get());
            assertError(504, null, second.get());
            assertEquals(0, gateway.waiting(), "the timed-out requests left the routing table");
        }
    }

    @Test
    void isNotReadyUntilTheJobAnswersAndWaitsForTheModelWhenAsked() throws Exception {
        GatewaySettings settings = settings("readiness").withTimeout(Duration.ofSeconds(2));
        String request = "{\"inputs\": \"Paris is the [MASK] of France.\"}";
        try (Gateway gateway = Gateway.start(settings)) {
            HttpResponse<String> notReady = post(gateway, "/", request, null);
            assertError(503, null, notReady);
            assertTrue(notReady.body().contains("not ready"), notReady.body());
            assertEquals(503, get(gateway, "/health").statusCode());
            HttpResponse<String> waited = HTTP.send(HttpRequest.newBuilder(gateway.uri())
                    .header("X-Wait-For-Model", "true").POST(HttpRequest.BodyPublishers.ofString(request)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(504, null, waited); // accepted and sent although not ready; nobody answered it
            try (StandInJob job = standIn(settings)) {
                awaitReady(gateway);
                assertEquals(200, get(gateway, "/health").statusCode());
            }
        }
    }

    @Test
    void servesHttpsWithTheKeystore() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir.resolve("tls"), "keystore-pass", "trust-pass");
        GatewaySettings settings = settings("tls").withTls(new GatewaySettings.TlsKeystore(
                certificates.brokerKeystore, "keystore-pass".toCharArray()));
        try (StandInJob job = standIn(settings); Gateway gateway = Gateway.start(settings)) {
            assertEquals("https", gateway.uri().getScheme());
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(certificates.clientTruststore)) {
                trust.load(in, "trust-pass".toCharArray());
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(context).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(gateway.uri())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": 42}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(400, reason("{\"inputs\": 42}"), response);
        }
    }

    private static void awaitReady(Gateway gateway) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!gateway.isReady() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(gateway.isReady(), "the stand-in answered the probe");
    }

    private static String reason(String request) {
        return ((DecodedRequest.Invalid) CODEC.readRequest(request)).reason();
    }

    /** {@code status} with a body {@code {"error": ...}}, and that message when given. */
    private static void assertError(int status, String message, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        FillMaskAnswer answer = CODEC.readAnswer(response.body());
        assertTrue(answer.isError(), response.body());
        if (message != null) {
            assertEquals(message, ((FillMaskAnswer.Error) answer).message());
        }
    }

    private static HttpResponse<String> post(Gateway gateway, String path, String body, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.uri().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(Gateway gateway, String path, String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(Gateway gateway, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(gateway.uri().resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A POST written by hand: {@code rest} is the headers after the request line and Host, and the body. */
    private static String raw(Gateway gateway, String rest) throws Exception {
        URI uri = gateway.uri();
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAuthorization: Bearer first-token\r\n"
                    + rest).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] head = new byte[12];
            int n = socket.getInputStream().readNBytes(head, 0, head.length);
            return new String(head, 0, n, StandardCharsets.US_ASCII);
        }
    }
}
