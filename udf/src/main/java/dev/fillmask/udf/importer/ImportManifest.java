package dev.fillmask.udf.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code fill-mask-import.json}: written last into a finished import, it is what makes a folder count as good.
 * It records every file's size, and a SHA-256 of the small ones (checking those on every start costs nothing;
 * hashing the 438 MB graph each time would cost seconds, and a size check already catches a truncated copy).
 */
final class ImportManifest {
    static final String FILE = dev.fillmask.udf.model.ModelFolder.MANIFEST_FILE;
    /** Files up to this size are hashed. */
    static final long HASHED_UP_TO = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ImportManifest() {}

    static void write(Path folder, int formatVersion, Map<String, String> about) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", formatVersion);
        about.forEach(root::put);
        ObjectNode files = root.putObject("files");
        List<Path> contents;
        try (Stream<Path> list = Files.list(folder)) {
            contents = list.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : contents) {
            String name = file.getFileName().toString();
            if (name.equals(FILE)) {
                continue;
            }
            ObjectNode entry = files.putObject(name);
            long size = Files.size(file);
            entry.put("size", size);
            if (size <= HASHED_UP_TO) {
                entry.put("sha256", sha256(file));
            }
        }
        Path tmp = folder.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), root);
        Files.move(tmp, folder.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Null if the folder is a finished import of this format holding every required file as recorded; otherwise why
     * not, for the progress output.
     */
    static String problem(Path folder, int formatVersion, List<String> requiredFiles) {
        Path manifest = folder.resolve(FILE);
        if (!Files.isRegularFile(manifest)) {
            return "it has no " + FILE;
        }
        try {
            JsonNode root = JSON.readTree(manifest.toFile());
            if (root == null || root.path("format").asInt(-1) != formatVersion) {
                return "its " + FILE + " is not of format " + formatVersion;
            }
            JsonNode files = root.path("files");
            for (String required : requiredFiles) {
                if (!files.has(required)) {
                    return "its " + FILE + " does not list " + required;
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Path file = folder.resolve(e.getKey());
                if (!file.normalize().getParent().equals(folder.normalize()) || !Files.isRegularFile(file)) {
                    return e.getKey() + " is missing";
                }
                long size = e.getValue().path("size").asLong(-1);
                if (Files.size(file) != size) {
                    return e.getKey() + " has " + Files.size(file) + " bytes, not the " + size + " recorded";
                }
                JsonNode hash = e.getValue().get("sha256");
                if (hash != null && !hash.asText().equals(sha256(file))) {
                    return e.getKey() + " does not match its recorded SHA-256";
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "its " + FILE + " cannot be read (" + e.getMessage() + ")";
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
