package dev.fillmask.engine.importer;

import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.testing.SharedDefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The words a user may write for a model, and the folder each means. */
class ModelCatalogTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    @Test
    void blankAndTheDefaultsNamesMeanTheDefaultModel() {
        Path expected = SharedDefaultModel.path().toAbsolutePath();
        for (String name : new String[] {"", "  ", "bert-base-uncased", "google-bert/bert-base-uncased", "BERT-Base-Uncased"}) {
            assertEquals(expected, ModelCatalog.resolve(name, FillMaskHome.resolve(), QUIET).toAbsolutePath(), name);
        }
        assertEquals(expected, ModelCatalog.resolve(null, FillMaskHome.resolve(), QUIET).toAbsolutePath());
    }

    @Test
    void anExistingFolderIsTakenAsItIs(@TempDir Path dir) {
        assertEquals(dir.toAbsolutePath(), ModelCatalog.resolve(dir.toString(), dir.resolve("home"), QUIET));
    }

    @Test
    void aHubIdMeansItsImportedFolderUnderTheHome(@TempDir Path home) throws IOException {
        Path imported = Files.createDirectories(home.resolve("models").resolve("FacebookAI--xlm-roberta-base"));
        assertEquals(imported.toAbsolutePath(), ModelCatalog.resolve("FacebookAI/xlm-roberta-base", home, QUIET));
    }

    @Test
    void anythingElseIsAnErrorThatSaysWhatIsAccepted(@TempDir Path home) {
        ModelImportException e = assertThrows(ModelImportException.class,
                () -> ModelCatalog.resolve("FacebookAI/xlm-roberta-base", home, QUIET));
        assertTrue(e.getMessage().contains("bert-base-uncased, bert-base-multilingual-cased"), e.getMessage());
        assertTrue(e.getMessage().contains("FacebookAI--xlm-roberta-base"), e.getMessage());

        e = assertThrows(ModelImportException.class, () -> ModelCatalog.resolve("/no/such/folder", home, QUIET));
        assertTrue(e.getMessage().startsWith("no model '/no/such/folder'"), e.getMessage());
        assertFalse(e.getMessage().contains("hub model"), e.getMessage());
    }

    @Test
    void theListHasEveryBuiltInModelInOrderAndKnowsTheImportedDefault() {
        SharedDefaultModel.path();
        var entries = ModelCatalog.list(FillMaskHome.resolve());
        assertEquals(BuiltInModel.values().length, entries.size());
        assertEquals(BuiltInModel.DEFAULT, entries.get(0).model());
        assertTrue(entries.get(0).imported());
        assertTrue(entries.get(0).bytesOnDisk() > ModelCatalog.weightBytes(entries.get(0).folder()));
    }
}
