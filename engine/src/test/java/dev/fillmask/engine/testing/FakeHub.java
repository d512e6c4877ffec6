package dev.fillmask.engine.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face hub on 127.0.0.1 for tests, written from what the hub sends: files under
 * {@code /{org}/{name}/resolve/{revision}/{file}} with {@code X-Repo-Commit}; small files answered directly with their
 * git blob SHA-1 as {@code ETag}; {@code .safetensors} files (git LFS on the hub) answered with a redirect to storage,
 * {@code X-Linked-Etag} (their SHA-256) and {@code X-Linked-Size}; errors with {@code X-Error-Code}. The storage is
 * either this server (a relative or an absolute redirect) or a second server on another port, which is another origin
 * as the hub's CDN is. Both log every request, and can cut a transfer half-way or ignore {@code Range}.
 */
public final class FakeHub implements AutoCloseable {
    /** How a large file's redirect points at its bytes. */
    public enum Redirect { RELATIVE, ABSOLUTE, OTHER_ORIGIN }

    /** One request as a server saw it; {@code authorization} is the header's value or null. */
    public record Request(String server, String method, String path, String range, String authorization) {}

    private static final Pattern RESOLVE = Pattern.compile("^/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$");

    private final HttpServer hub;
    private final HttpServer storage;
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    /** Storage: SHA-256 hex to bytes. */
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Set<String> cutOnce = Collections.synchronizedSet(new HashSet<>());
    private final Set<String> stallOnce = Collections.synchronizedSet(new HashSet<>());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private volatile boolean ignoreRange;
    private volatile Redirect redirect = Redirect.RELATIVE;

    private static final class Repo {
        volatile String commit;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, String> wrongSha256 = new HashMap<>();
        String token;
        boolean gated;
    }

    public FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        storage = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", exchange -> handle("hub", exchange));
        storage.createContext("/", exchange -> handle("storage", exchange));
        hub.setExecutor(handlers);
        storage.setExecutor(handlers);
        hub.start();
        storage.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    private String storageEndpoint() {
        return "http://127.0.0.1:" + storage.getAddress().getPort();
    }

    /** Adds (or replaces) a public repository at {@code commit}, holding {@code files}. */
    public FakeHub repo(String id, String commit, Map<String, byte[]> files) {
        Repo repo = new Repo();
        repo.commit = commit;
        repo.files.putAll(files);
        files.forEach((name, bytes) -> blobs.put(sha256(bytes), bytes));
        repos.put(id, repo);
        return this;
    }

    /** The repository moves to a new commit where {@code file} has new content. */
    public void commit(String id, String commit, String file, byte[] bytes) {
        Repo repo = repos.get(id);
        repo.files.put(file, bytes);
        blobs.put(sha256(bytes), bytes);
        repo.commit = commit;
    }

    /** Private: 401 without the token or with another one. */
    public void privateRepo(String id, String token) {
        repos.get(id).token = token;
    }

    /** Gated: 401 without a token, 403 with a token that was not granted access. */
    public void gatedRepo(String id, String token) {
        repos.get(id).token = token;
        repos.get(id).gated = true;
    }

    /** {@code oldId} was renamed: the hub redirects its URLs (relative, 307) to {@code newId}'s. */
    public void renamed(String oldId, String newId) {
        renamed.put(oldId, newId);
    }

    /** The hub announces a SHA-256 for {@code file} that its bytes do not have. */
    public void wrongChecksum(String id, String file) {
        repos.get(id).wrongSha256.put(file, sha256("something else".getBytes(StandardCharsets.UTF_8)));
    }

    /** The next GET of {@code file}'s bytes sends half of them, then the connection closes. */
    public void cutOnce(byte[] bytes) {
        cutOnce.add(sha256(bytes));
    }

    /** The next GET of {@code file}'s bytes sends half of them, then nothing more while the connection stays open. */
    public void stallOnce(byte[] bytes) {
        stallOnce.add(sha256(bytes));
    }

    public void ignoreRange(boolean ignore) {
        ignoreRange = ignore;
    }

    public void redirect(Redirect how) {
        redirect = how;
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        stopped.countDown();
        hub.stop(0);
        storage.stop(0);
        handlers.shutdownNow();
    }

