package dev.fillmask.gateway.http;

import dev.fillmask.gateway.BearerTokens;
import dev.fillmask.gateway.kafka.GatewayException;
import dev.fillmask.gateway.kafka.KafkaAnswer;
import dev.fillmask.gateway.kafka.PendingAnswers;
import dev.fillmask.gateway.kafka.Readiness;
import dev.fillmask.gateway.kafka.RequestSender;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * {@code POST /models/{model_id}} and {@code POST /} (for clients given an endpoint URL): the Hugging Face Inference
 * API's fill-mask call, answered by the job. In this order: the path (404/405), the bearer token (401), the body's
 * size (413, before it is read when it says its length), the body itself against the job's codec (400), the job's
 * readiness (503, unless the caller asked to wait for the model), room in the routing table (429). Then each request
 * goes to Kafka and the handler returns: the answer is written when it comes (200 with the job's bytes, 400 for the
 * job's error answer), or when it cannot come any more (504 after the timeout, 503 when Kafka refused the request or
 * the gateway shuts down). No thread waits for an answer.
 *
 * <p>{@code GET /health}: 200 when ready, 503 with the reason when not (no token needed: it says nothing else).
 */
public final class InferenceHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceHandler.class);
    /** Trace context passed on to the request record, so that the job's answer (which copies it) and traces join up. */
    private static final List<String> TRACE_HEADERS = List.of("traceparent", "tracestate");

    private final FillMaskCodec codec;
    private final InferenceCall calls;
    private final BearerTokens tokens;
    private final int maxBodyBytes;
    private final Duration timeout;
    private final PendingAnswers pending;
    private final RequestSender sender;
    private final Readiness readiness;
    private final BooleanSupplier closing;
    private final Executor responders;

    public InferenceHandler(FillMaskCodec codec, InferenceCall calls, BearerTokens tokens, int maxBodyBytes,
                            Duration timeout, PendingAnswers pending, RequestSender sender, Readiness readiness,
                            BooleanSupplier closing, Executor responders) {
        this.codec = codec;
        this.calls = calls;
        this.tokens = tokens;
        this.maxBodyBytes = maxBodyBytes;
        this.timeout = timeout;
        this.pending = pending;
        this.sender = sender;
        this.readiness = readiness;
        this.closing = closing;
        this.responders = responders;
    }

    @Override
    public void handle(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/health")) {
                health(exchange);
                return;
            }
            if (!isInferencePath(path)) {
                Responses.error(exchange, codec, 404, "no such endpoint: POST /models/{model_id} or POST /", Map.of());
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                Responses.error(exchange, codec, 405, "use POST", Map.of("Allow", "POST"));
                return;
            }
            if (tokens != null && !tokens.accepts(exchange.getRequestHeaders().getFirst("Authorization"))) {
                Responses.error(exchange, codec, 401, "missing or invalid bearer token: send the header "
                        + "Authorization: Bearer <token>", Map.of("WWW-Authenticate", "Bearer"));
                return;
            }
            byte[] body;
            try {
                body = BoundedBody.read(exchange.getRequestHeaders().getFirst("Content-Length"),
                        exchange.getRequestBody(), maxBodyBytes);
            } catch (BodyTooLargeException e) {
                Responses.error(exchange, codec, 413, e.getMessage(), Map.of("Connection", "close"));
                return;
            }
            InferenceCall.Requests requests;
            try {
                requests = calls.read(body);
            } catch (InferenceCall.RefusedException e) {
                Responses.error(exchange, codec, 400, e.getMessage(), Map.of());
                return;
            }
            boolean wait = requests.waitForModel()
                    || "true".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("X-Wait-For-Model"));
            if (closing.getAsBoolean()) {
                Responses.error(exchange, codec, 503, "the gateway is shutting down: send the request again",
                        Map.of("Retry-After", "1"));
                return;
            }
            if (!wait && !readiness.isReady()) {
                Responses.error(exchange, codec, 503, "the fill-mask job is not ready: " + readiness.reason()
                        + " (send X-Wait-For-Model: true to wait for it)", Map.of("Retry-After", "5"));
                return;
            }
            send(exchange, requests);
        } catch (GatewayException e) {
            Responses.error(exchange, codec, e.status(), e.getMessage(), Map.of("Retry-After", "1"));
        } catch (IOException e) {
            exchange.close(); // the caller went away while sending its body
        } catch (RuntimeException e) {
            LOG.warn("a request failed in the gateway", e);
            Responses.error(exchange, codec, 500, "the gateway failed: " + e, Map.of());
        }
    }

    private void send(HttpExchange exchange, InferenceCall.Requests requests) {
        List<PendingAnswers.Pending> entries = pending.reserve(requests.values().size());
        if (entries.isEmpty()) {
            Responses.error(exchange, codec, 429, "too many requests are waiting for their answers: try again shortly",
                    Map.of("Retry-After", "1"));
            return;
        }
        List<Header> headers = traceHeaders(exchange);
        List<CompletableFuture<KafkaAnswer>> answers = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            PendingAnswers.Pending entry = entries.get(i);
            answers.add(entry.answer());
            sender.send(entry.key(), requests.values().get(i), headers).whenComplete((sent, error) -> {
                if (error != null) {
                    entry.answer().completeExceptionally(error instanceof CompletionException c ? c.getCause() : error);
                }
            });
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0]))
                .whenCompleteAsync((done, error) -> respond(exchange, requests.list(), entries), task -> {
                    try {
                        responders.execute(task);
                    } catch (RejectedExecutionException e) {
                        task.run(); // the gateway is closing: the caller still hears back, from this thread
                    }
                });
    }

    private void respond(HttpExchange exchange, boolean list, List<PendingAnswers.Pending> entries) {
        List<KafkaAnswer> answers = new ArrayList<>(entries.size());
        for (PendingAnswers.Pending entry : entries) {
            try {
                answers.add(entry.answer().join());
            } catch (CompletionException e) {
                failed(exchange, entry, e.getCause());
                return;
            }
        }
        Map<String, String> headers = modelHeaders(answers.get(0));
        if (!list) {
            KafkaAnswer answer = answers.get(0);
            Responses.json(exchange, answer.isError() ? 400 : 200, answer.value(), headers);
            return;
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write('[');
        for (int i = 0; i < answers.size(); i++) {
            KafkaAnswer answer = answers.get(i);
            if (answer.isError()) {
                Responses.error(exchange, codec, 400, "inputs[" + i + "]: " + errorMessage(answer), headers);
                return;
            }
            if (i > 0) {
                all.write(',');
            }
            all.writeBytes(answer.value());
        }
        all.write(']');
        Responses.json(exchange, 200, all.toByteArray(), headers);
    }

    private void failed(HttpExchange exchange, PendingAnswers.Pending entry, Throwable cause) {
        if (cause instanceof TimeoutException) {
            readiness.timedOut();
            Responses.error(exchange, codec, 504, "no answer from the fill-mask job within " + timeout.toSeconds()
                    + " s (request key " + entry.key() + "); it may still be answered on the output topic", Map.of());
        } else if (cause instanceof GatewayException e) {
            Responses.error(exchange, codec, e.status(), e.getMessage(), Map.of("Retry-After", "1"));
        } else {
            Responses.error(exchange, codec, 500, "the gateway failed: " + cause, Map.of());
        }
    }

    private String errorMessage(KafkaAnswer answer) {
        try {
            return ((FillMaskAnswer.Error) codec.readAnswer(answer.value())).message();
        } catch (RuntimeException e) {
            return new String(answer.value(), StandardCharsets.UTF_8);
        }
    }

    private void health(HttpExchange exchange) {
        if (readiness.isReady() && !closing.getAsBoolean()) {
            Responses.json(exchange, 200, "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8), Map.of());
        } else {
            Responses.error(exchange, codec, 503, closing.getAsBoolean() ? "the gateway is shutting down"
                    : "the fill-mask job is not ready: " + readiness.reason(), Map.of());
        }
    }

    static boolean isInferencePath(String path) {
        return path.equals("/") || (path.startsWith("/models/") && path.length() > "/models/".length());
    }

    private static List<Header> traceHeaders(HttpExchange exchange) {
        List<Header> headers = new ArrayList<>(2);
        for (String name : TRACE_HEADERS) {
            String value = exchange.getRequestHeaders().getFirst(name);
            if (value != null) {
                headers.add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return headers;
    }

    private static Map<String, String> modelHeaders(KafkaAnswer answer) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (answer.model() != null) {
            headers.put("X-Fill-Mask-Model", answer.model());
        }
        if (answer.modelVersion() != null) {
            headers.put("X-Fill-Mask-Model-Version", answer.modelVersion());
        }
        return headers;
    }
}
