package dev.fillmask.schemas;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The records: defaults, copies, and the checks their constructors make. */
class ContractTypesTest {

    @Test
    void requestDefaults() {
        FillMaskRequest r = FillMaskRequest.of("a");
        assertEquals(5, FillMaskRequest.DEFAULT_TOP_K);
        assertEquals(5, r.topKOrDefault());
        assertNull(r.topK());
        assertFalse(r.hasTargets());
        assertEquals(7, new FillMaskRequest("a", 7, null).topKOrDefault());
        assertTrue(new FillMaskRequest("a", null, List.of()).hasTargets());
    }

    @Test
    void requestCopiesTargetsAndRequiresInputs() {
        List<String> targets = new ArrayList<>(List.of("x"));
        FillMaskRequest r = new FillMaskRequest("a", null, targets);
        targets.add("y");
        assertEquals(List.of("x"), r.targets());
        assertThrows(UnsupportedOperationException.class, () -> r.targets().add("z"));
        assertThrows(NullPointerException.class, () -> new FillMaskRequest(null, null, null));
    }

    @Test
    void limitsDefaults() {
        RequestLimits d = RequestLimits.defaults();
        assertEquals(new RequestLimits(1_048_576, 100_000, 64, 1_000, Integer.MAX_VALUE, 983_040), d);
        assertEquals(d, new FillMaskCodec().limits());
        assertEquals(10, d.withMaxTopK(10).maxTopK());
        assertEquals(3, d.withMaxMasks(3).maxMasks());
        assertThrows(IllegalArgumentException.class, () -> d.withMaxTargets(0));
        assertThrows(IllegalArgumentException.class, () -> new RequestLimits(-1, 1, 1, 1, 1, 1));
    }

    @Test
    void candidateRefusesNonFiniteScoresAndNullText() {
        assertThrows(IllegalArgumentException.class, () -> new Candidate("s", Double.NaN, 1, "t"));
        assertThrows(IllegalArgumentException.class, () -> new Candidate("s", Double.POSITIVE_INFINITY, 1, "t"));
        assertThrows(NullPointerException.class, () -> new Candidate(null, 0.5, 1, "t"));
        assertThrows(NullPointerException.class, () -> new Candidate("s", 0.5, 1, null));
    }

    @Test
    void answersAreImmutableCopies() {
        List<Candidate> row = new ArrayList<>(List.of(FillMaskCodecAnswerTest.CAPITAL));
        FillMaskAnswer.SingleMask single = new FillMaskAnswer.SingleMask(row);
        FillMaskAnswer.MultiMask multi = new FillMaskAnswer.MultiMask(List.of(row, row));
        row.add(FillMaskCodecAnswerTest.HEART);
        assertEquals(1, single.candidates().size());
        assertEquals(1, multi.rows().get(0).size());
    }

    @Test
    void ofRowsPicksTheShapeByTheNumberOfMasks() {
        List<Candidate> row = List.of(FillMaskCodecAnswerTest.CAPITAL);
        assertInstanceOf(FillMaskAnswer.SingleMask.class, FillMaskAnswer.ofRows(List.of(row)));
        assertInstanceOf(FillMaskAnswer.MultiMask.class, FillMaskAnswer.ofRows(List.of(row, row)));
        assertThrows(IllegalArgumentException.class, () -> FillMaskAnswer.ofRows(List.of()));
    }

    @Test
    void errorAnswers() {
        FillMaskAnswer e = FillMaskAnswer.error("x");
        assertTrue(e.isError());
        assertEquals(new FillMaskAnswer.Error("x"), e);
        assertFalse(new FillMaskAnswer.SingleMask(List.of()).isError());
        assertThrows(NullPointerException.class, () -> FillMaskAnswer.error(null));
    }

    @Test
    void decodedRequest() {
        assertTrue(new DecodedRequest.Valid(FillMaskRequest.of("a")).isValid());
        assertFalse(new DecodedRequest.Invalid("why").isValid());
        DecodedRequest d = new DecodedRequest.Invalid("why");
        assertSame("why", ((DecodedRequest.Invalid) d).reason());
    }
}
