package dev.fillmask.engine.weights;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.quantize.Int8Options;
import dev.fillmask.engine.quantize.Int8Quantizer;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engines opened the way a TaskManager's slots open them ({@link FillMaskEngine#open}, one each) share their model's
 * weights, answer as engines with their own copy do, and give the weights back when the last one closes; engines of
 * different models share nothing. Counts are taken as differences, so engines other tests keep open do not matter.
 */
class SharedWeightsTest {
    private static final EngineOptions SHARED = EngineOptions.defaults().withIntraOpThreads(1);
    private static final EngineOptions OWN = SHARED.withSharedWeights(false);

    @TempDir
    Path dir;

    private static final List<FillMaskRequest> REQUESTS = List.of(
            FillMaskRequest.of("Paris is the [MASK] of France."),
            FillMaskRequest.of("The man worked as a [MASK]."),
            FillMaskRequest.of("She poured a cup of [MASK] and sat down to read the newspaper."),
            FillMaskRequest.of("The [MASK] sat on the [MASK]."),
            FillMaskRequest.of("After the storm, the streets were covered with broken [MASK]."));

    @Test
    void twoEnginesOfTheDefaultModelShareOneCopyAndAnswerAsAnEngineWithItsOwn() {
        Path model = SharedDefaultModel.path();
        List<FillMaskAnswer> own;
        try (FillMaskEngine unshared = FillMaskEngine.open(model, OWN)) {
            own = unshared.predict(REQUESTS);
        }
        SharedWeights.Counters before = SharedWeights.counters();
        FillMaskEngine first = FillMaskEngine.open(model, SHARED);
        try (FillMaskEngine second = FillMaskEngine.open(model, SHARED)) {
            SharedWeights.Counters open = SharedWeights.counters();
            assertEquals(before.models() + 1, open.models(), "one entry for both engines");
            assertEquals(before.sessions() + 2, open.sessions());
            long mapped = open.mappedBytes() - before.mappedBytes();
            // BERT-base's 110 M float parameters, once: the fused graph's decoder reads the word embeddings as they
            // are (FusedMatMul, transB), so the optimizer folds no transposed copy of them (94 MB) any more.
            assertTrue(mapped > 420_000_000L && mapped < 460_000_000L, "mapped " + mapped + " bytes");
            assertSameAnswers(own, first.predict(REQUESTS), 1e-6);
            assertSameAnswers(own, second.predict(REQUESTS), 1e-6);
            first.close();
            first = null;
            SharedWeights.Counters oneLeft = SharedWeights.counters();
            assertEquals(before.models() + 1, oneLeft.models(), "still mapped for the second engine");
            assertEquals(before.released(), oneLeft.released());
            assertSameAnswers(own, second.predict(REQUESTS), 1e-6);
        } finally {
            if (first != null) {
                first.close();
            }
        }
        SharedWeights.Counters after = SharedWeights.counters();
        assertEquals(before.models(), after.models(), "released after the last close");
        assertEquals(before.sessions(), after.sessions());
        assertEquals(before.released() + 1, after.released());
    }

    @Test
    void differentModelsDoNotShare() {
        Path tiny = TinyMaskedLm.write(dir.resolve("tiny"));
        SharedWeights.Counters before = SharedWeights.counters();
        try (FillMaskEngine bert = FillMaskEngine.open(SharedDefaultModel.path(), SHARED);
             FillMaskEngine small = FillMaskEngine.open(tiny, SHARED)) {
            SharedWeights.Counters open = SharedWeights.counters();
            assertEquals(before.models() + 2, open.models());
            assertEquals(before.sessions() + 2, open.sessions());
        }
        assertEquals(before.models(), SharedWeights.counters().models());
    }

    @Test
    void anInt8ModelIsSharedAndAnswersAsWithItsOwnWeights() throws IOException {
        Path fp32 = TinyMaskedLm.write(dir.resolve("fp32"));
        Path int8 = Int8Quantizer.quantizeFolder(fp32, dir.resolve("int8"), Int8Options.defaults(), null).out();
        List<FillMaskRequest> requests = List.of(FillMaskRequest.of("a " + TinyMaskedLm.MASK + " b"),
                FillMaskRequest.of(TinyMaskedLm.MASK + " " + TinyMaskedLm.MASK));
        List<FillMaskAnswer> own;
        try (FillMaskEngine unshared = FillMaskEngine.open(int8, OWN)) {
            own = unshared.predict(requests);
        }
        SharedWeights.Counters before = SharedWeights.counters();
        try (FillMaskEngine first = FillMaskEngine.open(int8, SHARED);
             FillMaskEngine second = FillMaskEngine.open(int8, SHARED)) {
            SharedWeights.Counters open = SharedWeights.counters();
            assertEquals(before.models() + 1, open.models());
            assertTrue(open.mappedBytes() > before.mappedBytes(), "the int8 weights are mapped");
            assertSameAnswers(own, first.predict(requests), 1e-6);
            assertSameAnswers(own, second.predict(requests), 1e-6);
        }
    }

    private static void assertSameAnswers(List<FillMaskAnswer> expected, List<FillMaskAnswer> actual, double tolerance) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            List<List<Candidate>> want = rows(expected.get(i));
            List<List<Candidate>> got = rows(actual.get(i));
            assertEquals(want.size(), got.size());
            for (int m = 0; m < want.size(); m++) {
                for (int k = 0; k < want.get(m).size(); k++) {
                    Candidate w = want.get(m).get(k);
                    Candidate g = got.get(m).get(k);
                    assertEquals(w.token(), g.token(), "request " + i + ", mask " + m + ", place " + k);
                    assertEquals(w.score(), g.score(), tolerance, "request " + i + ", mask " + m + ", place " + k);
                }
            }
        }
    }

    private static List<List<Candidate>> rows(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            return List.of(single.candidates());
        }
        return assertInstanceOf(FillMaskAnswer.MultiMask.class, answer, () -> "got " + answer).rows();
    }
}
