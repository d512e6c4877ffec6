package dev.fillmask.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.engine.testing.SharedDefaultModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answer bound on the real model: an answer too large is refused before it is built when that is sure, by its
 * exact size otherwise; the early refusal never refuses an answer that would have fitted. Sizes are measured by a
 * second writer (Jackson's own object mapper over plain maps), not by the codec under test.
 */
class AnswerBoundEngineTest {
    /** Big enough for every answer below: the engine builds them all. */
    private static final int UNBOUNDED = 256 << 20;
    private static FillMaskEngine engine;

    @BeforeAll
    static void open() {
        engine = FillMaskEngine.open(SharedDefaultModel.path(),
                EngineOptions.defaults().withLimits(RequestLimits.defaults().withMaxAnswerBytes(UNBOUNDED)));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void theWholeVocabularyOnOneMaskIsRefusedAtTheDefaultBound() throws Exception {
        FillMaskEngine bounded = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults());
        try {
            FillMaskAnswer answer = bounded.predict(new FillMaskRequest("a [MASK]", 30522, null));
            String message = assertInstanceOf(FillMaskAnswer.Error.class, answer).message();
            assertTrue(message.contains("at least"), message);
            assertTrue(message.contains("30,522 candidates"), message);
            assertTrue(message.contains("top_k"), message);
            assertTrue(message.contains("983,040"), "names the limit: " + message);

            // Below the bound the same request shape is answered, and its answer is within the bound.
            FillMaskAnswer small = bounded.predict(new FillMaskRequest("a [MASK]", 3000, null));
            assertEquals(3000, assertInstanceOf(FillMaskAnswer.SingleMask.class, small).candidates().size());
            assertTrue(independentSize(small) <= RequestLimits.DEFAULT_MAX_ANSWER_BYTES);
        } finally {
            bounded.close();
        }
    }

    @Test
    void theEarlyRefusalIsALowerBoundOfTheRealSize() throws Exception {
        List<FillMaskRequest> requests = List.of(
                new FillMaskRequest("a [MASK]", 4000, null),
                new FillMaskRequest("[MASK]", 2000, null),
                new FillMaskRequest("[MASK].", 2000, null),
                new FillMaskRequest("he said , \" [MASK] \" and left ' s", 2000, null),
                new FillMaskRequest("[MASK][MASK] [MASK]", 500, null),
                new FillMaskRequest("i don ' t [MASK] it , isn ' t it ? [MASK] !", 1000, null),
                new FillMaskRequest("東京は日本の[MASK]です。", 1500, null),
                new FillMaskRequest("Der Zug nach München fährt um [MASK] Uhr ab, sagte der Schaffner.", 1500, null),
                new FillMaskRequest("The quick brown fox jumps over the lazy dog. ".repeat(20) + "The [MASK] ends.", 800, null),
                new FillMaskRequest("x".repeat(300) + " [MASK]", 1000, null),
                new FillMaskRequest("[MASK] of the [MASK] in the [MASK] .", 300, List.of("city", "king", "house")));
        for (FillMaskRequest request : requests) {
            FillMaskAnswer answer = engine.predict(request);
            assertFalse(answer.isError(), () -> request + " -> " + answer);
            long real = independentSize(answer);
            int candidates = answer instanceof FillMaskAnswer.MultiMask m ? m.rows().get(0).size()
                    : ((FillMaskAnswer.SingleMask) answer).candidates().size();
            long bound = engine.answerAtLeast(request.inputs(), candidates);
            assertTrue(bound <= real, request.inputs() + ": early bound " + bound + " > real size " + real);
            assertTrue(bound > real / 4, request.inputs() + ": the early bound " + bound
                    + " is so loose that it would let answers far above the limit be built: " + real);
        }
    }

    @Test
    void theCodecRefusesByExactSizeAndBothPathsAgree() throws Exception {
        FillMaskRequest request = new FillMaskRequest("paris is the [MASK] of france.", 5000, null);
        FillMaskAnswer answer = engine.predict(request);
        long size = independentSize(answer);

        FillMaskCodec exact = new FillMaskCodec(RequestLimits.defaults().withMaxAnswerBytes((int) size));
        EncodedAnswer fits = exact.writeBoundedAnswer(answer);
        assertFalse(fits.isError(), "an answer exactly at the bound is sent");
        assertEquals(size, fits.json().length);

        FillMaskCodec tight = new FillMaskCodec(RequestLimits.defaults().withMaxAnswerBytes((int) size - 1));
        EncodedAnswer refused = tight.writeBoundedAnswer(answer);
        assertTrue(refused.isError());
        assertTrue(refused.error().contains(String.format("%,d bytes", size)), refused.error());
        assertTrue(refused.error().contains("5,000 candidates"), refused.error());
        assertInstanceOf(FillMaskAnswer.Error.class, tight.readAnswer(refused.json()));
    }

    /** The answer's size in UTF-8 JSON as a plain Jackson object mapper writes the same content. */
    private static long independentSize(FillMaskAnswer answer) throws Exception {
        Object tree;
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            tree = rows(single.candidates());
        } else {
            List<Object> all = new ArrayList<>();
            for (List<Candidate> row : ((FillMaskAnswer.MultiMask) answer).rows()) {
                all.add(rows(row));
            }
            tree = all;
        }
        return new ObjectMapper().writeValueAsBytes(tree).length;
    }

    private static List<Map<String, Object>> rows(List<Candidate> candidates) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Candidate c : candidates) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequence", c.sequence());
            m.put("score", c.score());
            m.put("token", c.token());
            m.put("token_str", c.tokenStr());
            out.add(m);
        }
        return out;
    }
}
