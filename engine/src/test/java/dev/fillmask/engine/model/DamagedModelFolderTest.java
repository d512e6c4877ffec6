package dev.fillmask.engine.model;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.EngineStartException;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.importer.TinyImport;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private static void flipByte(Path file, long position) throws Exception {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte) ~one.get(0)).rewind();
            channel.write(one, position);
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
        String modelHash = FileDigest.sha256(model.resolve(ModelFolder.MODEL_FILE));
        Files.writeString(model.resolve(FolderIntegrity.MANIFEST), "{\"format\": 3, \"files\": {"
                + "\"model.onnx\": {\"size\": " + size + ", \"sha256\": \"" + modelHash + "\"},"
                + "\"config.json\": {\"size\": " + Files.size(model.resolve(ModelFolder.CONFIG_FILE))
                + ", \"sha256\": \"00\"}}}");
        ModelFolderException wrongHash = assertThrows(ModelFolderException.class, () -> ModelFolder.open(model));
        assertTrue(wrongHash.getMessage().contains("config.json does not have the SHA-256"), wrongHash.getMessage());

        Files.writeString(model.resolve(FolderIntegrity.MANIFEST), "{\"files\": {\"model.onnx\": {\"size\": "
                + size + ", \"sha256\": \"" + modelHash + "\"}}}");
        ModelFolder.open(model);
        truncate(model.resolve(ModelFolder.MODEL_FILE), size - 10);
        ModelFolderException truncated = assertThrows(ModelFolderException.class, () -> ModelFolder.open(model));
        assertTrue(truncated.getMessage().contains("model.onnx is " + (size - 10) + " bytes, but " + size
                + " were written"), truncated.getMessage());
    }

    @Test
    void aManifestWithoutTheModelsHashIsRefused(@TempDir Path dir) throws Exception {
        // What importers before the full check wrote: the size of model.onnx only.
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Files.writeString(model.resolve(FolderIntegrity.MANIFEST), "{\"files\": {\"model.onnx\": {\"size\": "
                + Files.size(model.resolve(ModelFolder.MODEL_FILE)) + "}}}");
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> ModelFolder.open(model));
        assertTrue(e.getMessage().contains("model.onnx has no SHA-256"), e.getMessage());
        assertTrue(e.getMessage().contains("import it again"), e.getMessage());
    }

    @Test
    void aByteFlippedInsideAnImportedModelOnnxIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path model = TinyImport.into(dir);
        FillMaskEngine.open(model, OPTIONS).close();
        Path onnx = model.resolve(ModelFolder.MODEL_FILE);
        long size = Files.size(onnx);
        flipByte(onnx, size / 2);
        assertEquals(size, Files.size(onnx), "same size: only the hash can tell");

        ModelFolderException e = assertThrows(ModelFolderException.class, () -> FillMaskEngine.open(model, OPTIONS));
        assertTrue(e.getMessage().contains(onnx + " does not have the SHA-256 its manifest records"), e.getMessage());
        assertTrue(e.getMessage().contains("delete " + model + " and import it again"), e.getMessage());
        assertFalse(TinyImport.isGood(dir), "the cache takes it for damaged too, and imports it again");
        assertEquals(model, TinyImport.into(dir));
        FillMaskEngine.open(model, OPTIONS).close();
    }

    @Test
    void anImportedFolderThatLostItsManifestIsRefused(@TempDir Path dir) throws Exception {
        Path model = TinyImport.into(dir);
        assertTrue(Files.isRegularFile(model.resolve(FolderIntegrity.MARKER)), "the importer marks its folders");
        Files.delete(model.resolve(FolderIntegrity.MANIFEST));

        ModelFolderException e = assertThrows(ModelFolderException.class, () -> FillMaskEngine.open(model, OPTIONS));
        assertTrue(e.getMessage().contains("model folder " + model + " was made by the fill-mask importer"),
                e.getMessage());
        assertTrue(e.getMessage().contains("manifest fill-mask-import.json is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("import it again"), e.getMessage());
    }

    @Test
    void aUsersOwnExportWithoutManifestOrMarkerLoads(@TempDir Path dir) {
        Path model = TinyMaskedLm.write(dir.resolve("export"));
        FillMaskEngine.open(model, OPTIONS).close();
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Files.delete(model.resolve(ModelFolder.TOKENIZER_FILE));
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> FillMaskEngine.open(model, OPTIONS));
        assertTrue(e.getMessage().contains("has no tokenizer.json"), e.getMessage());
    }
}
