package dev.fillmask.engine;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.testing.SharedDefaultModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine on the real default model (BERT-base-uncased), against the figures the Hugging Face pipeline gives:
 * the model card's published outputs, and the pipeline's rules for top_k, targets and several masks.
 */
class DefaultModelEngineTest {
    private static FillMaskEngine engine;

    @BeforeAll
    static void open() {
        engine = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static FillMaskRequest request(String inputs, Integer topK, List<String> targets) {
        return new FillMaskRequest(inputs, topK, targets);
    }

    private static List<Candidate> single(FillMaskAnswer answer) {
        return assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, () -> "got " + answer).candidates();
    }

    private static void assertCandidate(Candidate c, String sequence, double score, long token, String tokenStr) {
        assertEquals(sequence, c.sequence());
        assertEquals(score, c.score(), 1e-4, () -> "score of " + tokenStr);
        assertEquals(token, c.token());
        assertEquals(tokenStr, c.tokenStr());
    }

    @Test
    void modelCardHelloModel() {
        List<Candidate> c = single(engine.predict(request("Hello I'm a [MASK] model.", null, null)));
        assertEquals(5, c.size());
        assertCandidate(c.get(0), "hello i'm a fashion model.", 0.1073, 4827, "fashion");
        assertCandidate(c.get(1), "hello i'm a role model.", 0.0877, 2535, "role");
        assertCandidate(c.get(2), "hello i'm a new model.", 0.0534, 2047, "new");
        assertCandidate(c.get(3), "hello i'm a super model.", 0.0467, 3565, "super");
        assertCandidate(c.get(4), "hello i'm a fine model.", 0.0271, 2986, "fine");
    }

    @Test
    void modelCardManWorkedAs() {
        List<Candidate> c = single(engine.predict(request("The man worked as a [MASK].", null, null)));
        String[] words = {"carpenter", "waiter", "barber", "mechanic", "salesman"};
        double[] scores = {0.0975, 0.0524, 0.0496, 0.0379, 0.0377};
        for (int i = 0; i < 5; i++) {
            assertEquals("the man worked as a " + words[i] + ".", c.get(i).sequence());
            assertEquals(words[i], c.get(i).tokenStr());
            assertEquals(scores[i], c.get(i).score(), 1e-4);
        }
    }

    @Test
    void modelCardParisCapital() {
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", 1, null)));
        assertEquals(1, c.size());
        assertCandidate(c.get(0), "paris is the capital of france.", 0.997, 3007, "capital");
    }

    @Test
    void topKIsHonouredAndSortedBestFirst() {
        List<Candidate> c = single(engine.predict(request("The man worked as a [MASK].", 12, null)));
        assertEquals(12, c.size());
        for (int i = 1; i < c.size(); i++) {
            assertTrue(c.get(i - 1).score() >= c.get(i).score());
        }
        FillMaskAnswer tooMany = engine.predict(request("The man worked as a [MASK].", 40_000, null));
        assertTrue(((FillMaskAnswer.Error) tooMany).message().contains("vocabulary size 30522"), tooMany::toString);
    }

    @Test
    void severalMasksGiveOneRowPerMaskWithSpecialTokensKept() {
        FillMaskAnswer answer = engine.predict(request("The [MASK] sat on the [MASK].", 3, null));
        List<List<Candidate>> rows = assertInstanceOf(FillMaskAnswer.MultiMask.class, answer).rows();
        assertEquals(2, rows.size());
        for (Candidate c : rows.get(0)) {
            assertEquals("[CLS] the " + c.tokenStr() + " sat on the [MASK]. [SEP]", c.sequence());
        }
        for (Candidate c : rows.get(1)) {
            assertEquals("[CLS] the [MASK] sat on the " + c.tokenStr() + ". [SEP]", c.sequence());
        }
        assertEquals(3, rows.get(0).size());
        assertEquals(3, rows.get(1).size());
    }

