package dev.fillmask.udf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks a model folder against the manifest its maker left in it ({@value #MANIFEST}: each file's size, and the
 * SHA-256 of the small ones), so a truncated or altered file fails when the engine starts, naming the file, and not
 * at the first record or with a wrong answer. Folders without a manifest (other people's exports) are checked by
 * loading them: JSON that parses, and a model ONNX Runtime accepts.
 */
final class FolderIntegrity {
    /** The manifest the default-model importer writes. */
    static final String MANIFEST = ModelFolder.MANIFEST_FILE;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FolderIntegrity() {}

    static void check(Path folder) {
        Path manifest = folder.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return;
        }
        JsonNode files;
        try {
            files = JSON.readTree(manifest.toFile()).path("files");
        } catch (IOException e) {
            throw new ModelFolderException(manifest + " cannot be read (" + e.getMessage() + "): the folder is damaged;"
                    + " delete it and import again (`./fill-mask model` for the default model)", e);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            Path file = folder.resolve(entry.getKey());
            long expectedSize = entry.getValue().path("size").asLong(-1);
            String expectedHash = entry.getValue().path("sha256").asText(null);
            try {
                long size = Files.size(file);
                if (expectedSize >= 0 && size != expectedSize) {
                    throw damaged(folder, entry.getKey(), "is " + size + " bytes, but " + expectedSize + " were written");
                }
                if (expectedHash != null && !expectedHash.equalsIgnoreCase(sha256(file))) {
                    throw damaged(folder, entry.getKey(), "does not have the SHA-256 its manifest records");
                }
            } catch (IOException e) {
                throw damaged(folder, entry.getKey(), "cannot be read (" + e.getMessage() + ")");
            }
        }
    }

    private static ModelFolderException damaged(Path folder, String file, String what) {
        return new ModelFolderException(folder.resolve(file) + " " + what + ": the model folder is damaged; delete "
                + folder + " and import it again (`./fill-mask model` for the default model)");
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
