package dev.fillmask.udf.model;

import dev.fillmask.udf.engine.EngineOptions;
import dev.fillmask.udf.engine.EngineStartException;
import dev.fillmask.udf.engine.FillMaskEngine;
import dev.fillmask.udf.testing.TinyMaskedLm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A damaged model folder fails when the engine starts, with a message naming the file, never at the first record. */
class DamagedModelFolderTest {
    private static final EngineOptions OPTIONS = EngineOptions.defaults().withIntraOpThreads(1);

    private static void truncate(Path file, long size) throws Exception {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    @Test
    void aTruncatedModelWithoutManifestFailsToLoadNamingTheFile(@TempDir Path dir) throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        truncate(model.resolve(ModelFolder.MODEL_FILE), Files.size(model.resolve(ModelFolder.MODEL_FILE)) / 2);
        EngineStartException e = assertThrows(EngineStartException.class, () -> FillMaskEngine.open(model, OPTIONS));
        assertTrue(e.getMessage().contains("model.onnx"), e.getMessage());
    }

    @Test
    void aFileThatDisagreesWithTheManifestIsNamed(@TempDir Path dir) throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        long size = Files.size(model.resolve(ModelFolder.MODEL_FILE));
        Files.writeString(model.resolve(FolderIntegrity.MANIFEST), "{\"format\": 3, \"files\": {"
                + "\"model.onnx\": {\"size\": " + size + "},"
                + "\"config.json\": {\"size\": " + Files.size(model.resolve(ModelFolder.CONFIG_FILE))
                + ", \"sha256\": \"00\"}}}");
        ModelFolderException wrongHash = assertThrows(ModelFolderException.class, () -> ModelFolder.open(model));
        assertTrue(wrongHash.getMessage().contains("config.json does not have the SHA-256"), wrongHash.getMessage());

        Files.writeString(model.resolve(FolderIntegrity.MANIFEST), "{\"files\": {\"model.onnx\": {\"size\": "
                + size + "}}}");
        ModelFolder.open(model);
        truncate(model.resolve(ModelFolder.MODEL_FILE), size - 10);
        ModelFolderException truncated = assertThrows(ModelFolderException.class, () -> ModelFolder.open(model));
        assertTrue(truncated.getMessage().contains("model.onnx is " + (size - 10) + " bytes, but " + size
                + " were written"), truncated.getMessage());
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Files.delete(model.resolve(ModelFolder.TOKENIZER_FILE));
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> FillMaskEngine.open(model, OPTIONS));
        assertTrue(e.getMessage().contains("has no tokenizer.json"), e.getMessage());
    }
}
