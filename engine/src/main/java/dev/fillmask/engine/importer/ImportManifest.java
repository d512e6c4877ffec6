package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.fillmask.engine.model.FileDigest;
import dev.fillmask.engine.model.ModelFolder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code fill-mask-import.json}: written last into a finished import, it is what makes a folder count as good.
 * It records every file's size and SHA-256, model.onnx included: the engine checks them on every start (about 1 s
 * for the default model's 438 MB graph on a 2-core machine, measured in {@link FileDigest}), and so does the cache
 * before it reuses the folder, so a file changed in place fails at start-up naming the file (or is imported again).
 * Beside it goes {@value #MARKER}, which tells the engine that this folder is an import and must not load without
 * its manifest.
 */
final class ImportManifest {
    static final String FILE = ModelFolder.MANIFEST_FILE;
    static final String MARKER = ModelFolder.IMPORT_MARKER_FILE;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ImportManifest() {}

    static void write(Path folder, int formatVersion, Map<String, String> about) throws IOException {
        Files.writeString(folder.resolve(MARKER), "This folder was made by the fill-mask model importer. The engine"
                + " checks every file against " + FILE + " when it starts, and refuses the folder without it.\n"
                + "If a file is damaged or missing, delete this folder and import it again (`./fill-mask model` for"
                + " the default model).\n", StandardCharsets.UTF_8);
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
            if (ModelFolder.IMPORT_FILES.contains(name)) {
                continue;
            }
            ObjectNode entry = files.putObject(name);
            entry.put("size", Files.size(file));
            entry.put("sha256", FileDigest.sha256(file));
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
                if (hash == null) {
                    return "its " + FILE + " records no SHA-256 of " + e.getKey();
                }
                if (!hash.asText().equals(FileDigest.sha256(file))) {
                    return e.getKey() + " does not match its recorded SHA-256";
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "its " + FILE + " cannot be read (" + e.getMessage() + ")";
        }
    }
}
