package dev.fillmask.engine.importer.huggingface;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.importer.TinyCheckpoints.Checkpoint;
import dev.fillmask.engine.importer.TinyCheckpoints.Flavor;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny random checkpoints of each architecture, in the hub's layout, imported and run through the real engine: the
 * answers must equal a float64 forward pass written from transformers' code apart from the graph writer
 * ({@link ReferenceMaskedLm}), fed with token ids written out here by hand from the pipeline's tokenization rules.
 * So the tokenizer (the space before {@code <mask>} belongs to the mask), the positions (RoBERTa's start after the
 * padding index, also in a padded batch), the names and layouts of every tensor, and F16/BF16 must all be right.
 */
class HuggingFaceImportTest {
    private static final double SCORE_TOLERANCE = 1e-4;

    @TempDir
    static Path dir;
    private static final Map<Flavor, Checkpoint> checkpoints = new EnumMap<>(Flavor.class);
    private static final Map<Flavor, FillMaskEngine> engines = new EnumMap<>(Flavor.class);
    private static final Map<Flavor, String> progress = new EnumMap<>(Flavor.class);

    /** A request and its tokens as the model's tokenizer must make them (specials included). */
    private record Case(String text, String... tokens) {}

    @BeforeAll
    static void importAll() {
        for (Flavor flavor : Flavor.values()) {
            Checkpoint checkpoint = TinyCheckpoints.write(dir.resolve("hub-" + flavor), flavor);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Path folder = HuggingFaceImport.importCheckpoint(checkpoint.dir(), dir.resolve("imported-" + flavor),
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            checkpoints.put(flavor, checkpoint);
            progress.put(flavor, out.toString(StandardCharsets.UTF_8));
            engines.put(flavor, FillMaskEngine.open(folder, EngineOptions.defaults().withIntraOpThreads(1)));
        }
    }

    @AfterAll
    static void close() {
        engines.values().forEach(FillMaskEngine::close);
    }

    private static List<Case> cases(Flavor flavor) {
        String s = TinyCheckpoints.SPACE_PIECE;
        String g = "\u0120";
        return switch (flavor) {
            case BERT, DISTILBERT -> List.of(
                    new Case("Paris is the [MASK] of France.",
                            "[CLS]", "paris", "is", "the", "[MASK]", "of", "france", ".", "[SEP]"),
                    new Case("Hello, I'm a [MASK] model.",
                            "[CLS]", "hello", ",", "i", "'", "m", "a", "[MASK]", "model", ".", "[SEP]"),
                    new Case("The [MASK] sat on the [MASK].",
                            "[CLS]", "the", "[MASK]", "sat", "on", "the", "[MASK]", ".", "[SEP]"));
            case XLM_ROBERTA -> List.of(
                    new Case("Paris is the <mask> of France.",
                            "<s>", s + "Paris", s + "is", s + "the", "<mask>", s + "of", s + "France", ".", "</s>"),
                    new Case("Hello, I'm a <mask> model.",
                            "<s>", s + "Hello", ",", s + "I", "'", "m", s + "a", "<mask>", s + "model", ".", "</s>"),
                    // Metaspace prepends ▁ to every stretch of text, also the "." right after a mask, as
                    // xlm-roberta-base's tokenizer.json does (prepend_scheme "always").
                    new Case("The <mask> sat on the <mask>.",
                            "<s>", s + "The", "<mask>", s + "sat", s + "on", s + "the", "<mask>", s, ".", "</s>"));
            case ROBERTA -> List.of(
                    new Case("The capital of France is <mask>.",
                            "<s>", "The", g + "capital", g + "of", g + "France", g + "is", "<mask>", ".", "</s>"),
                    new Case("Hello, I'm a <mask> model.",
                            "<s>", "Hello", ",", g + "I", "'", "m", g + "a", "<mask>", g + "model", ".", "</s>"),
                    new Case("The <mask> sat on the <mask>.",
                            "<s>", "The", "<mask>", g + "sat", g + "on", g + "the", "<mask>", ".", "</s>"));
        };
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void answersEqualTheReferenceForwardPass(Flavor flavor) {
        FillMaskEngine engine = engines.get(flavor);
        List<Case> cases = cases(flavor);
        for (Case c : cases) {
            assertMatchesReference(flavor, c, engine.predict(new FillMaskRequest(c.text(), 8, null)));
        }
        // All at once: one padded batch, where RoBERTa's positions must skip the padding.
        List<FillMaskAnswer> batch = engine.predict(cases.stream().map(c -> new FillMaskRequest(c.text(), 8, null)).toList());
        for (int i = 0; i < cases.size(); i++) {
            assertMatchesReference(flavor, cases.get(i), batch.get(i));
        }
    }

    private static void assertMatchesReference(Flavor flavor, Case c, FillMaskAnswer answer) {
        Checkpoint checkpoint = checkpoints.get(flavor);
        long[] ids = checkpoint.ids(c.tokens());
        ReferenceMaskedLm reference = new ReferenceMaskedLm(checkpoint);
        int maskId = engines.get(flavor).modelFolder().maskTokenId();
        int[] masks = IntStream.range(0, ids.length).filter(i -> ids[i] == maskId).toArray();
        List<List<Candidate>> rows = masks.length == 1
                ? List.of(assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, answer::toString).candidates())
                : assertInstanceOf(FillMaskAnswer.MultiMask.class, answer, answer::toString).rows();
        assertEquals(masks.length, rows.size());
        for (int m = 0; m < masks.length; m++) {
            double[] probabilities = reference.probabilities(ids, masks[m]);
            List<Integer> expectedOrder = IntStream.range(0, probabilities.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -probabilities[i])).limit(8).toList();
            List<Candidate> candidates = rows.get(m);
            assertEquals(8, candidates.size());
            for (int k = 0; k < candidates.size(); k++) {
                Candidate candidate = candidates.get(k);
                String where = flavor + " \"" + c.text() + "\" mask " + m + " rank " + k + ": " + candidate;
                assertEquals(probabilities[(int) candidate.token()], candidate.score(), SCORE_TOLERANCE, where);
                // Ranks may only swap where the reference's scores are within the tolerance of each other.
                assertEquals(probabilities[expectedOrder.get(k)], candidate.score(), SCORE_TOLERANCE, where);
            }
        }
    }

