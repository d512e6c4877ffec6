package dev.fillmask.job.bench;

import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.FillMaskOptions.DeliveryGuarantee;
import dev.fillmask.job.local.EmbeddedKafka;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.local.LocalJob;
import dev.fillmask.job.local.Topics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The job behind the HTTP gateway, as {@code ./fill-mask run --embedded --http} runs them: an embedded broker, the
 * job on a local Flink cluster in the given delivery mode, a gateway on 127.0.0.1, and many HTTP clients (the JDK's).
 * Measures throughput with many requests in flight and latency (request sent to answer received) at a paced rate.
 */
final class HttpBenchmark implements AutoCloseable {
    private static final String INPUT = "bench-http-requests";
    private static final String OUTPUT = "bench-http-answers";

    private final EmbeddedKafka kafka;
    private final JobClient job;
    private final Gateway gateway;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpBenchmark(Path model, int batchSize, ListenAddress listen, DeliveryGuarantee guarantee) throws Exception {
        kafka = EmbeddedKafka.start(listen);
        JobClient started = null;
        try {
            Topics.ensure(kafka.bootstrapServers(), new Properties(), List.of(INPUT, OUTPUT, "bench-http-dead-letters"),
                    1);
            Configuration options = new Configuration();
            options.set(FillMaskOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            options.set(FillMaskOptions.INPUT_TOPIC, INPUT);
            options.set(FillMaskOptions.OUTPUT_TOPIC, OUTPUT);
            options.set(FillMaskOptions.DEAD_LETTER_TOPIC, "bench-http-dead-letters");
            options.set(FillMaskOptions.TRANSACTIONAL_ID_PREFIX, "bench-http");
            options.set(FillMaskOptions.MODEL, model.toString());
            options.set(FillMaskOptions.PARALLELISM, 1);
            options.set(FillMaskOptions.BATCH_SIZE, batchSize);
            options.set(FillMaskOptions.DELIVERY_GUARANTEE, guarantee);
            Configuration cluster = listen.flinkConfiguration();
            cluster.addAll(FillMaskJob.clusterSettings());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, cluster);
            started = LocalJob.KAFKA.start(env, options);
            job = started;
            gateway = Gateway.start(GatewaySettings.defaults(kafka.bootstrapServers(),
                            new InetSocketAddress("127.0.0.1", 0))
                    .withTopics(INPUT, OUTPUT)
                    .withMaxWaiting(100_000)
                    .withTimeout(Duration.ofMinutes(20))
                    .withProbeInterval(Duration.ofMillis(500))
                    .withDrain(Duration.ZERO));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!gateway.isReady()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the job did not answer the gateway within 5 minutes");
                }
                Thread.sleep(50);
            }
        } catch (Exception | Error e) {
            if (started != null) {
                started.cancel();
            }
            kafka.close();
            throw e;
        }
    }

    /**
     * Sends every request with at most {@code clients} in flight and measures the sustained rate: answers between
     * the moments 10 % and 90 % of them came back, as the streaming job's row does.
     */
    StreamBenchmark.Throughput throughput(List<byte[]> requests, int clients) throws Exception {
        Semaphore inFlight = new Semaphore(clients);
        long[] answeredAt = new long[requests.size()];
        List<CompletableFuture<?>> calls = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            inFlight.acquire();
            int index = i;
            calls.add(post(requests.get(i)).whenComplete((response, error) -> {
                answeredAt[index] = System.nanoTime();
                inFlight.release();
            }));
        }
        awaitAll(calls);
        Arrays.sort(answeredAt);
        int from = requests.size() / 10;
        int to = requests.size() * 9 / 10;
        return new StreamBenchmark.Throughput(to - from, (answeredAt[to] - answeredAt[from]) / 1e9);
    }

    /** Sends the requests at {@code perSecond} and measures each one's time from sending to its answer. */
    StreamBenchmark.Latency latency(List<byte[]> requests, double perSecond) throws Exception {
        double[] millis = new double[requests.size()];
        List<CompletableFuture<?>> calls = new ArrayList<>(requests.size());
        long interval = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        for (int i = 0; i < requests.size(); i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            int index = i;
            long sentAt = System.nanoTime();
            calls.add(post(requests.get(i)).whenComplete((response, error) ->
                    millis[index] = (System.nanoTime() - sentAt) / 1e6));
            next += interval;
        }
        awaitAll(calls);
        Arrays.sort(millis);
        return new StreamBenchmark.Latency(requests.size(), StreamBenchmark.percentile(millis, 50),
                StreamBenchmark.percentile(millis, 95), StreamBenchmark.percentile(millis, 99));
    }

    private CompletableFuture<HttpResponse<Void>> post(byte[] body) {
        return http.sendAsync(HttpRequest.newBuilder(gateway.uri().resolve("/models/bert-base-uncased"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.discarding()).thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("the gateway answered " + response.statusCode());
                    }
                    return response;
                });
    }

    private static void awaitAll(List<CompletableFuture<?>> calls) throws Exception {
        CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.MINUTES);
    }

    @Override
    public void close() {
        try {
            gateway.close();
            job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Stopping anyway.
        } finally {
            kafka.close();
        }
    }
}
