package dev.fillmask.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks a model folder against the manifest its maker left in it ({@value #MANIFEST}: each file's size and SHA-256,
 * model.onnx included), so a truncated or altered file fails when the engine starts, naming the file, and not at the
 * first record or with a wrong answer. Hashing the default model's 438 MB model.onnx costs about 1 s per engine start
 * on a 2-core machine when the file is in the page cache (measured: {@link FileDigest}); ONNX Runtime reads the
 * whole file right after anyway, so a cold start pays the disk once.
 *
 * <p>An imported folder is recognised by the marker {@value #MARKER} that the importer writes beside the manifest: a
 * folder with the marker and without its manifest has lost what vouches for it, and is refused. Folders without
 * either (a user's own Hugging Face export) are checked by loading them: JSON that parses, and a model ONNX Runtime
 * accepts.
 */
final class FolderIntegrity {
    /** The manifest the default-model importer writes. */
    static final String MANIFEST = ModelFolder.MANIFEST_FILE;
    /** The importer's mark on every folder it makes. */
    static final String MARKER = ModelFolder.IMPORT_MARKER_FILE;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FolderIntegrity() {}

    static void check(Path folder) {
        Path manifest = folder.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            if (Files.exists(folder.resolve(MARKER))) {
                throw new ModelFolderException("model folder " + folder + " was made by the fill-mask importer ("
                        + MARKER + ") but its manifest " + MANIFEST + " is missing, so its files cannot be checked:"
                        + " delete " + folder + " and import it again (`./fill-mask model` for the default model)");
            }
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
            if (expectedHash == null) {
                throw damaged(folder, entry.getKey(), "has no SHA-256 in " + MANIFEST + " (an importer older than the"
                        + " check of every file wrote it)");
            }
            try {
                long size = Files.size(file);
                if (expectedSize >= 0 && size != expectedSize) {
                    throw damaged(folder, entry.getKey(), "is " + size + " bytes, but " + expectedSize + " were written");
                }
                if (!expectedHash.equalsIgnoreCase(FileDigest.sha256(file))) {
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
}
