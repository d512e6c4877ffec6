package dev.fillmask.job;

import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.gateway.kafka.JobProbe;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway over the whole stack: real HTTP (the JDK's client) to two gateway instances in front of one job on a
 * Flink MiniCluster, a real KRaft broker in this JVM, the real default model, exactly-once. Every answer is
 * {@code ./fill-mask predict}'s for the same request, byte for byte, and reaches the instance that asked; a gateway
 * that stops answers every request it accepted, with its answer or a 503.
 */
class GatewayITCase {
    private static final int PARALLELISM = 2;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final FillMaskCodec CODEC = new FillMaskCodec();

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestJobs.miniCluster(PARALLELISM);

    private static EmbeddedKafka kafka;
    private static Path model;
    private static Configuration options;
    private static JobClient job;

    @BeforeAll
    static void start() throws Exception {
        model = SharedDefaultModel.path();
        kafka = EmbeddedKafka.start();
        options = TestJobs.options(kafka, "gateway", model, PARALLELISM);
        TestJobs.createTopics(kafka, options, PARALLELISM, PARALLELISM);
        job = TestJobs.start(options);
    }

    @AfterAll
    static void stop() throws Exception {
        if (job != null) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Gateway gateway() throws Exception {
        return gateway(Duration.ZERO);
    }

    private static Gateway gateway(Duration drain) throws Exception {
        Gateway gateway = Gateway.start(GatewaySettings.defaults(kafka.bootstrapServers(),
                        new InetSocketAddress("127.0.0.1", 0))
                .withTopics(options.get(FillMaskOptions.INPUT_TOPIC), options.get(FillMaskOptions.OUTPUT_TOPIC))
                .withProbeInterval(Duration.ofMillis(500))
                .withTimeout(Duration.ofMinutes(2))
                .withDrain(drain));
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!gateway.isReady() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertTrue(gateway.isReady(), "the job answered the gateway's probe");
        return gateway;
    }

    @Test
    void twoGatewaysOnOneJobEachGetTheirOwnAnswersAndTheyArePredicts() throws Exception {
        List<byte[]> values = new ArrayList<>(MixedRequests.of(150).stream().filter(v -> v != null).toList());
        String list = "{\"inputs\": [\"Paris is the [MASK] of France.\", \"Hello I'm a [MASK] model.\"],"
                + " \"parameters\": {\"top_k\": 3}}";
        String flat = "{\"inputs\": \"The [MASK] sat on the mat.\", \"top_k\": 2}";
        // What the gateway makes of the last two, as the job gets them: predict must answer those the same.
        List<byte[]> reference = new ArrayList<>(values);
        reference.add(utf8("{\"inputs\":\"Paris is the [MASK] of France.\",\"parameters\":{\"top_k\":3}}"));
        reference.add(utf8("{\"inputs\":\"Hello I'm a [MASK] model.\",\"parameters\":{\"top_k\":3}}"));
        reference.add(utf8("{\"inputs\":\"The [MASK] sat on the mat.\",\"parameters\":{\"top_k\":2}}"));
        reference.add(utf8("{\"inputs\":\"There is no mask here.\"}"));
        List<String> expected = PredictReference.answers(model, reference);

        try (Gateway a = gateway(); Gateway b = gateway()) {
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                Gateway to = i % 2 == 0 ? a : b;
                calls.add(post(to, i % 3 == 0 ? "/" : "/models/google-bert/bert-base-uncased", values.get(i)));
            }
            CompletableFuture<HttpResponse<String>> listCall = post(a, "/models/bert-base-uncased", utf8(list));
            CompletableFuture<HttpResponse<String>> flatCall = post(b, "/", utf8(flat));
            CompletableFuture<HttpResponse<String>> refusedListCall = post(b, "/", utf8(
                    "{\"inputs\": [\"Paris is the [MASK] of France.\", \"There is no mask here.\"]}"));
            int errors = 0;
            for (int i = 0; i < values.size(); i++) {
                HttpResponse<String> response = calls.get(i).get(3, TimeUnit.MINUTES);
                boolean error = CODEC.readAnswer(expected.get(i)).isError();
                errors += error ? 1 : 0;
                assertEquals(expected.get(i), response.body(), "request " + i + ": "
                        + new String(values.get(i), StandardCharsets.UTF_8));
                assertEquals(error ? 400 : 200, response.statusCode(), response.body());
                if (!error) {
                    assertEquals("bert-base-uncased", response.headers().firstValue("X-Fill-Mask-Model").orElse(null));
                }
            }
            assertTrue(errors >= 5, "the mix holds refusals of the gateway and of the job: " + errors);
            int n = values.size();
            assertEquals("[" + expected.get(n) + "," + expected.get(n + 1) + "]",
                    listCall.get(3, TimeUnit.MINUTES).body(), "a list of inputs: the list of their answers");
            assertEquals(expected.get(n + 2), flatCall.get(3, TimeUnit.MINUTES).body(),
                    "top_k beside inputs, as some huggingface_hub versions send it");
            HttpResponse<String> refusedList = refusedListCall.get(3, TimeUnit.MINUTES);
            assertEquals(400, refusedList.statusCode());
            assertEquals("inputs[1]: " + ((FillMaskAnswer.Error) CODEC.readAnswer(expected.get(n + 3))).message(),
                    ((FillMaskAnswer.Error) CODEC.readAnswer(refusedList.body())).message(),
                    "a list with an input the job refuses: 400 naming it, with the job's message");
            assertEquals(0, a.waiting());
            assertEquals(0, b.waiting());
        }
        // The gateways' probes were answered (both became ready) and left no dead letter; the requests the job
        // refused did, committed with their answers.
        List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicReader.committed(kafka.bootstrapServers(),
                options.get(FillMaskOptions.DEAD_LETTER_TOPIC));
        assertTrue(deadLetters.size() >= 1, "the job's refusals are dead letters");
        for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
            assertNull(letter.headers().lastHeader(JobProbe.HEADER_PROBE),
                    "a probe's dead letter: " + new String(letter.value(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aGatewayThatStopsAnswersEveryRequestItAcceptedAndANewOneServes() throws Exception {
        int count = 30;
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(utf8("{\"inputs\": \"request " + i + " of the restart is about the [MASK].\","
                    + " \"parameters\": {\"top_k\": 1}}"));
        }
        List<String> expected = PredictReference.answers(model, values);

        // Stopped at once (no drain): each accepted request hears back, with its answer or a 503.
        List<CompletableFuture<HttpResponse<String>>> calls = sendAllThenClose(gateway(Duration.ZERO), values);
        int answered = 0;
        int refused = 0;
        for (int i = 0; i < count; i++) {
            HttpResponse<String> response = calls.get(i).get(1, TimeUnit.MINUTES);
            if (response.statusCode() == 200) {
                assertEquals(expected.get(i), response.body());
                answered++;
            } else {
                assertEquals(503, response.statusCode(), response.body());
                assertTrue(((FillMaskAnswer.Error) CODEC.readAnswer(response.body())).message()
                        .contains("send it again"), response.body());
                refused++;
            }
        }
        assertEquals(count, answered + refused);
        System.out.println("gateway stopped at once: " + answered + " answered, " + refused + " told to send again");

        // The next instance serves; stopped with time to drain, it answers every request it accepted.
        List<CompletableFuture<HttpResponse<String>>> drained = sendAllThenClose(gateway(Duration.ofMinutes(2)),
                values.subList(0, 10));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = drained.get(i).get(1, TimeUnit.MINUTES);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(expected.get(i), response.body());
        }
    }

    /** Sends every value, waits until the gateway has accepted each (waiting or answered), then closes it. */
    private static List<CompletableFuture<HttpResponse<String>>> sendAllThenClose(Gateway gateway,
                                                                                  List<byte[]> values)
            throws InterruptedException {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        try {
            for (byte[] value : values) {
                calls.add(post(gateway, "/", value));
            }
            long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (gateway.waiting() + calls.stream().filter(CompletableFuture::isDone).count() < values.size()
                    && System.nanoTime() < end) {
                Thread.sleep(5);
            }
        } finally {
            gateway.close();
        }
        return calls;
    }

    private static CompletableFuture<HttpResponse<String>> post(Gateway gateway, String path, byte[] body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
