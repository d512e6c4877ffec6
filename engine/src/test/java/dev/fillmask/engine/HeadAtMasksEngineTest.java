package dev.fillmask.engine;

import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The LM head at the masks answers exactly as the head at every position: the tiny model written in the plain export
 * layout and loaded as it is, the same plain file rewritten at load time, and the same weights written by the
 * importer's graph builder directly in the head-at-masks form.
 */
class HeadAtMasksEngineTest {
    @TempDir
    static Path dir;
    private static FillMaskEngine full;
    private static FillMaskEngine rewritten;
    private static FillMaskEngine built;

    private static final List<FillMaskRequest> REQUESTS = List.of(
            new FillMaskRequest("the cat sat on the <mask>.", 20, null),
            new FillMaskRequest("a <mask>.", 20, null),
            new FillMaskRequest("the <mask> worked as a <mask> in paris, the capital of france.", 20, null),
            new FillMaskRequest("no mask here", 5, null),
            new FillMaskRequest("the quick brown fox jumps over the lazy <mask> again and again and again.", 20, null),
            new FillMaskRequest("she is a <mask>.", 3, List.of("doctor", "teacher", "nurse", "lawyer")),
            new FillMaskRequest("the river flows past the old house and ".repeat(20) + "the <mask> sat.", 20, null));

    @BeforeAll
    static void open() {
        EngineOptions options = EngineOptions.defaults().withIntraOpThreads(1);
        Path plain = TinyMaskedLm.write(dir.resolve("plain"), HeadForm.FULL);
        full = FillMaskEngine.open(plain, options, GraphRewrites.NONE);
        rewritten = FillMaskEngine.open(plain, options, GraphRewrites.HEAD_AT_MASKS);
        built = FillMaskEngine.open(TinyMaskedLm.write(dir.resolve("at-masks"), HeadForm.AT_MASKS), options);
    }

    @AfterAll
    static void close() {
        full.close();
        rewritten.close();
        built.close();
    }

    @Test
    void eachFormIsLoadedAsExpected() {
        assertEquals(HeadForm.FULL, full.headForm());
        assertEquals(HeadForm.AT_MASKS, rewritten.headForm(), "the plain export's head was recognised and rewritten");
        assertEquals(HeadForm.AT_MASKS, built.headForm());
    }

    @Test
    void theRewrittenHeadAnswersAsTheFullOne() {
        assertSameAnswers(full.predict(REQUESTS), rewritten.predict(REQUESTS));
    }

    @Test
    void theBuiltHeadAtMasksAnswersAsTheFullOne() {
        assertSameAnswers(full.predict(REQUESTS), built.predict(REQUESTS));
    }

    @Test
    void requestByRequestAnswersMatchTheBatch() {
        List<FillMaskAnswer> batch = rewritten.predict(REQUESTS);
        for (int i = 0; i < REQUESTS.size(); i++) {
            DefaultModelEngineTest.assertSameAnswer(full.predict(REQUESTS.get(i)), batch.get(i));
        }
    }

    private static void assertSameAnswers(List<FillMaskAnswer> expected, List<FillMaskAnswer> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            DefaultModelEngineTest.assertSameAnswer(expected.get(i), actual.get(i));
        }
    }
}
