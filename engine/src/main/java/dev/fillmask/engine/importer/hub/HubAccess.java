package dev.fillmask.engine.importer.hub;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * Where the hub is and how to sign in: {@code HF_ENDPOINT} (default {@value #DEFAULT_ENDPOINT}, or a mirror) and
 * {@code HF_TOKEN}, the variables the hub's own tools read. The token goes out as {@code Authorization: Bearer} to the
 * endpoint's own origin (scheme, host and port) and nowhere else: not to the storage a large file is redirected to,
 * as the hub's client does, and not over plain HTTP to another machine. It is never printed: {@link #toString()} and
 * every message say whether there is a token, not what it is.
 */
public final class HubAccess {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String ENDPOINT_VARIABLE = "HF_ENDPOINT";
    public static final String TOKEN_VARIABLE = "HF_TOKEN";

    private final URI endpoint;
    private final String token;

    private HubAccess(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
    }

    /** From {@code HF_ENDPOINT} and {@code HF_TOKEN} in {@code environment} (blank counts as unset). */
    public static HubAccess fromEnvironment(Map<String, String> environment) {
        String endpoint = environment.get(ENDPOINT_VARIABLE);
        String token = environment.get(TOKEN_VARIABLE);
        return of(endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint.trim(),
                token == null || token.isBlank() ? null : token.trim());
    }

    /** {@code token} may be null: anonymous access, enough for public repositories. */
    public static HubAccess of(String endpoint, String token) {
        URI uri;
        try {
            uri = URI.create(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENDPOINT_VARIABLE + " '" + endpoint + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http"))
                || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException(ENDPOINT_VARIABLE + " '" + endpoint + "' must be an http(s) URL with a host"
                    + " and no query, like " + DEFAULT_ENDPOINT);
        }
        if (token != null) {
            for (int i = 0; i < token.length(); i++) {
                char c = token.charAt(i);
                if (c <= ' ' || c >= 0x7f) {
                    throw new IllegalArgumentException(TOKEN_VARIABLE + " holds a character no token has (a space, a"
                            + " control or non-ASCII character): check how it was set");
                }
            }
            if (scheme.equalsIgnoreCase("http") && !isLoopback(uri.getHost())) {
                throw new IllegalArgumentException(TOKEN_VARIABLE + " would travel unencrypted to " + uri + ": use an"
                        + " https endpoint, or unset " + TOKEN_VARIABLE + " for public models");
            }
        }
        return new HubAccess(uri, token);
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equalsIgnoreCase("localhost") || host.equals("[::1]");
    }

    public URI endpoint() {
        return endpoint;
    }

    public boolean hasToken() {
        return token != null;
    }

    /** The {@code Authorization} header's value for a request to {@code url}, or null if the token must not go there. */
    String authorizationFor(URI url) {
        return token != null && sameOrigin(url) ? "Bearer " + token : null;
    }

    boolean sameOrigin(URI url) {
        return Objects.equals(lower(url.getScheme()), lower(endpoint.getScheme()))
                && Objects.equals(lower(url.getHost()), lower(endpoint.getHost()))
                && port(url) == port(endpoint);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** {@code {endpoint}/{org}/{name}/resolve/{revision}/{file}}: where the hub serves a file of a revision. */
    URI resolveUrl(HubRepoId repo, String revisionSegment, String file) {
        return URI.create(endpoint + "/" + repo + "/resolve/" + revisionSegment + "/" + file);
    }

    @Override
    public String toString() {
        return endpoint + (token != null ? " (with the token in " + TOKEN_VARIABLE + ")" : " (no token)");
    }
}
