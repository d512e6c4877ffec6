package dev.fillmask.job.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.testing.SharedBuiltInModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fill-mask model} and a built-in model chosen by name where a command takes {@code --model}. */
class ModelCommandTest {
    private static CliRun cli(String stdin, String... args) {
        return CliRun.withInput(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    @Test
    void aBuiltInNamePrintsItsImportedFolder() {
        Path multilingual = SharedBuiltInModels.path(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED);
        CliRun run = cli("", "model", "google-bert/bert-base-multilingual-cased");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(multilingual.toAbsolutePath().toString(), run.out().trim());
    }

    @Test
    void theListNamesEveryBuiltInModelAndWhetherItIsImported() {
        SharedBuiltInModels.path(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED);
        CliRun run = cli("", "model", "--list");
        assertEquals(0, run.exitCode(), run.err());
        for (BuiltInModel model : BuiltInModel.values()) {
            assertTrue(run.out().lines().anyMatch(l -> l.startsWith(model.modelName() + " ")), run.out());
        }
        String line = run.out().lines().filter(l -> l.startsWith("bert-base-multilingual-cased ")).findFirst().orElseThrow();
        assertTrue(line.matches("bert-base-multilingual-cased\\s+yes\\s+[\\d,]+ MB\\s+[\\d,]+ MB\\s+104 languages.*"), line);
    }

    @Test
    void anUnknownNameIsAUsageErrorNamingTheBuiltInModels() {
        CliRun run = cli("", "model", "bert-base-klingon");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("bert-base-uncased, bert-base-multilingual-cased"), run.err());
    }

    @Test
    void predictTakesABuiltInModelByName() throws IOException {
        SharedBuiltInModels.path(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED);
        CliRun run = cli("{\"inputs\":\"Berlin ist die [MASK] von Deutschland.\",\"parameters\":{\"top_k\":1}}\n",
                "predict", "--model", "bert-base-multilingual-cased");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode top = new ObjectMapper().readTree(run.out()).get(0);
        assertEquals("Hauptstadt", top.get("token_str").asText());
        assertEquals("Berlin ist die Hauptstadt von Deutschland.", top.get("sequence").asText());
    }

    @Test
    void aNameThatIsNeitherBuiltInNorAFolderIsAClearError() {
        CliRun run = cli("{\"inputs\":\"a [MASK]\"}\n", "predict", "--model", "no-such-model-or-folder");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("fill-mask predict: no model 'no-such-model-or-folder'"), run.err());
        assertTrue(run.err().contains("not a built-in model (bert-base-uncased, bert-base-multilingual-cased)"), run.err());
    }
}
