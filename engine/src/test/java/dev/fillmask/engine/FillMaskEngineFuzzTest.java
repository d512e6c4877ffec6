package dev.fillmask.engine;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.schemas.FuzzRuns;
import dev.fillmask.engine.testing.SharedDefaultModel;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property-based fuzzing of the engine on the real default model (BERT-base-uncased), the way the job and
 * {@code predict} use it: a batch of records is decoded by the codec, the requests it accepts go to
 * {@link FillMaskEngine#predict(List)} in one call, and every answer is written with
 * {@link FillMaskCodec#writeBoundedAnswer}. Some requests skip the codec (a caller of the engine need not have one),
 * so the engine also meets values the codec would refuse.
 *
 * <p>What is expected of each request comes from how it was generated (masks counted in its text, {@code top_k}
 * against the vocabulary size the model card gives, known words as targets), not from the engine.
 *
 * <p>Each try is one batch of 1 to 12 records; the default tries keep the run under a minute on 2 cores.
 * {@code -Dfuzz.tries=N} for longer runs, {@code -Dfuzz.seed=S} to replay one (see {@link FuzzRuns}).
 */
@AddLifecycleHook(FuzzRuns.class)
class FillMaskEngineFuzzTest {
    /** bert-base-uncased's vocabulary, as its model card and config.json give it. */
    private static final int VOCAB_SIZE = 30_522;
    private static final String MASK = "[MASK]";

    /** Bounds small enough for generated requests to reach and pass each of them cheaply. */
    private static final RequestLimits LIMITS = RequestLimits.defaults()
            .withMaxRequestBytes(64 << 10).withMaxInputChars(2_000).withMaxMasks(8).withMaxTargets(50)
            .withMaxTopK(40_000).withMaxAnswerBytes(20_000);

    /** Words of the model's vocabulary: as targets they are used as they are, so the engine's choice is known. */
    private static final List<String> KNOWN_WORDS = List.of("capital", "heart", "paris", "the", "model", "fashion",
            "city", "france", "man", "woman", "car", "dog", "house", "water", "music");

    private static final List<String> WORDS = List.of("Paris", "is", "the", "capital", "of", "France", "Hello",
            "I'm", "a", "model", "The", "man", "worked", "as", ".", ",", "?", "don't", "caf\u00e9", "2024", "it's");

    private static final List<String> STRANGE = List.of("\u0301", "e\u0301", "\u0308\u0308\u0308", "\u200F",
            "\u202E", "\u05E9\u05DC\u05D5\u05DD", "\u0645\u0631\u062D\u0628\u0627", "\u200B", "\u200D", "\uFEFF",
            "\u0000", "\u0001", "\u001F", "\u007F", "\u0085", "\u2028", "\r\n", "\t", "\u00A0", "\u3000",
            "\uD83D\uDE00", "\uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD83C\uDDEB\uD83C\uDDF7",
            "1\uFE0F\u20E3", "\u6771\u4EAC", "\u0E44\u0E17\u0E22", "\u0915\u094D\u0937", "\uD835\uDD18", "\uFFFD",
            "\uFFFF", "\uE000", "\uDBFF\uDFFF", "[mask]", "[MASK", "[[MASK]]", "[MA\u200BSK]", "\uFF3B\uFF2D\uFF21\uFF33\uFF2B\uFF3D",
            "[CLS]", "[SEP]", "[PAD]", "[UNK]", "##s", "\\", "\"");

    private static final List<String> UNPAIRED = List.of("\uD800", "\uDFFF", "\uDE00\uD83D");

    private static FillMaskEngine engine;
    private static FillMaskCodec codec;

    @BeforeContainer
    static void open() {
        engine = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults().withLimits(LIMITS));
        codec = new FillMaskCodec(LIMITS);
    }

    @AfterContainer
    static void close() {
        if (engine != null) {
            engine.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ the property

    /**
     * One record as generated: its value for the codec ({@code json}), or a request handed to the engine directly
     * ({@code json} null; {@code request} may then be null too). {@code codecRefuses} names the words the codec's
     * refusal must use for a malformed value.
     */
    record Item(byte[] json, FillMaskRequest request, Set<String> codecRefuses) {
        @Override
        public String toString() {
            return json != null ? "record " + printable(new String(json, StandardCharsets.UTF_8))
                    : "direct " + (request == null ? "null" : printable(request.toString()));
        }
    }

    @Property(tries = 60, edgeCases = EdgeCasesMode.NONE)
    void everyRecordOfABatchGetsOneAnswerThatIsRightAndBounded(
            @ForAll("batches") List<Item> batch, @ForAll @IntRange(min = 2_000, max = 20_000) int smallerAnswerBound) {
        FuzzRuns.Tally tally = FuzzRuns.tally();
        tally.requests(batch.size());
        FillMaskAnswer[] answers = new FillMaskAnswer[batch.size()];
        FillMaskRequest[] reachedEngine = new FillMaskRequest[batch.size()];
        List<FillMaskRequest> toEngine = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Item item = batch.get(i);
            if (item.json() == null) {
                toEngine.add(item.request());
                at.add(i);
                continue;
            }
            DecodedRequest decoded = guarded(tally, () -> codec.readRequest(item.json()));
            if (decoded instanceof DecodedRequest.Valid valid) {
                assertTrue(item.codecRefuses().isEmpty(), () -> "accepted " + item);
                toEngine.add(valid.request());
                at.add(i);
            } else {
                String reason = ((DecodedRequest.Invalid) decoded).reason();
                assertMentionsOneOf(reason, item.codecRefuses().stream().map(List::of).toList(), item);
                answers[i] = FillMaskAnswer.error(reason);
            }
        }

        List<FillMaskAnswer> predicted = guarded(tally, () -> engine.predict(toEngine));
        assertEquals(toEngine.size(), predicted.size(), "one answer per request");
        for (int k = 0; k < predicted.size(); k++) {
            assertNotNull(predicted.get(k), "answer " + k);
            answers[at.get(k)] = predicted.get(k);
            reachedEngine[at.get(k)] = toEngine.get(k);
        }

        FillMaskCodec smaller = new FillMaskCodec(LIMITS.withMaxAnswerBytes(smallerAnswerBound));
        for (int i = 0; i < batch.size(); i++) {
            FillMaskAnswer answer = answers[i];
            Item item = batch.get(i);
            if (at.contains(i)) {
                assertRight(reachedEngine[i], answer, item);
            }
            for (FillMaskCodec writer : List.of(codec, smaller)) {
                EncodedAnswer encoded = guarded(tally, () -> writer.writeBoundedAnswer(answer));
                assertWrittenWithinBound(writer, encoded, answer, item);
                if (writer == smaller && !answer.isError()) {
                    Statistics.label("candidates written within the smaller bound")
                            .collect(encoded.isError() ? "too large" : "fit");
                }
            }
            tally.answer(answer.isError());
            Statistics.label("answer").collect(answer.isError() ? "error" : "candidates");
        }
        assertSameAnswerAlone(toEngine, predicted);
    }

    // ------------------------------------------------------------------------------------------------ checks

    private static <T> T guarded(FuzzRuns.Tally tally, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException | Error e) {
            tally.exception();
            throw e;
        }
    }

    private static void assertWrittenWithinBound(FillMaskCodec writer, EncodedAnswer encoded, FillMaskAnswer answer,
                                                 Item item) {
        int bound = writer.limits().maxAnswerBytes();
        assertTrue(encoded.json().length <= bound, () -> encoded.json().length + " bytes over " + bound + ": " + item);
        FillMaskAnswer back = writer.readAnswer(encoded.json());
        assertEquals(encoded.isError(), back.isError());
        if (back instanceof FillMaskAnswer.Error error) {
            assertFalse(error.message().isBlank(), () -> "blank error for " + item);
            if (!answer.isError()) {
                // too large for this writer's bound: the message says how large and what to lower
                assertMentionsOneOf(error.message(), List.of(List.of("bytes", "top_k", String.format(Locale.ROOT,
                        "limit of %,d", bound))), item);
            }
        } else {
            assertEquals(answer, back, () -> "read back differs: " + item);
        }
    }

    /** The answer for a request the engine saw, judged from the request alone. */
    private static void assertRight(FillMaskRequest r, FillMaskAnswer answer, Item item) {
        if (r == null) {
            assertMentionsOneOf(errorOf(answer, item), List.of(List.of("inputs")), item);
            return;
        }
        String inputs = r.inputs();
        int masks = count(inputs, MASK);
        int topK = r.topKOrDefault();
        List<List<String>> mustName = new ArrayList<>();
        if (topK < 1) {
            mustName.add(List.of("top_k"));
        }
        if (topK > VOCAB_SIZE) {
            mustName.add(List.of("top_k", "vocabulary"));
        }
        if (inputs.length() > LIMITS.maxInputChars()) {
            mustName.add(List.of("inputs", "characters"));
        }
        if (masks == 0) {
            mustName.add(List.of("no mask"));
        }
        if (masks > LIMITS.maxMasks()) {
            mustName.add(List.of("mask", "limit"));
        }
        if (r.targets() != null && r.targets().isEmpty()) {
            mustName.add(List.of("target"));
        }
        if (r.targets() != null && r.targets().size() > LIMITS.maxTargets()) {
            mustName.add(List.of("targets", "limit"));
        }
        int between = tokensBetweenMasks(inputs);
        if (between > 520) {
            mustName.add(List.of("apart"));
        }
        boolean unpaired = hasUnpairedSurrogate(inputs);
        if (!mustName.isEmpty()) {
            if (unpaired) {
                mustName.add(List.of("tokenized")); // text that is not Unicode may not reach the tokenizer at all
            }
            assertMentionsOneOf(errorOf(answer, item), mustName, item);
            Statistics.label("engine refused").collect(mustName.get(0).get(0));
            return;
        }
        if (answer instanceof FillMaskAnswer.Error error) {
            List<List<String>> mayName = new ArrayList<>();
            mayName.add(List.of("bytes", "top_k")); // the answer would be too large
            if (r.targets() != null && !r.targets().stream().anyMatch(KNOWN_WORDS::contains)) {
                mayName.add(List.of("target")); // none of them has a token
            }
            if (inputs.length() > 300 && between > 400) {
                mayName.add(List.of("mask", "apart")); // masks too far apart for one window
            }
            if (unpaired) {
                mayName.add(List.of("tokenized"));
            }
            assertMentionsOneOf(error.message(), mayName, item);
            Statistics.label("engine refused").collect("allowed: " + error.message().replaceAll("[0-9,]+", "N")
                    .substring(0, Math.min(40, error.message().length())));
            return;
        }
        Statistics.label("engine refused").collect("no");
        List<List<Candidate>> rows = answer instanceof FillMaskAnswer.MultiMask multi ? multi.rows()
                : List.of(((FillMaskAnswer.SingleMask) answer).candidates());
        if (!unpaired) {
            assertEquals(masks, rows.size(), () -> "one row per mask: " + item);
            assertEquals(masks == 1, answer instanceof FillMaskAnswer.SingleMask, () -> "one mask, one flat list: " + item);
        }
        Set<String> targets = r.targets() == null ? null : new LinkedHashSet<>(r.targets());
        boolean knownTargets = targets != null && KNOWN_WORDS.containsAll(targets);
        for (List<Candidate> row : rows) {
            if (targets == null) {
                assertEquals(Math.min(topK, VOCAB_SIZE), row.size(), () -> "top_k candidates: " + item);
            } else if (knownTargets) {
                assertEquals(Math.min(topK, targets.size()), row.size(), () -> "top_k capped by targets: " + item);
            } else {
                assertTrue(!row.isEmpty() && row.size() <= Math.min(topK, targets.size()), () -> "targets: " + item);
            }
            for (int c = 0; c < row.size(); c++) {
                Candidate candidate = row.get(c);
                assertTrue(candidate.score() >= 0 && candidate.score() <= 1, () -> "a probability: " + item);
                assertTrue(candidate.token() >= 0 && candidate.token() < VOCAB_SIZE, () -> "a token id: " + item);
                if (c > 0) {
                    assertTrue(row.get(c - 1).score() >= candidate.score(), () -> "best first: " + item);
                }
                if (knownTargets) {
                    assertTrue(targets.contains(candidate.tokenStr()), () -> "only targets: " + item);
                }
            }
        }
    }

    /** The batch and its neighbours change nothing: one of its requests answered alone gets the same answer. */
    private static void assertSameAnswerAlone(List<FillMaskRequest> toEngine, List<FillMaskAnswer> predicted) {
        if (toEngine.size() < 2) {
            return;
        }
        int pick = Math.floorMod(toEngine.hashCode(), toEngine.size());
        FillMaskAnswer alone = engine.predict(new ArrayList<>(Arrays.asList(toEngine.get(pick)))).get(0);
        FillMaskAnswer inBatch = predicted.get(pick);
        assertEquals(inBatch.getClass(), alone.getClass(), () -> "alone: " + alone + ", in the batch: " + inBatch);
        if (alone instanceof FillMaskAnswer.Error error) {
            assertEquals(error, inBatch);
            return;
        }
        List<List<Candidate>> a = alone instanceof FillMaskAnswer.MultiMask m ? m.rows()
                : List.of(((FillMaskAnswer.SingleMask) alone).candidates());
        List<List<Candidate>> b = inBatch instanceof FillMaskAnswer.MultiMask m ? m.rows()
                : List.of(((FillMaskAnswer.SingleMask) inBatch).candidates());
        assertEquals(a.size(), b.size());
        for (int r = 0; r < a.size(); r++) {
            assertEquals(a.get(r).size(), b.get(r).size());
            for (int c = 0; c < a.get(r).size(); c++) {
                Candidate x = a.get(r).get(c);
                Candidate y = b.get(r).get(c);
                assertEquals(x.score(), y.score(), 1e-4, "score alone and in a batch");
                // padding moves scores by float noise: near-ties may swap, nothing else may differ
                if (x.token() != y.token()) {
                    assertTrue(Math.abs(x.score() - y.score()) < 1e-4, () -> "alone " + x + ", in the batch " + y);
                } else {
                    assertEquals(x.sequence(), y.sequence());
                }
            }
        }
    }

    /** For inputs made of masks and "a " only (one token each), the tokens between the first and last mask; else 0. */
    private static int tokensBetweenMasks(String inputs) {
        if (!inputs.matches("\\[MASK\\]( a)* \\[MASK\\]")) {
            return 0;
        }
        return (inputs.length() - 2 * MASK.length() - 1) / 2;
    }

    private static String errorOf(FillMaskAnswer answer, Item item) {
        return assertInstanceOf(FillMaskAnswer.Error.class, answer, () -> "expected an error for " + item).message();
    }

    /** {@code message} contains every word of at least one of the groups (ignoring case). */
    private static void assertMentionsOneOf(String message, List<List<String>> groups, Item item) {
        String lower = message.toLowerCase(Locale.ROOT);
        boolean named = groups.stream().anyMatch(g -> g.stream().allMatch(w -> lower.contains(w.toLowerCase(Locale.ROOT))));
        if (!named) {
            fail("the message <" + printable(message) + "> names none of " + groups + " for " + item);
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    private static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(400).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || Character.getType(cp) == Character.FORMAT
                    || Character.getType(cp) == Character.SURROGATE || cp == 0x2028 || cp == 0x2029) {
                out.append(String.format(Locale.ROOT, "\\u%04X", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return s.length() > 400 ? out + "... (" + s.length() + " chars)" : out.toString();
    }

    // ------------------------------------------------------------------------------------------------ generators

    private static Arbitrary<String> text(int maxPieces, int unpairedWeight) {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(12, Arbitraries.of(WORDS)),
                Tuple.of(6, Arbitraries.of(" ", " ", " ", "  ")),
                Tuple.of(4, Arbitraries.just(MASK)),
                Tuple.of(4, Arbitraries.of(STRANGE)),
                Tuple.of(1, Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                        .map(Character::toString)),
                Tuple.of(unpairedWeight, Arbitraries.of(UNPAIRED)));
        return piece.list().ofMaxSize(maxPieces).map(pieces -> String.join("", pieces));
    }

    private static Arbitrary<String> inputs(int unpairedWeight) {
        Arbitrary<String> masks = Arbitraries.integers().between(0, 12).map(MASK::repeat);
        Arbitrary<String> longText = Combinators.combine(text(20, 0), Arbitraries.integers().between(5, 40), text(6, 0))
                .as((t, times, tail) -> (t + " ").repeat(times) + tail + MASK);
        // a mask put anywhere: at the start, the end, inside a word or beside another mask
        Arbitrary<String> withMask = Combinators.combine(text(25, unpairedWeight), Arbitraries.doubles().between(0, 1))
                .as((t, where) -> {
                    int at = t.offsetByCodePoints(0, (int) Math.round(where * t.codePointCount(0, t.length())));
                    return t.substring(0, at) + MASK + t.substring(at);
                });
        // one token between the masks per "a "; BERT's window holds 512 tokens with [CLS] and [SEP]
        Arbitrary<String> apart = Arbitraries.integers().between(300, 800).map(n -> MASK + " " + "a ".repeat(n) + MASK);
        return Arbitraries.frequencyOf(
                Tuple.of(14, withMask),
                Tuple.of(6, text(25, unpairedWeight)),
                Tuple.of(2, masks),
                Tuple.of(2, longText),
                Tuple.of(1, apart));
    }

    private static Arbitrary<Integer> topK(boolean pastCodecBounds) {
        List<Tuple.Tuple2<Integer, Arbitrary<Integer>>> choices = new ArrayList<>(List.of(
                Tuple.of(6, Arbitraries.just(null)),
                Tuple.of(8, Arbitraries.integers().between(1, 10)),
                Tuple.of(2, Arbitraries.integers().between(11, 400)),
                Tuple.of(2, Arbitraries.of(1, VOCAB_SIZE - 1, VOCAB_SIZE, VOCAB_SIZE + 1, LIMITS.maxTopK()))));
        if (pastCodecBounds) {
            choices.add(Tuple.of(2, Arbitraries.of(0, -1, Integer.MIN_VALUE, LIMITS.maxTopK() + 1, Integer.MAX_VALUE)));
        }
        return Arbitraries.frequencyOf(choices);
    }

    private static Arbitrary<List<String>> targets(boolean pastCodecBounds) {
        Arbitrary<String> known = Arbitraries.of(KNOWN_WORDS);
        Arbitrary<String> any = Arbitraries.frequencyOf(Tuple.of(3, known), Tuple.of(2, text(3, 0)),
                Tuple.of(1, Arbitraries.of("", " ", "\u200B", "\u0000", "Capital", "PARIS", "unbelievable", "[MASK]",
                        "##ing", "\uD83D\uDE00", "\u6771")));
        List<Tuple.Tuple2<Integer, Arbitrary<List<String>>>> choices = new ArrayList<>(List.of(
                Tuple.of(10, Arbitraries.just(null)),
                Tuple.of(1, Arbitraries.just(List.of())),
                Tuple.of(4, known.list().ofMinSize(1).ofMaxSize(6)),
                Tuple.of(3, any.list().ofMinSize(1).ofMaxSize(6)),
                Tuple.of(1, known.list().ofSize(LIMITS.maxTargets()))));
        if (pastCodecBounds) {
            choices.add(Tuple.of(1, known.list().ofSize(LIMITS.maxTargets() + 1)));
        }
        return Arbitraries.frequencyOf(choices);
    }

    private static Arbitrary<FillMaskRequest> requests(boolean pastCodecBounds) {
        return Combinators.combine(inputs(pastCodecBounds ? 2 : 0), topK(pastCodecBounds), targets(pastCodecBounds))
                .as(FillMaskRequest::new);
    }

    /** Values the codec must refuse, each with the words its refusal must use (one of them). */
    private static Arbitrary<Item> malformed() {
        Arbitrary<Item> templates = Arbitraries.of(
                new String[] {"{\"inputs\": 42}", "inputs"},
                new String[] {"{\"inputs\": [\"a [MASK]\"]}", "inputs"},
                new String[] {"{\"parameters\": {\"top_k\": 3}}", "inputs"},
                new String[] {"{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": NaN}}", "JSON"},
                new String[] {"{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 2.5}}", "top_k"},
                new String[] {"{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": \"5\"}}", "top_k"},
                new String[] {"{\"inputs\": \"a [MASK]\", \"parameters\": {\"targets\": [1]}}", "targets"},
                new String[] {"{\"inputs\": \"a \\uD800[MASK]\"}", "inputs"},
                new String[] {"{\"inputs\": \"a [MASK]\"", "JSON"},
                new String[] {"{\"inputs\": \"a [MASK]\"} {}", "JSON"},
                new String[] {"[MASK]", "JSON"},
                new String[] {"", "empty"}
        ).map(t -> new Item(t[0].getBytes(StandardCharsets.UTF_8), null, Set.of(t[1])));
        Arbitrary<Item> badUtf8 = Combinators.combine(requests(false), Arbitraries.of((byte) 0xFF, (byte) 0x80, (byte) 0xC3))
                .as((r, bad) -> {
                    byte[] json = codec().writeRequest(r);
                    byte[] out = Arrays.copyOf(json, json.length + 1);
                    System.arraycopy(json, 12, out, 13, json.length - 12); // inside `inputs`, after {"inputs":"
                    out[12] = bad;
                    return new Item(out, null, Set.of("UTF-8"));
                });
        return Arbitraries.oneOf(templates, badUtf8);
    }

    private static FillMaskCodec codec() {
        return new FillMaskCodec(LIMITS);
    }

    @Provide
    Arbitrary<List<Item>> batches() {
        Arbitrary<Item> viaCodec = requests(false).map(r -> new Item(codec().writeRequest(r), null,
                r.inputs().length() > LIMITS.maxInputChars() ? Set.of("inputs") : Set.of()));
        Arbitrary<Item> direct = requests(true).map(r -> new Item(null, r, Set.of()));
        Arbitrary<Item> item = Arbitraries.frequencyOf(
                Tuple.of(16, viaCodec),
                Tuple.of(4, direct),
                Tuple.of(2, malformed()),
                Tuple.of(1, Arbitraries.just(new Item(null, null, Set.of()))));
        return item.list().ofMinSize(1).ofMaxSize(12);
    }
}
