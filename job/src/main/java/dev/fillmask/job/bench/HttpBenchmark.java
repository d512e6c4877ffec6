package dev.fillmask.job.bench;

import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.FillMaskOptions.DeliveryGuarantee;
import dev.fillmask.job.local.ListenAddress;
import dev.fillmask.job.local.LocalJob;

import org.apache.flink.configuration.Configuration;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The job behind the HTTP gateway, as {@code ./fill-mask run --embedded --http} runs them: an embedded broker, the
 * job on a local Flink cluster in the given delivery mode, a gateway on 127.0.0.1, and many HTTP clients (the JDK's).
 * Measures throughput with many requests in flight and latency (request sent to answer received) at a paced rate.
 */
final class HttpBenchmark implements AutoCloseable {
    private final BenchJob job;
    private final Gateway gateway;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** {@code options}: the engine's options for the job; the delivery guarantee is {@code guarantee}. */
    HttpBenchmark(Path model, ListenAddress listen, DeliveryGuarantee guarantee, Configuration options)
            throws Exception {
        Configuration withGuarantee = new Configuration(options);
        withGuarantee.set(FillMaskOptions.DELIVERY_GUARANTEE, guarantee);
        job = BenchJob.start("bench-http", model, listen, LocalJob.KAFKA, withGuarantee);
        try {
            gateway = Gateway.start(GatewaySettings.defaults(job.bootstrapServers(),
                            new InetSocketAddress("127.0.0.1", 0))
                    .withTopics(job.requestTopic(), job.answerTopic())
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
            job.close();
            throw e;
        }
    }

    /**
     * Sends every request with at most {@code clients} in flight and returns when each one's answer came back, in
     * nanoseconds.
     */
    long[] answerBacklog(List<byte[]> requests, int clients) throws Exception {
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
        return answeredAt;
    }

    /** Sends the requests at {@code perSecond} and measures each one's time from sending to its answer. */
    StreamBenchmark.Latency latency(List<byte[]> requests, double perSecond) throws Exception {
        double[] millis = new double[requests.size()];
        List<CompletableFuture<?>> calls = new ArrayList<>(requests.size());
        Pacing.atRate(requests.size(), perSecond, i -> {
            long sentAt = System.nanoTime();
            calls.add(post(requests.get(i)).whenComplete((response, error) ->
                    millis[i] = (System.nanoTime() - sentAt) / 1e6));
        });
        awaitAll(calls);
        return StreamBenchmark.Latency.of(millis);
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
        } finally {
            job.close();
        }
    }
}
