package dev.fillmask.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A short name for what a model folder holds, so that an answer can say which model made it: the first 16 hex digits
 * of the SHA-256 of one line {@code name size sha256} per file, in name order. The files are the folder's top-level
 * files, except hidden ones and the importer's own ({@link ModelFolder#IMPORT_FILES}).
 *
 * <p>An imported folder's manifest already records each file's size and SHA-256 (and the engine checks them when it
 * starts), so they are read from it. A folder without a manifest has every file hashed here: about 1 s per 438 MB on
 * a 2-core machine ({@link FileDigest}), so a caller computes it once, not per engine. Either way the same files give
 * the same version, in any folder, imported or copied; one changed byte in any file gives another, which a digest of
 * names and sizes alone would miss (fine-tuned weights are the size of the weights they came from).
 */
public final class ModelVersion {
    /** 64 bits: enough to tell a job's models apart, short enough for a header. */
    private static final int HEX_DIGITS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelVersion() {}

    /** The version of the model in {@code folder}; every problem is a {@link ModelFolderException} naming the file. */
    public static String of(Path folder) {
        Map<String, String> lines = Files.isRegularFile(folder.resolve(ModelFolder.MANIFEST_FILE))
                ? fromManifest(folder) : fromFiles(folder);
        MessageDigest digest = sha256();
        lines.forEach((name, sizeAndHash) ->
                digest.update((name + " " + sizeAndHash + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(digest.digest()).substring(0, HEX_DIGITS);
    }

    private static Map<String, String> fromManifest(Path folder) {
        Path manifest = folder.resolve(ModelFolder.MANIFEST_FILE);
        Map<String, String> lines = new TreeMap<>();
        try {
            JsonNode files = JSON.readTree(manifest.toFile()).path("files");
            for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                lines.put(entry.getKey(), entry.getValue().path("size").asLong(-1) + " "
                        + entry.getValue().path("sha256").asText("").toLowerCase(java.util.Locale.ROOT));
            }
        } catch (IOException e) {
            throw new ModelFolderException(manifest + " cannot be read (" + e.getMessage() + "): the folder is damaged;"
                    + " delete it and import again (`./fill-mask model` for the default model)", e);
        }
        return lines;
    }

    private static Map<String, String> fromFiles(Path folder) {
        Map<String, String> lines = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new ModelFolderException("cannot list the model folder " + folder + ": " + e.getMessage(), e);
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (name.startsWith(".") || ModelFolder.IMPORT_FILES.contains(name)) {
                continue;
            }
            try {
                lines.put(name, Files.size(file) + " " + FileDigest.sha256(file));
            } catch (IOException e) {
                throw new ModelFolderException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return lines;
    }

    /** How many hex digits {@link #shortNumber} keeps: 32 bits, exact in a double (what Prometheus stores). */
    public static final int SHORT_HEX_DIGITS = 8;

    /**
     * The first {@value #SHORT_HEX_DIGITS} hex digits of a version as a number (0 to 4294967295): what a metric
     * reporter that only takes numbers (Prometheus) can carry. {@code printf %08x N} turns it back into those digits.
     */
    public static long shortNumber(String version) {
        return Long.parseLong(version.substring(0, SHORT_HEX_DIGITS), 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
