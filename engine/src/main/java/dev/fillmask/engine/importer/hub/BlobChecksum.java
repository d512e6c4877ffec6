package dev.fillmask.engine.importer.hub;

import dev.fillmask.engine.model.FileDigest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What a file's ETag from the hub promises about its bytes. A file kept in git LFS (the weights) has the SHA-256 of
 * its content as its ETag; a file kept in git itself (config, tokenizer) has its git blob id, the SHA-1 of
 * {@code "blob <size>\0"} followed by the content. Any other ETag (a mirror may send its own) promises nothing
 * checkable, and the file is kept on its size alone.
 */
final class BlobChecksum {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    private BlobChecksum() {}

    /** "SHA-256", "git SHA-1" or null: which check an ETag allows. */
    static String kind(String etag) {
        if (etag == null) {
            return null;
        }
        if (SHA256.matcher(etag).matches()) {
            return "SHA-256";
        }
        return SHA1.matcher(etag).matches() ? "git SHA-1" : null;
    }

    /** The file's digest of the kind its ETag names (lower-case hex), or null if the ETag names none. */
    static String digest(Path file, String etag) throws IOException {
        String kind = kind(etag);
        if (kind == null) {
            return null;
        }
        return kind.equals("SHA-256") ? FileDigest.sha256(file) : gitBlobSha1(file);
    }

    static String gitBlobSha1(Path file) throws IOException {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JVM", e);
        }
        sha1.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha1.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha1.digest());
    }
}
