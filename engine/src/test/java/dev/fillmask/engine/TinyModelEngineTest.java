package dev.fillmask.engine;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine on a model that is not BERT: a RoBERTa-like folder with a {@code <mask>} token, a non-WordPiece
 * tokenizer, pad id 1, no token_type_ids input and a short maximum length. Random weights: structure, not meaning.
 */
class TinyModelEngineTest {
    @TempDir
    static Path dir;
    private static FillMaskEngine engine;

    @BeforeAll
    static void open() {
        engine = FillMaskEngine.open(TinyMaskedLm.write(dir.resolve("tiny")), EngineOptions.defaults().withIntraOpThreads(1));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /**
     * Closing twice (a Flink operator's close after a failed open, a try-with-resources around an explicit close) is
     * harmless, and it must not give back the shared weights twice: another engine on them keeps answering.
     */
    @Test
    void closingTwiceIsHarmlessAndLeavesOtherEnginesAnswering() {
        FillMaskRequest request = new FillMaskRequest("a <mask> b", 3, null);
        FillMaskEngine second = FillMaskEngine.open(dir.resolve("tiny"), EngineOptions.defaults().withIntraOpThreads(1));
        second.close();
        second.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> second.predict(request));
        assertEquals("the engine is closed", closed.getMessage());
        assertEquals(3, assertInstanceOf(FillMaskAnswer.SingleMask.class, engine.predict(request)).candidates().size());
    }

    @Test
    void everythingModelSpecificComesFromTheFolder() {
        ModelFolder folder = engine.modelFolder();
        assertEquals("<mask>", folder.maskToken());
        assertEquals(1, folder.padTokenId());
        assertTrue(folder.maxLength() < 512, "max length from tokenizer_config, not a constant");
    }

    @Test
    void answersWithTheModelsOwnMaskToken() {
        FillMaskAnswer answer = engine.predict(new FillMaskRequest("the cat sat on the <mask>.", 3, null));
        List<Candidate> c = assertInstanceOf(FillMaskAnswer.SingleMask.class, answer).candidates();
        assertEquals(3, c.size());
        for (Candidate candidate : c) {
            assertTrue(candidate.score() > 0 && candidate.score() < 1);
            assertFalse(candidate.sequence().contains("<s>"), "one mask: special tokens skipped");
            assertFalse(candidate.sequence().contains("<mask>"));
        }
    }

    @Test
    void aBertMaskIsNotThisModelsMask() {
        assertEquals(new FillMaskAnswer.Error("No mask_token (<mask>) found on the input"),
                engine.predict(new FillMaskRequest("the cat sat on the [MASK].", null, null)));
    }

    @Test
    void severalMasksKeepThisModelsSpecialTokens() {
        FillMaskAnswer answer = engine.predict(new FillMaskRequest("the <mask> sat on the <mask>.", 2, null));
        List<List<Candidate>> rows = assertInstanceOf(FillMaskAnswer.MultiMask.class, answer).rows();
        assertEquals(2, rows.size());
        assertTrue(rows.get(0).get(0).sequence().contains("<mask>"), rows.get(0).get(0)::sequence);
    }

    @Test
    void longInputsAreWindowedToTheModelsMaximumLength() {
        String text = "the cat sat on the mat and ".repeat(60) + "the dog sat on the <mask>.";
        FillMaskAnswer answer = engine.predict(new FillMaskRequest(text, 2, null));
        assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, answer::toString);
    }

    @Test
    void batchesPadWithThisModelsPadIdWithoutChangingAnswers() {
        List<FillMaskRequest> batch = List.of(
                new FillMaskRequest("a <mask>.", 4, null),
                new FillMaskRequest("the quick brown fox jumps over the lazy <mask> again and again.", 4, null));
        List<FillMaskAnswer> together = engine.predict(batch);
        DefaultModelEngineTest.assertSameAnswer(engine.predict(batch.get(0)), together.get(0));
        DefaultModelEngineTest.assertSameAnswer(engine.predict(batch.get(1)), together.get(1));
    }
}