    @Test
    void xlmRobertaTargetsAndDecodingFollowThePipeline() {
        Checkpoint checkpoint = checkpoints.get(Flavor.XLM_ROBERTA);
        String s = TinyCheckpoints.SPACE_PIECE;
        Case c = cases(Flavor.XLM_ROBERTA).get(0);
        double[] p = new ReferenceMaskedLm(checkpoint).probabilities(checkpoint.ids(c.tokens()), 4);
        // "capital" and " capital" are not pieces: tokenized, both give ▁capital (so they collapse); "▁France" is a
        // piece, looked up as it is; "Paris" becomes ▁Paris.
        FillMaskAnswer answer = engines.get(Flavor.XLM_ROBERTA).predict(new FillMaskRequest(c.text(), 10,
                List.of("capital", " capital", s + "France", "Paris")));
        List<Candidate> candidates = assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, answer::toString).candidates();
        List<Candidate> expected = new ArrayList<>(List.of(
                new Candidate("Paris is the capital of France.", p[checkpoint.id(s + "capital")], checkpoint.id(s + "capital"), "capital"),
                new Candidate("Paris is the France of France.", p[checkpoint.id(s + "France")], checkpoint.id(s + "France"), "France"),
                new Candidate("Paris is the Paris of France.", p[checkpoint.id(s + "Paris")], checkpoint.id(s + "Paris"), "Paris")));
        expected.sort(Comparator.comparingDouble(x -> -x.score()));
        assertSameCandidates(expected, candidates);
    }

    @Test
    void xlmRobertaSeveralMasksKeepTheSpecialTokensInTheSequence() {
        Checkpoint checkpoint = checkpoints.get(Flavor.XLM_ROBERTA);
        FillMaskAnswer answer = engines.get(Flavor.XLM_ROBERTA).predict(
                new FillMaskRequest("The <mask> sat on the <mask>.", 1, List.of("cat")));
        List<List<Candidate>> rows = assertInstanceOf(FillMaskAnswer.MultiMask.class, answer, answer::toString).rows();
        int cat = checkpoint.id(TinyCheckpoints.SPACE_PIECE + "cat");
        // The pipeline decodes several masks without skipping special tokens; the mask takes no space before it, and
        // the clean-up (on: tokenizer_config.json does not turn it off) joins the "▁" "." after the last one.
        assertEquals("<s> The cat sat on the<mask>.</s>", rows.get(0).get(0).sequence());
        assertEquals("<s> The<mask> sat on the cat.</s>", rows.get(1).get(0).sequence());
        assertEquals(cat, rows.get(0).get(0).token());
        assertEquals("cat", rows.get(1).get(0).tokenStr());
    }

    @Test
    void robertaTargetsWithAndWithoutTheLeadingSpaceAreDifferentTokens() {
        Checkpoint checkpoint = checkpoints.get(Flavor.ROBERTA);
        String g = "\u0120";
        Case c = cases(Flavor.ROBERTA).get(0);
        double[] p = new ReferenceMaskedLm(checkpoint).probabilities(checkpoint.ids(c.tokens()), 6);
        FillMaskAnswer answer = engines.get(Flavor.ROBERTA).predict(
                new FillMaskRequest(c.text(), 5, List.of("capital", " capital")));
        List<Candidate> candidates = assertInstanceOf(FillMaskAnswer.SingleMask.class, answer, answer::toString).candidates();
        List<Candidate> expected = new ArrayList<>(List.of(
                new Candidate("The capital of France iscapital.", p[checkpoint.id("capital")], checkpoint.id("capital"), "capital"),
                new Candidate("The capital of France is capital.", p[checkpoint.id(g + "capital")], checkpoint.id(g + "capital"), " capital")));
        expected.sort(Comparator.comparingDouble(x -> -x.score()));
        assertSameCandidates(expected, candidates);
    }

    private static void assertSameCandidates(List<Candidate> expected, List<Candidate> actual) {
        assertEquals(expected.size(), actual.size(), actual::toString);
        for (int i = 0; i < expected.size(); i++) {
            Candidate e = expected.get(i);
            Candidate a = actual.get(i);
            assertEquals(e.token(), a.token(), a::toString);
            assertEquals(e.tokenStr(), a.tokenStr(), a::toString);
            assertEquals(e.sequence(), a.sequence(), a::toString);
            assertEquals(e.score(), a.score(), SCORE_TOLERANCE, a::toString);
        }
    }

    @Test
    void theFolderIsAnImportWithTheCheckpointsFilesAndItsSpecialTokensFilledIn() throws Exception {
        Path folder = engines.get(Flavor.XLM_ROBERTA).modelFolder().path();
        for (String file : List.of("model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json",
                "special_tokens_map.json", ModelFolder.MANIFEST_FILE, ModelFolder.IMPORT_MARKER_FILE)) {
            assertTrue(Files.isRegularFile(folder.resolve(file)), file);
        }
        Path hub = checkpoints.get(Flavor.XLM_ROBERTA).dir();
        assertEquals(Files.readString(hub.resolve("tokenizer.json")), Files.readString(folder.resolve("tokenizer.json")));
        assertEquals(Files.readString(hub.resolve("config.json")), Files.readString(folder.resolve("config.json")));
        // tokenizer_config.json named no special token: the mask came from special_tokens_map.json.
        ModelFolder model = engines.get(Flavor.XLM_ROBERTA).modelFolder();
        assertEquals("<mask>", model.maskToken());
        assertEquals(1, model.padTokenId());
        assertEquals(TinyCheckpoints.MAX_LENGTH, model.maxLength());
        // bert: none named anywhere, transformers' BertTokenizer defaults.
        assertEquals("[MASK]", engines.get(Flavor.BERT).modelFolder().maskToken());
        String manifest = Files.readString(engines.get(Flavor.ROBERTA).modelFolder().path().resolve(ModelFolder.MANIFEST_FILE));
        assertTrue(manifest.contains("RobertaForMaskedLM"), manifest);
        assertTrue(progress.get(Flavor.ROBERTA).contains("from 2 safetensors files"), progress.get(Flavor.ROBERTA));
    }
}
