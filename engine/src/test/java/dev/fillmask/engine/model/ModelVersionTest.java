package dev.fillmask.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model version: the manifest's hash for an imported folder, else config, tokenizer and model size. */
class ModelVersionTest {
    @TempDir
    Path dir;

    private Path folder(String name, String config, String tokenizer, int modelBytes) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.writeString(folder.resolve(ModelFolder.CONFIG_FILE), config);
        Files.writeString(folder.resolve(ModelFolder.TOKENIZER_FILE), tokenizer);
        Files.write(folder.resolve(ModelFolder.MODEL_FILE), new byte[modelBytes]);
        return folder;
    }

    @Test
    void anImportedFolderIsTheSha256OfItsManifest() throws IOException {
        Path folder = folder("imported", "{}", "{}", 4);
        Path manifest = folder.resolve(ModelFolder.MANIFEST_FILE);
        Files.writeString(manifest, "{\"files\": {}}");
        assertEquals(FileDigest.sha256(manifest), ModelVersion.of(folder));
    }

    @Test
    void anyOtherFolderDependsOnConfigTokenizerAndModelSizeOnly() throws IOException {
        String version = ModelVersion.of(folder("a", "{\"x\": 1}", "{\"t\": 1}", 4));
        assertTrue(version.matches("[0-9a-f]{64}"), version);
        assertEquals(version, ModelVersion.of(folder("copy", "{\"x\": 1}", "{\"t\": 1}", 4)), "a copy elsewhere");
        assertNotEquals(version, ModelVersion.of(folder("config", "{\"x\": 2}", "{\"t\": 1}", 4)));
        assertNotEquals(version, ModelVersion.of(folder("tokenizer", "{\"x\": 1}", "{\"t\": 2}", 4)));
        assertNotEquals(version, ModelVersion.of(folder("quantized", "{\"x\": 1}", "{\"t\": 1}", 1)),
                "an int8 copy keeps config and tokenizer and only shrinks the model");
        // the same bytes split differently between the two files are a different model
        assertNotEquals(ModelVersion.of(folder("ab", "ab", "c", 4)), ModelVersion.of(folder("a-bc", "a", "bc", 4)));
    }

    @Test
    void theShortNumberIsTheFirstEightHexDigits() {
        assertEquals(0xffffffffL, ModelVersion.shortNumber("ffffffff" + "0".repeat(56)));
        assertEquals(0x0012abcdL, ModelVersion.shortNumber("0012abcd" + "f".repeat(56)));
    }
}
