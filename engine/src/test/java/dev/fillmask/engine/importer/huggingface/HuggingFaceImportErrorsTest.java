package dev.fillmask.engine.importer.huggingface;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.importer.TinyCheckpoints.Flavor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the importer refuses, each with one message that names the file (and the tensor) and what it expected; and a
 * refused import leaves no folder behind.
 */
class HuggingFaceImportErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path checkpoint(Flavor flavor) {
        return TinyCheckpoints.write(dir.resolve("hub"), flavor).dir();
    }

    private String refused(Path checkpoint) {
        Path out = dir.resolve("out");
        ModelImportException e = assertThrows(ModelImportException.class,
                () -> HuggingFaceImport.importCheckpoint(checkpoint, out, null));
        assertFalse(Files.exists(out), "a refused import leaves no folder");
        try (var siblings = Files.list(dir)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".out.partial-")),
                    "nor a staging folder");
        } catch (IOException io) {
            throw new AssertionError(io);
        }
        return e.getMessage();
    }

    private static void editConfig(Path checkpoint, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path file = checkpoint.resolve("config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(config);
        JSON.writeValue(file.toFile(), config);
    }

    @Test
    void anotherArchitectureIsNamedWithTheSupportedOnes() throws IOException {
        Path hub = checkpoint(Flavor.BERT);
        editConfig(hub, c -> c.putArray("architectures").add("GPT2LMHeadModel"));
        String message = refused(hub);
        assertTrue(message.contains("GPT2LMHeadModel"), message);
        for (String supported : List.of("BertForMaskedLM", "RobertaForMaskedLM", "XLMRobertaForMaskedLM",
                "CamembertForMaskedLM", "DistilBertForMaskedLM")) {
            assertTrue(message.contains(supported), message);
        }
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path hub = checkpoint(Flavor.BERT);
        Files.delete(hub.resolve("tokenizer.json"));
        assertTrue(refused(hub).contains("has no tokenizer.json"));

        Files.delete(hub.resolve("config.json"));
        assertTrue(refused(hub).contains("has no config.json"));
    }

    @Test
    void noSafetensorsIsNamedAndAPickleIsNotRead() throws IOException {
        Path hub = checkpoint(Flavor.BERT);
        Files.move(hub.resolve("model.safetensors"), hub.resolve("pytorch_model.bin"));
        String message = refused(hub);
        assertTrue(message.contains("neither model.safetensors nor model.safetensors.index.json"), message);
        assertTrue(message.contains("pytorch_model.bin"), message);
    }

    @Test
    void aShapeThatDoesNotMatchTheConfigNamesTheFileAndTheTensor() throws IOException {
        Path hub = checkpoint(Flavor.BERT);
        editConfig(hub, c -> c.put("intermediate_size", TinyCheckpoints.INTERMEDIATE + 16));
        String message = refused(hub);
        assertEquals("tensor bert.encoder.layer.0.intermediate.dense.weight of model.safetensors has shape [64, 32],"
                + " but config.json's sizes make it [80, 32]", message);
    }

    @Test
    void aMissingTensorIsNamedWithTheFileThatShouldHaveIt() throws IOException {
        Path hub = checkpoint(Flavor.ROBERTA);
        // The index no longer lists the head's bias: the importer looks in the files the index names.
        Path index = hub.resolve("model.safetensors.index.json");
        ObjectNode json = (ObjectNode) JSON.readTree(index.toFile());
        ((ObjectNode) json.get("weight_map")).remove("lm_head.bias");
        JSON.writeValue(index.toFile(), json);
        String message = refused(hub);
        assertTrue(message.contains("model.safetensors.index.json has no tensor lm_head.bias or lm_head.decoder.bias"),
                message);
    }

    @Test
    void anIndexThatPutsATensorInTheWrongShardIsNamed() throws IOException {
        Path hub = checkpoint(Flavor.ROBERTA);
        Path index = hub.resolve("model.safetensors.index.json");
        ObjectNode json = (ObjectNode) JSON.readTree(index.toFile());
        ((ObjectNode) json.get("weight_map")).put("lm_head.bias", "model-00001-of-00002.safetensors");
        JSON.writeValue(index.toFile(), json);
        String message = refused(hub);
        assertTrue(message.contains("puts tensor lm_head.bias in model-00001-of-00002.safetensors, which does not have it"),
                message);
    }

    @Test
    void aTruncatedFileIsCaughtBeforeAnythingIsWritten() throws IOException {
        Path hub = checkpoint(Flavor.XLM_ROBERTA);
        Path weights = hub.resolve("model.safetensors");
        try (FileChannel channel = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 100);
        }
        String message = refused(hub);
        assertTrue(message.contains(weights + " is not a valid safetensors file: tensor "), message);
        assertTrue(message.contains("a download cut short?"), message);
    }

    @Test
    void otherActivationsAndPositionsAreRefused() throws IOException {
        Path hub = checkpoint(Flavor.DISTILBERT);
        editConfig(hub, c -> c.put("activation", "relu"));
        assertTrue(refused(hub).contains("sets activation to relu"));

        Path bert = TinyCheckpoints.write(dir.resolve("bert"), Flavor.BERT).dir();
        editConfig(bert, c -> c.put("position_embedding_type", "relative_key"));
        assertTrue(refused(bert).contains("position_embedding_type to relative_key"));
    }

    @Test
    void aMaskTokenTheVocabularyLacksIsRefused() throws IOException {
        Path hub = checkpoint(Flavor.DISTILBERT);
        Path file = hub.resolve("tokenizer_config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        config.put("mask_token", "<mask>");
        JSON.writeValue(file.toFile(), config);
        String message = refused(hub);
        assertTrue(message.contains("does not make a fill-mask model") && message.contains("<mask>"), message);
    }

    @Test
    void aFolderWithSomethingInItIsNeverOverwritten() throws IOException {
        Path hub = checkpoint(Flavor.BERT);
        Path out = Files.createDirectories(dir.resolve("out"));
        Path mine = Files.writeString(out.resolve("notes.txt"), "mine");
        ModelImportException e = assertThrows(ModelImportException.class,
                () -> HuggingFaceImport.importCheckpoint(hub, out, null));
        assertTrue(e.getMessage().contains("the folder is not empty"), e.getMessage());
        assertEquals("mine", Files.readString(mine));

        Files.delete(mine);
        assertEquals(out.toAbsolutePath(), HuggingFaceImport.importCheckpoint(hub, out, null), "an empty one is taken");
    }
}