    @Test
    void targetsScoreWithTheirFullVocabularyProbability() {
        double capital = single(engine.predict(request("Paris is the [MASK] of France.", 1, null))).get(0).score();
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", null,
                List.of("heart", "capital"))));
        assertEquals(2, c.size(), "top_k is capped at the number of targets");
        assertCandidate(c.get(0), "paris is the capital of france.", capital, 3007, "capital");
        assertEquals("heart", c.get(1).tokenStr());
        assertTrue(c.get(1).score() < 0.01, "not renormalised over the targets");
    }

    @Test
    void capitalisedTargetIsTokenizedToItsFirstPiece() {
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", null, List.of("Capital"))));
        assertEquals(1, c.size());
        assertEquals(3007, c.get(0).token());
    }

    @Test
    void multiPieceTargetUsesItsFirstToken() {
        // "parisians" is not in the vocabulary; WordPiece splits it into "parisian" + "##s" and the pipeline keeps
        // the first piece.
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", null,
                List.of("parisians"))));
        assertEquals(1, c.size());
        assertEquals("parisian", c.get(0).tokenStr());
        assertEquals("paris is the parisian of france.", c.get(0).sequence());
    }

    @Test
    void unknownTargetBecomesTheUnknownToken() {
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", null, List.of("\u2603"))));
        assertEquals(1, c.size());
        assertEquals(100, c.get(0).token());
        assertEquals("[UNK]", c.get(0).tokenStr());
    }

    @Test
    void duplicateTargetsCollapse() {
        List<Candidate> c = single(engine.predict(request("Paris is the [MASK] of France.", 10,
                List.of("capital", "capital", "Capital", "heart"))));
        assertEquals(2, c.size());
    }

    @Test
    void targetsThatLeaveNothingAreAnError() {
        for (List<String> targets : List.of(List.<String>of(), List.of(""), List.of(" ", ""))) {
            FillMaskAnswer answer = engine.predict(request("Paris is the [MASK] of France.", null, targets));
            assertEquals(new FillMaskAnswer.Error("At least one target must be provided when passed."), answer);
        }
    }

    @Test
    void noMaskIsAnError() {
        assertEquals(new FillMaskAnswer.Error("No mask_token ([MASK]) found on the input"),
                engine.predict(request("There is no mask here.", null, null)));
    }

    @Test
    void aBatchAnswersLikeSingleRequestsDespitePadding() {
        List<FillMaskRequest> batch = List.of(
                request("Paris is the [MASK] of France.", null, null),
                request("No mask at all.", null, null),
                request("The quick brown fox jumps over the lazy [MASK] while the farmer watches from far away.",
                        3, null),
                request("The [MASK] sat on the [MASK].", 2, null));
        List<FillMaskAnswer> together = engine.predict(batch);
        assertEquals(batch.size(), together.size());
        for (int i = 0; i < batch.size(); i++) {
            assertSameAnswer(engine.predict(batch.get(i)), together.get(i));
        }
    }

    @Test
    void longInputIsAnsweredOnAWindowAndDecodedWhole() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("the river flows past the old mill and ");
        }
        text.append("paris is the [MASK] of france.");
        List<Candidate> c = single(engine.predict(request(text.toString(), 1, null)));
        assertEquals("capital", c.get(0).tokenStr());
        assertTrue(c.get(0).sequence().startsWith("the river flows past"), "the sequence is the whole input");
        assertTrue(c.get(0).sequence().endsWith("paris is the capital of france."));

        String apart = "[MASK] " + "word ".repeat(600) + "[MASK]";
        FillMaskAnswer error = engine.predict(request(apart, null, null));
        assertTrue(((FillMaskAnswer.Error) error).message().contains("maximum length (512"), error::toString);
    }

    static void assertSameAnswer(FillMaskAnswer expected, FillMaskAnswer actual) {
        assertEquals(expected.getClass(), actual.getClass());
        List<List<Candidate>> e = rows(expected);
        List<List<Candidate>> a = rows(actual);
        if (e == null) {
            assertEquals(expected, actual);
            return;
        }
        assertEquals(e.size(), a.size());
        for (int r = 0; r < e.size(); r++) {
            assertEquals(e.get(r).size(), a.get(r).size());
            for (int i = 0; i < e.get(r).size(); i++) {
                Candidate x = e.get(r).get(i);
                Candidate y = a.get(r).get(i);
                assertEquals(x.token(), y.token());
                assertEquals(x.sequence(), y.sequence());
                assertEquals(x.tokenStr(), y.tokenStr());
                assertEquals(x.score(), y.score(), 1e-5);
            }
        }
    }

    private static List<List<Candidate>> rows(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask s) {
            List<List<Candidate>> one = new ArrayList<>();
            one.add(s.candidates());
            return one;
        }
        return answer instanceof FillMaskAnswer.MultiMask m ? m.rows() : null;
    }
}
