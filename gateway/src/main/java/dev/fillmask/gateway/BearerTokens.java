package dev.fillmask.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bearer tokens a gateway accepts, read from a file: one token per line; blank lines and lines starting with
 * {@code #} are skipped, spaces around a token ignored. Only the tokens' SHA-256 digests are kept, and a presented
 * token is compared with every one of them in constant time ({@link MessageDigest#isEqual}), without stopping at a
 * match, so neither the time of an answer nor a heap dump tells a token. No token is ever logged or printed.
 */
public final class BearerTokens {
    private static final String SCHEME = "bearer ";

    private final List<byte[]> digests;

    private BearerTokens(List<byte[]> digests) {
        this.digests = digests;
    }

    /** Reads {@code file}; an unreadable file or one without any token is an error (rather than an open gateway). */
    public static BearerTokens read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + file + ": " + e.getMessage(), e);
        }
        List<byte[]> digests = new ArrayList<>();
        for (String line : lines) {
            String token = line.strip();
            if (!token.isEmpty() && !token.startsWith("#")) {
                if (token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    throw new IllegalArgumentException("the token file " + file + " has a token with spaces or"
                            + " characters outside printable ASCII (line " + (lines.indexOf(line) + 1) + ")");
                }
                digests.add(sha256(token));
            }
        }
        if (digests.isEmpty()) {
            throw new IllegalArgumentException("the token file " + file + " holds no token (one per line; # starts a"
                    + " comment)");
        }
        return new BearerTokens(List.copyOf(digests));
    }

    public int count() {
        return digests.size();
    }

    /** Whether an {@code Authorization} header's value ({@code Bearer TOKEN}, the scheme in any case) holds a token. */
    public boolean accepts(String authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length()
                || !authorization.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return false;
        }
        byte[] presented = sha256(authorization.substring(SCHEME.length()).strip());
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(digest, presented);
        }
        return match;
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return digests.size() + " bearer token(s)";
    }
}
