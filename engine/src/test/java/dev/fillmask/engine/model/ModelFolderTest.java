package dev.fillmask.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFolderTest {
    @TempDir
    Path dir;

    private void write(String file, String json) throws IOException {
        Files.writeString(dir.resolve(file), json);
    }

    private void writeAll(String tokenizerConfig, String config) throws IOException {
        Files.write(dir.resolve("model.onnx"), new byte[] {0});
        write("tokenizer.json", """
                {"model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "hello": 1, "[MASK]": 2}},
                 "added_tokens": [{"id": 3, "content": "<extra>", "special": true}]}""");
        write("tokenizer_config.json", tokenizerConfig);
        write("config.json", config);
    }

    @Test
    void readsTheMaskTokenFromAnAddedTokenObjectAndThePadIdFromTheConfig() throws IOException {
        writeAll("""
                {"mask_token": {"content": "[MASK]", "lstrip": true}, "model_max_length": 128}""",
                """
                {"max_position_embeddings": 512, "pad_token_id": 0, "model_type": "bert"}""");
        ModelFolder folder = ModelFolder.open(dir);
        assertEquals("[MASK]", folder.maskToken());
        assertEquals(2, folder.maskTokenId());
        assertEquals(0, folder.padTokenId());
        assertEquals(128, folder.maxLength());
        assertEquals(4, folder.vocabulary().size(), "added tokens count");
    }

    @Test
    void anUnknownTokenizerMaximumFallsBackToThePositionsLessRobertasOffset() throws IOException {
        writeAll("""
                {"mask_token": "[MASK]", "model_max_length": 1000000000000000019884624838656}""",
                """
                {"max_position_embeddings": 514, "pad_token_id": 1, "model_type": "xlm-roberta"}""");
        assertEquals(512, ModelFolder.open(dir).maxLength());
    }

    @Test
    void missingFilesAndMaskTokensAreNamed() throws IOException {
        ModelFolderException missing = assertThrows(ModelFolderException.class, () -> ModelFolder.open(dir));
        assertTrue(missing.getMessage().contains("model.onnx"), missing::getMessage);

        writeAll("{\"model_max_length\": 128}", "{\"max_position_embeddings\": 512}");
        ModelFolderException noMask = assertThrows(ModelFolderException.class, () -> ModelFolder.open(dir));
        assertTrue(noMask.getMessage().contains("mask_token"), noMask::getMessage);

        writeAll("{\"mask_token\": \"<mask>\"}", "{\"max_position_embeddings\": 512}");
        ModelFolderException unknownMask = assertThrows(ModelFolderException.class, () -> ModelFolder.open(dir));
        assertTrue(unknownMask.getMessage().contains("not in the vocabulary"), unknownMask::getMessage);
    }
}
