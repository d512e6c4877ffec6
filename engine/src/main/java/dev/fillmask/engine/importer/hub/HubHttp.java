package dev.fillmask.engine.importer.hub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * The two requests a download makes, with the JDK's HTTP client and redirects followed by hand, so that the token
 * goes only where {@link HubAccess} allows it and the hub's own headers are read where the hub sends them.
 *
 * <p>For a file, the hub answers itself (small files: {@code ETag} is the git blob SHA-1, {@code Content-Length} the
 * size) or with a redirect to its storage (large files kept in git LFS: {@code X-Linked-Etag} is the SHA-256,
 * {@code X-Linked-Size} the size, {@code Location} where the bytes are). Both carry {@code X-Repo-Commit}. A redirect
 * without those headers is the hub moving a renamed repository, and is followed to where the metadata is.
 */
final class HubHttp {
    /** What the hub says about one file before it is fetched. {@code size} is -1 if not told. */
    record Metadata(String commit, String etag, long size, URI location) {}

    private static final int MAX_REDIRECTS = 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String USER_AGENT = "fill-mask (Java " + Runtime.version().feature() + ")";

    private final HubAccess access;
    private final HttpClient client;

    HubHttp(HubAccess access) {
        this.access = access;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A {@code HEAD} of a resolve URL. */
    Metadata metadata(URI url) throws IOException, HubStatusException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> response = send(request(current, "HEAD", -1), HttpResponse.BodyHandlers.discarding());
            HttpHeaders headers = response.headers();
            int status = response.statusCode();
            boolean hubAnswer = headers.firstValue("X-Repo-Commit").isPresent()
                    || headers.firstValue("X-Linked-Etag").isPresent();
            Optional<String> location = headers.firstValue("Location");
            if (isRedirect(status) && location.isPresent() && !hubAnswer) {
                current = current.resolve(location.get());
                continue;
            }
            if (status >= 400 || (isRedirect(status) && location.isEmpty())) {
                throw statusException(response, current);
            }
            String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).orElse(null);
            long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length"))
                    .map(HubHttp::parseLongOrMinusOne).orElse(-1L);
            URI target = isRedirect(status) ? current.resolve(location.get()) : current;
            return new Metadata(headers.firstValue("X-Repo-Commit").orElse(null), normalizeEtag(etag), size, target);
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + display(url));
    }

    /**
     * A {@code GET} of the bytes into {@code file}, from {@code offset} on with a {@code Range} request if it is not 0.
     * A 200 (the server ignored the range, or none was asked) rewrites the file from its start; a 206 whose
     * {@code Content-Range} starts at {@code offset} appends; a 206 starting elsewhere and a 416 write nothing, and
     * the outcome says so. A transfer that receives nothing for {@code stallLimit} is aborted with an IOException,
     * like one the network broke.
     */
    FileSink.Outcome fetchInto(URI url, long offset, Path file, LongConsumer onBytes, Duration stallLimit)
            throws IOException, HubStatusException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            FileSink sink = new FileSink(file, onBytes);
            HttpResponse<FileSink.Outcome> response = await(
                    client.sendAsync(request(current, "GET", offset), info -> choose(info, offset, sink)), sink, stallLimit);
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (isRedirect(status) && location.isPresent()) {
                current = current.resolve(location.get());
                continue;
            }
            if (status == 200 || status == 206 || status == 416) {
                return response.body();
            }
            throw statusException(response, current);
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + display(url));
    }

    private static HttpResponse.BodySubscriber<FileSink.Outcome> choose(HttpResponse.ResponseInfo info, long offset, FileSink sink) {
        int status = info.statusCode();
        if (status == 200) {
            return sink.subscriber(200, 0);
        }
        long start = status == 206 ? rangeStart(info.headers()) : -1;
        if (status == 206 && start == offset) {
            return sink.subscriber(206, start);
        }
        return HttpResponse.BodySubscribers.replacing(new FileSink.Outcome(status, start, 0, false));
    }

    private static <T> HttpResponse<T> await(CompletableFuture<HttpResponse<T>> future, FileSink sink, Duration stallLimit)
            throws IOException {
        long poll = Math.max(10, Math.min(1_000, stallLimit.toMillis() / 4));
        while (true) {
            try {
                return future.get(poll, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (sink.idleNanos() > stallLimit.toNanos()) {
                    sink.abort();
                    future.cancel(true);
                    throw new IOException("nothing arrived for " + stallLimit.toMillis() / 1000.0 + " s");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sink.abort();
                future.cancel(true);
                throw new java.io.InterruptedIOException("interrupted while downloading");
            }
        }
    }

    private HttpRequest request(URI url, String method, long rangeFrom) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(url)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(TIMEOUT)
                .header("User-Agent", USER_AGENT);
        String authorization = access.authorizationFor(url);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (rangeFrom > 0) {
            builder.header("Range", "bytes=" + rangeFrom + "-");
        }
        return builder.build();
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while asking " + request.uri());
        }
    }

    private static HubStatusException statusException(HttpResponse<?> response, URI url) {
        HttpHeaders headers = response.headers();
        return new HubStatusException(response.statusCode(), headers.firstValue("X-Error-Code").orElse(null),
                headers.firstValue("X-Error-Message").orElse(null), url);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /**
     * A URL for a message: without its query, which for the hub's storage holds a signature that grants access for a
     * while and has no place in a log.
     */
    static String display(URI url) {
        return url.getScheme() + "://" + url.getRawAuthority() + (url.getRawPath() != null ? url.getRawPath() : "");
    }

    /** {@code W/"abc"} and {@code "abc"} both mean {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long parseLongOrMinusOne(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The first byte's offset in a {@code Content-Range: bytes FIRST-LAST/TOTAL} header, or -1. */
    static long rangeStart(HttpHeaders headers) {
        String range = headers.firstValue("Content-Range").orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes\\s+(\\d+)-\\d+/(\\d+|\\*)").matcher(range.trim());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }
}