    private void handle(String server, HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        requests.add(new Request(server, exchange.getRequestMethod(), path,
                exchange.getRequestHeaders().getFirst("Range"), exchange.getRequestHeaders().getFirst("Authorization")));
        try (exchange) {
            if (path.startsWith("/cdn/")) {
                serveBlob(exchange, path.substring("/cdn/".length()));
                return;
            }
            Matcher m = RESOLVE.matcher(path);
            if (server.equals("storage") || !m.matches()) {
                send(exchange, 404, null);
                return;
            }
            serveResolve(exchange, m.group(1) + "/" + m.group(2), URLDecoder.decode(m.group(3), StandardCharsets.UTF_8),
                    m.group(4), path);
        }
    }

    private void serveResolve(HttpExchange exchange, String id, String revision, String file, String path) throws IOException {
        String newId = renamed.get(id);
        if (newId != null) {
            exchange.getResponseHeaders().set("Location", path.replaceFirst("^/" + Pattern.quote(id) + "/", "/" + newId + "/"));
            send(exchange, 307, null);
            return;
        }
        Repo repo = repos.get(id);
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (repo == null) {
            // The hub does not tell an anonymous caller whether a private repository exists.
            error(exchange, authorization == null ? 401 : 404, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.token != null && !("Bearer " + repo.token).equals(authorization)) {
            if (repo.gated) {
                error(exchange, authorization == null ? 401 : 403, "GatedRepo", "Access to model " + id + " is restricted.");
            } else {
                error(exchange, 401, "RepoNotFound", "Invalid credentials in Authorization header");
            }
            return;
        }
        if (!revision.equals("main") && !revision.equals(repo.commit)) {
            error(exchange, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        exchange.getResponseHeaders().set("X-Repo-Commit", repo.commit);
        byte[] bytes = repo.files.get(file);
        if (bytes == null) {
            error(exchange, 404, "EntryNotFound", file + " does not exist on \"" + revision + "\"");
            return;
        }
        if (file.endsWith(".safetensors")) {
            String sha256 = repo.wrongSha256.getOrDefault(file, sha256(bytes));
            String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " + bytes.length + "\n";
            exchange.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(pointer.getBytes(StandardCharsets.UTF_8)) + "\"");
            exchange.getResponseHeaders().set("X-Linked-Etag", "\"" + sha256 + "\"");
            exchange.getResponseHeaders().set("X-Linked-Size", String.valueOf(bytes.length));
            String blobPath = "/cdn/" + sha256(bytes) + "?X-Amz-Signature=secret";
            exchange.getResponseHeaders().set("Location", switch (redirect) {
                case RELATIVE -> blobPath;
                case ABSOLUTE -> endpoint() + blobPath;
                case OTHER_ORIGIN -> storageEndpoint() + blobPath;
            });
            send(exchange, 302, null);
            return;
        }
        exchange.getResponseHeaders().set("ETag", "\"" + gitBlobSha1(bytes) + "\"");
        send(exchange, 200, bytes);
    }

    private void serveBlob(HttpExchange exchange, String sha256) throws IOException {
        byte[] bytes = blobs.get(sha256);
        if (bytes == null) {
            send(exchange, 404, null);
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null && !ignoreRange) {
            Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!m.matches()) {
                send(exchange, 400, null);
                return;
            }
            from = Integer.parseInt(m.group(1));
            if (from >= bytes.length) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + bytes.length);
                send(exchange, 416, null);
                return;
            }
            exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int length = bytes.length - from;
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
        OutputStream body = exchange.getResponseBody();
        if (cutOnce.remove(sha256)) {
            body.write(bytes, from, length / 2);
            body.flush();
            // A handler that fails makes the server drop the connection: the client sees the transfer break off.
            throw new IOException("cut half-way on purpose");
        }
        if (stallOnce.remove(sha256)) {
            body.write(bytes, from, length / 2);
            body.flush();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled on purpose");
        }
        body.write(bytes, from, length);
    }

    private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
        exchange.getResponseHeaders().set("X-Error-Code", code);
        exchange.getResponseHeaders().set("X-Error-Message", message);
        send(exchange, status, null);
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (body != null && head) {
            exchange.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
        }
        exchange.sendResponseHeaders(status, body == null || head ? -1 : body.length);
        if (body != null && !head) {
            exchange.getResponseBody().write(body);
        }
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest("SHA-256", bytes));
    }

    /** The id git gives a file's content: SHA-1 of {@code "blob <size>\0"} and the bytes. */
    public static String gitBlobSha1(byte[] bytes) {
        byte[] header = ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + bytes.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(bytes, 0, all, header.length, bytes.length);
        return HexFormat.of().formatHex(digest("SHA-1", all));
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
