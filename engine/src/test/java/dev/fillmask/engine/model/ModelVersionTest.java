package dev.fillmask.engine.model;

import dev.fillmask.engine.importer.TinyImport;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The version names the files' contents: the same from a manifest as from the files, another when one byte differs. */
class ModelVersionTest {
    @Test
    void anImportAndAPlainCopyOfTheSameFilesHaveOneVersion(@TempDir Path dir) {
        Path imported = TinyImport.into(dir.resolve("imports"));
        Path plain = TinyMaskedLm.write(dir.resolve("plain"));
        assertTrue(Files.isRegularFile(imported.resolve(ModelFolder.MANIFEST_FILE)));
        String version = ModelVersion.of(imported);
        assertTrue(version.matches("[0-9a-f]{16}"), version);
        assertEquals(version, ModelVersion.of(plain));
        assertEquals(version, ModelVersion.of(plain), "stable from one call to the next");
    }

    @Test
    void oneChangedByteOfEqualSizeGivesAnotherVersion(@TempDir Path dir) throws Exception {
        Path plain = TinyMaskedLm.write(dir.resolve("plain"));
        String before = ModelVersion.of(plain);
        Path config = plain.resolve(ModelFolder.CONFIG_FILE);
        byte[] bytes = Files.readAllBytes(config);
        bytes[bytes.length / 2] ^= 1;
        Files.write(config, bytes);
        assertNotEquals(before, ModelVersion.of(plain));
    }

    @Test
    void hiddenFilesDoNotCount(@TempDir Path dir) throws Exception {
        Path plain = TinyMaskedLm.write(dir.resolve("plain"));
        String before = ModelVersion.of(plain);
        Files.writeString(plain.resolve(".DS_Store"), "x");
        assertEquals(before, ModelVersion.of(plain));
    }

    @Test
    void theShortNumberIsTheFirstEightHexDigits() {
        assertEquals(0xdeadbeefL, ModelVersion.shortNumber("deadbeef0123456789abcdef"));
        assertEquals(0L, ModelVersion.shortNumber("00000000ffff"));
    }
}
