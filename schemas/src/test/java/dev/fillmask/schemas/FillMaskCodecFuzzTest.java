package dev.fillmask.schemas;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.schemas.FuzzText.Escapes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based fuzzing of the codec: generated requests (every JSON shape and type, duplicate keys, non-numbers,
 * huge numbers, deep nesting, invalid UTF-8, strange Unicode, fields at and past each bound of generated
 * {@link RequestLimits}) and generated answers. The expected outcome of each request comes from how it was generated
 * (which defects were put in), not from the codec.
 *
 * <p>Every request gets exactly one answer: the codec's error, or, for a request it accepts, the answer a stand-in
 * model would give (the input repeated in every candidate, so long inputs and large {@code top_k} reach the answer
 * bound). Every answer is written with {@link FillMaskCodec#writeBoundedAnswer}, must fit the bound and must read back.
 *
 * <p>{@code -Dfuzz.tries=N} for longer runs, {@code -Dfuzz.seed=S} to replay one (see {@link FuzzRuns}).
 */
@AddLifecycleHook(FuzzRuns.class)
class FillMaskCodecFuzzTest {

    /** A stand-in model answers at most this many candidates per mask, so that a try stays cheap. */
    private static final int STAND_IN_MAX_CANDIDATES = 120;

    private static final ObjectMapper REFERENCE_JSON = new ObjectMapper();

    // ------------------------------------------------------------------------------------------------ properties

    @Property(tries = 2_000, edgeCases = EdgeCasesMode.NONE)
    void everyGeneratedRequestGetsTheExpectedDecisionAndOneBoundedAnswer(@ForAll("requests") Spec spec) {
        FuzzRuns.Tally tally = FuzzRuns.tally();
        tally.requests(1);
        FillMaskCodec codec = new FillMaskCodec(spec.limits());
        DecodedRequest decoded = guarded(tally, () -> codec.readRequest(spec.bytes()));

        Statistics.label("expected").collect(spec.defects().isEmpty() ? "accepted"
                : "refused: " + spec.defects().stream().sorted().findFirst().orElseThrow());
        if (spec.defects().isEmpty()) {
            assertEquals(new DecodedRequest.Valid(spec.expected()), decoded, spec::toString);
        } else {
            String reason = assertInstanceOf(DecodedRequest.Invalid.class, decoded, spec::toString).reason();
            List<String> named = spec.defects().stream()
                    .filter(word -> reason.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT))).toList();
            assertFalse(named.isEmpty(), () -> "the reason <" + reason + "> names none of " + spec.defects() + ": " + spec);
        }
        assertWithinBounds(decoded, spec.limits());
        assertSameAsJsonlLine(codec, spec.bytes(), decoded);
        answer(codec, decoded, tally);
    }

    @Property(tries = 1_000, edgeCases = EdgeCasesMode.NONE)
    void arbitraryBytesNeverThrowAndAreAnsweredOnce(@ForAll("records") byte[] value, @ForAll("limits") RequestLimits limits) {
        FuzzRuns.Tally tally = FuzzRuns.tally();
        tally.requests(1);
        FillMaskCodec codec = new FillMaskCodec(limits);
        DecodedRequest decoded = guarded(tally, () -> codec.readRequest(value));
        assertNotNull(decoded);
        if (decoded instanceof DecodedRequest.Invalid invalid) {
            assertFalse(invalid.reason().isBlank());
        }
        if (value.length > limits.maxRequestBytes()) {
            assertReasonMentions(decoded, "bytes");
        } else if (value.length > 0 && !isUtf8(value)) {
            assertReasonMentions(decoded, "UTF-8");
        }
        assertWithinBounds(decoded, limits);
        assertSameAsJsonlLine(codec, value, decoded);
        answer(codec, decoded, tally);
    }

    @Property(tries = 1_000)
    void everyAnswerIsWrittenWithinTheBoundAndReadsBack(@ForAll("answers") FillMaskAnswer answer,
                                                        @ForAll @IntRange(min = 2_000, max = 20_000) int maxAnswerBytes) {
        FuzzRuns.Tally tally = FuzzRuns.tally();
        tally.requests(1);
        FillMaskCodec codec = new FillMaskCodec(RequestLimits.defaults().withMaxAnswerBytes(maxAnswerBytes));
        EncodedAnswer encoded = guarded(tally, () -> codec.writeBoundedAnswer(answer));
        tally.answer(encoded.isError());
        assertTrue(encoded.json().length <= maxAnswerBytes,
                () -> encoded.json().length + " bytes, more than the bound of " + maxAnswerBytes);
        FillMaskAnswer back = codec.readAnswer(encoded.json());
        long size = referenceSize(answer);
        if (answer.isError()) {
            assertEquals(answer, back);
        } else if (hasUnpairedSurrogate(answer)) {
            // written as '?', one byte where the reference writer counts another size: only the outcome's form is sure
            if (back instanceof FillMaskAnswer.Error error) {
                assertTrue(error.message().contains("top_k"), error::message);
            } else {
                assertEquals(withUnpairedSurrogatesReplaced(answer), back);
            }
        } else if (size > maxAnswerBytes) {
            assertTooLarge(back, size, maxAnswerBytes);
        } else {
            assertNull(encoded.error());
            assertEquals(withUnpairedSurrogatesReplaced(answer), back);
        }
    }

    /** Found by the fuzz: a refusal quoting a string echoed its unpaired surrogate, which no UTF-8 can carry. */
    @Example
    void aRefusalQuotingAStringIsValidUnicode() {
        FillMaskCodec codec = new FillMaskCodec();
        String emoji = "\uD83D\uDE00";
        for (String json : List.of("\"\\uD800\"", "{\"inputs\":\"\\uDC00x\\uD800\"}",
                "{\"inputs\":\"[MASK]\",\"parameters\":\"" + "x".repeat(39) + emoji + "\"}",
                // Found by the fuzz in CI: Jackson's "Unexpected character" quotes half of an emoji.
                "{\"inputs\": " + emoji + "}")) {
            String reason = assertInstanceOf(DecodedRequest.Invalid.class, codec.readRequest(json)).reason();
            assertFalse(FuzzText.hasUnpairedSurrogate(reason), reason);
            FillMaskAnswer answer = FillMaskAnswer.error(reason);
            assertEquals(answer, codec.readAnswer(codec.writeBoundedAnswer(answer).json()));
        }
        String reason = ((DecodedRequest.Invalid) codec.readRequest("\"\\uD800\"")).reason();
        assertTrue(reason.contains("\\uD800"), reason);
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

    /** What every accepted request satisfies, whatever it looked like: each bound holds, the text is Unicode. */
    private static void assertWithinBounds(DecodedRequest decoded, RequestLimits limits) {
        if (!(decoded instanceof DecodedRequest.Valid valid)) {
            return;
        }
        FillMaskRequest r = valid.request();
        assertTrue(r.inputs().length() <= limits.maxInputChars(), "inputs within maxInputChars");
        assertFalse(FuzzText.hasUnpairedSurrogate(r.inputs()), "inputs is Unicode");
        if (r.topK() != null) {
            assertTrue(r.topK() >= 1 && r.topK() <= limits.maxTopK(), () -> "top_k " + r.topK() + " within bounds");
        }
        if (r.targets() != null) {
            assertTrue(r.targets().size() <= limits.maxTargets(), "targets within maxTargets");
            r.targets().forEach(t -> assertFalse(FuzzText.hasUnpairedSurrogate(t), "targets are Unicode"));
        }
    }

    /** A JSONL line (the {@code predict} path) and a record value (the job's path) are read alike. */
    private static void assertSameAsJsonlLine(FillMaskCodec codec, byte[] value, DecodedRequest fromBytes) {
        if (value.length > 0 && isUtf8(value)) {
            DecodedRequest fromLine = codec.readRequest(new String(value, StandardCharsets.UTF_8));
            assertEquals(fromBytes, fromLine, "readRequest(String) and readRequest(byte[]) disagree");
        }
    }

    private static void assertReasonMentions(DecodedRequest decoded, String word) {
        String reason = assertInstanceOf(DecodedRequest.Invalid.class, decoded).reason();
        assertTrue(reason.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                () -> "expected <" + word + "> in <" + reason + ">");
    }

    /** The one answer a decoded request gets here: the codec's error, or the stand-in model's answer. */
    private static void answer(FillMaskCodec codec, DecodedRequest decoded, FuzzRuns.Tally tally) {
        FillMaskAnswer answer = decoded instanceof DecodedRequest.Invalid invalid
                ? FillMaskAnswer.error(invalid.reason())
                : standIn(((DecodedRequest.Valid) decoded).request());
        EncodedAnswer encoded = guarded(tally, () -> codec.writeBoundedAnswer(answer));
        tally.answer(encoded.isError());
        int bound = codec.limits().maxAnswerBytes();
        assertTrue(encoded.json().length <= bound,
                () -> encoded.json().length + " bytes, more than the bound of " + bound + ": " + answer);
        FillMaskAnswer back = codec.readAnswer(encoded.json());
        if (answer.isError()) {
            assertEquals(answer, back);
            assertFalse(((FillMaskAnswer.Error) back).message().isBlank());
            return;
        }
        long size = referenceSize(answer);
        if (size > bound) {
            assertTooLarge(back, size, bound);
        } else {
            assertEquals(answer, back);
        }
    }

    private static void assertTooLarge(FillMaskAnswer back, long size, int bound) {
        String message = assertInstanceOf(FillMaskAnswer.Error.class, back, "an answer over the bound").message();
        for (String part : List.of(String.format(Locale.ROOT, "%,d bytes", size),
                String.format(Locale.ROOT, "limit of %,d bytes", bound), "top_k")) {
            assertTrue(message.contains(part), () -> "expected <" + part + "> in <" + message + ">");
        }
    }

    /**
     * What a model would answer, shaped like the engine's answers: per mask, candidates that each carry the whole
     * input with that mask filled in. Not a model: only the answer's shape and size matter here.
     */
    private static FillMaskAnswer standIn(FillMaskRequest request) {
        String inputs = request.inputs();
        int masks = FuzzText.count(inputs, FuzzText.MASK);
        if (masks == 0) {
            return FillMaskAnswer.error("No mask_token (" + FuzzText.MASK + ") found on the input");
        }
        int candidates = Math.min(request.topKOrDefault(), STAND_IN_MAX_CANDIDATES);
        List<List<Candidate>> rows = new ArrayList<>(masks);
        for (int m = 0; m < masks; m++) {
            List<Candidate> row = new ArrayList<>(candidates);
            for (int c = 0; c < candidates; c++) {
                String word = FuzzText.WORDS.get(c % FuzzText.WORDS.size());
                row.add(new Candidate(fillMask(inputs, m, word), 1.0 / (c + 2), c, word));
            }
            rows.add(row);
        }
        return FillMaskAnswer.ofRows(rows);
    }

    private static String fillMask(String inputs, int mask, String word) {
        int at = -1;
        for (int m = 0; m <= mask; m++) {
            at = inputs.indexOf(FuzzText.MASK, at + 1);
        }
        return inputs.substring(0, at) + word + inputs.substring(at + FuzzText.MASK.length());
    }

    /** The answer's JSON size written by a plain Jackson mapper, not by the codec. */
    private static long referenceSize(FillMaskAnswer answer) {
        Object tree;
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            tree = row(single.candidates());
        } else if (answer instanceof FillMaskAnswer.MultiMask multi) {
            tree = multi.rows().stream().map(FillMaskCodecFuzzTest::row).toList();
        } else {
            tree = Map.of("error", ((FillMaskAnswer.Error) answer).message());
        }
        try {
            return REFERENCE_JSON.writeValueAsString(tree).getBytes(StandardCharsets.UTF_8).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Map<String, Object>> row(List<Candidate> candidates) {
        return candidates.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequence", c.sequence());
            m.put("score", c.score());
            m.put("token", c.token());
            m.put("token_str", c.tokenStr());
            return m;
        }).toList();
    }

    private static boolean hasUnpairedSurrogate(FillMaskAnswer answer) {
        List<List<Candidate>> rows = answer instanceof FillMaskAnswer.SingleMask single ? List.of(single.candidates())
                : answer instanceof FillMaskAnswer.MultiMask multi ? multi.rows() : List.of();
        return rows.stream().flatMap(List::stream).anyMatch(c ->
                FuzzText.hasUnpairedSurrogate(c.sequence()) || FuzzText.hasUnpairedSurrogate(c.tokenStr()));
    }

    private static FillMaskAnswer withUnpairedSurrogatesReplaced(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            return new FillMaskAnswer.SingleMask(replaced(single.candidates()));
        }
        if (answer instanceof FillMaskAnswer.MultiMask multi) {
            return new FillMaskAnswer.MultiMask(multi.rows().stream().map(FillMaskCodecFuzzTest::replaced).toList());
        }
        return answer;
    }

    private static List<Candidate> replaced(List<Candidate> row) {
        return row.stream().map(c -> new Candidate(replaced(c.sequence()), c.score(), c.token(), replaced(c.tokenStr())))
                .toList();
    }

    private static String replaced(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '?' : c);
            }
        }
        return out.toString();
    }

    private static boolean isUtf8(byte[] value) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------------------ generators

    /**
     * One generated request: its bytes, the limits it is read with, what it must decode to when it has no defect,
     * and otherwise the words of which the refusal must use at least one.
     */
    record Spec(RequestLimits limits, byte[] bytes, FillMaskRequest expected, Set<String> defects) {
        @Override
        public String toString() {
            String shown = new String(bytes, StandardCharsets.UTF_8);
            if (shown.length() > 600) {
                shown = shown.substring(0, 600) + "... (" + bytes.length + " bytes)";
            }
            return "request " + shown + " with " + limits + ", expected " + (defects.isEmpty() ? expected : defects);
        }
    }

    /**
     * A JSON value as written, what it reads as when it has no defect, and the words that name its defects (empty
     * when none). {@code json} null: the member is left out.
     */
    record Part(String json, Object value, Set<String> defects) {
        static Part absent() {
            return new Part(null, null, Set.of());
        }

        static Part of(String json, Object value) {
            return new Part(json, value, Set.of());
        }

        static Part bad(String json, String... defects) {
            return new Part(json, null, Set.of(defects));
        }
    }

    /** Where a request goes wrong outside its fields: its bytes, its framing. */
    record Damage(int boms, String whitespace, String trailing, byte[] badUtf8, double at, double cut) {}

    @Provide
    Arbitrary<RequestLimits> limits() {
        return Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.integers().between(1, 400)),
                        Tuple.of(12, Arbitraries.integers().between(2_000, 65_536))),
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.integers().between(1, 40)),
                        Tuple.of(8, Arbitraries.integers().between(300, 4_000))),
                Arbitraries.integers().between(1, 12),
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(Integer.MAX_VALUE)),
                        Tuple.of(1, Arbitraries.integers().between(1, 50_000))),
                Arbitraries.integers().between(2_000, 20_000)
        ).as((bytes, chars, targets, topK, answer) ->
                new RequestLimits(bytes, chars, RequestLimits.DEFAULT_MAX_MASKS, targets, topK, answer));
    }

    @Provide
    Arbitrary<Spec> requests() {
        return limits().flatMap(limits -> Combinators.combine(
                inputs(limits), parameters(limits), unknownMembers(1, true), damage(),
                Arbitraries.of(false, false, true), // `inputs` written twice, the last one counting
                jsonValue(), Arbitraries.of(false, true)
        ).as((inputs, parameters, extras, damage, duplicateInputs, junk, parametersFirst) ->
                build(limits, inputs, parameters, extras, damage, duplicateInputs, junk, parametersFirst)));
    }

    private static Spec build(RequestLimits limits, Part inputs, Part parameters, List<Part> extras, Damage damage,
                              boolean duplicateInputs, String junk, boolean parametersFirst) {
        String ws = damage.whitespace();
        List<String> members = new ArrayList<>();
        Set<String> defects = new LinkedHashSet<>();
        for (Part extra : extras) {
            members.add(extra.json());
            defects.addAll(extra.defects());
        }
        List<String> known = new ArrayList<>();
        if (inputs.json() != null) {
            if (duplicateInputs) {
                known.add("\"inputs\"" + ws + ":" + ws + junk);
            }
            known.add("\"inputs\"" + ws + ":" + ws + inputs.json());
        }
        if (parameters.json() != null) {
            known.add(parametersFirst ? 0 : known.size(), "\"parameters\"" + ws + ":" + ws + parameters.json());
        }
        members.addAll(members.size() / 2, known);
        defects.addAll(inputs.defects());
        defects.addAll(parameters.defects());
        String json = ws + "{" + ws + String.join("," + ws, members) + ws + "}" + ws + damage.trailing();
        if (!damage.trailing().isEmpty()) {
            defects.add("JSON");
        }

        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (damage.cut() < 1.0) {
            // up to the closing brace at most: what is left is never a whole object
            int keep = (int) (json.substring(0, json.lastIndexOf('}')).getBytes(StandardCharsets.UTF_8).length
                    * damage.cut());
            bytes = java.util.Arrays.copyOf(bytes, keep);
            defects.addAll(Set.of("JSON", "UTF-8", "empty"));
        }
        if (damage.badUtf8().length > 0) {
            bytes = insertAtCharBoundary(bytes, damage.badUtf8(), damage.at());
            defects.add("UTF-8");
        }
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        for (int i = 0; i < damage.boms(); i++) {
            bytes = concat(bom, bytes);
        }
        if (damage.boms() > 1) {
            defects.add("JSON");
        }
        // Checked before anything else is looked at, so these name the problem alone.
        if (bytes.length > limits.maxRequestBytes()) {
            defects.clear();
            defects.add("bytes");
        } else if (damage.badUtf8().length > 0) {
            defects.clear();
            defects.add("UTF-8");
        }
        FillMaskRequest expected = null;
        if (defects.isEmpty()) {
            Object[] p = (Object[]) parameters.value();
            @SuppressWarnings("unchecked")
            List<String> targets = p == null ? null : (List<String>) p[1];
            expected = new FillMaskRequest((String) inputs.value(), p == null ? null : (Integer) p[0], targets);
        }
        return new Spec(limits, bytes, expected, Set.copyOf(defects));
    }

    private static byte[] insertAtCharBoundary(byte[] bytes, byte[] insert, double at) {
        int[] boundaries = IntStream.rangeClosed(0, bytes.length)
                .filter(i -> i == bytes.length || (bytes[i] & 0xC0) != 0x80).toArray();
        int pos = boundaries[Math.min(boundaries.length - 1, (int) (at * boundaries.length))];
        byte[] out = new byte[bytes.length + insert.length];
        System.arraycopy(bytes, 0, out, 0, pos);
        System.arraycopy(insert, 0, out, pos, insert.length);
        System.arraycopy(bytes, pos, out, pos + insert.length, bytes.length - pos);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Arbitrary<Escapes> escapes() {
        return Arbitraries.of(Escapes.class);
    }

    private static Arbitrary<String> longText() {
        return Combinators.combine(FuzzText.text(12, 0), Arbitraries.integers().between(2, 60))
                .as((t, times) -> t.repeat(times));
    }

    private static Arbitrary<Part> inputs(RequestLimits limits) {
        Arbitrary<String> text = Arbitraries.frequencyOf(
                Tuple.of(20, FuzzText.text(30, 0)),
                Tuple.of(1, FuzzText.text(20, 3)),
                Tuple.of(1, longText()));
        return Arbitraries.frequencyOf(
                Tuple.of(14, Combinators.combine(text, escapes()).as((t, e) -> {
                    boolean bad = t.length() > limits.maxInputChars() || FuzzText.hasUnpairedSurrogate(t);
                    return bad ? Part.bad(FuzzText.quote(t, e), "inputs") : Part.of(FuzzText.quote(t, e), t);
                })),
                Tuple.of(1, jsonValue().filter(v -> !v.startsWith("\"")).map(v -> Part.bad(v, "inputs"))),
                Tuple.of(1, Arbitraries.just(Part.bad(null, "inputs"))));
    }

    private static Arbitrary<Part> parameters(RequestLimits limits) {
        Arbitrary<Part> object = Combinators.combine(topK(limits), targets(limits), unknownMembers(2, false),
                Arbitraries.of(false, true)).as((topK, targets, extras, topKFirst) -> {
            List<String> members = new ArrayList<>();
            Set<String> defects = new LinkedHashSet<>();
            extras.forEach(e -> {
                members.add(e.json());
                defects.addAll(e.defects());
            });
            int known = members.size();
            if (topK.json() != null) {
                members.add(topKFirst ? known : members.size(), "\"top_k\":" + topK.json());
            }
            if (targets.json() != null) {
                members.add("\"targets\":" + targets.json());
            }
            defects.addAll(topK.defects());
            defects.addAll(targets.defects());
            return new Part("{" + String.join(",", members) + "}", new Object[] {topK.value(), targets.value()},
                    Set.copyOf(defects));
        });
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(Part.absent())),
                Tuple.of(1, Arbitraries.just(Part.of("null", null))),
                Tuple.of(12, object),
                Tuple.of(1, jsonValue().filter(v -> !v.startsWith("{") && !v.equals("null"))
                        .map(v -> Part.bad(v, "parameters"))));
    }

    private static Arbitrary<Part> topK(RequestLimits limits) {
        int max = limits.maxTopK();
        Arbitrary<Integer> inRange = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(1, Math.min(max, 50))),
                Tuple.of(1, Arbitraries.integers().between(1, max)),
                Tuple.of(1, Arbitraries.of(1, max)));
        List<Tuple.Tuple2<Integer, Arbitrary<Part>>> choices = new ArrayList<>(List.of(
                Tuple.of(6, Arbitraries.just(Part.absent())),
                Tuple.of(1, Arbitraries.just(Part.of("null", null))),
                Tuple.of(16, inRange.map(k -> Part.of(k.toString(), k))),
                Tuple.of(2, Arbitraries.of("0", "-0", "-1", "-2147483648", "2147483648", "9223372036854775808",
                        "-9223372036854775809", "1" + "0".repeat(30), "5.0", "5e0", "1E2", "2.5", "-1.5", "1e400",
                        "0.0", "\"5\"", "true", "false", "[5]", "[]", "{}", "{\"value\":5}").map(v -> Part.bad(v, "top_k"))),
                Tuple.of(1, jsonValue().filter(v -> !v.equals("null")).map(v -> Part.bad(v, "top_k"))),
                Tuple.of(1, Arbitraries.of("NaN", "Infinity", "-Infinity", "+5", "05", ".5", "0x10", "5.", "1e",
                        "--1", "'5'").map(v -> Part.bad(v, "JSON"))),
                Tuple.of(1, Arbitraries.integers().between(990, 1_010)
                        .map(n -> Part.bad("7".repeat(n), n > FillMaskCodec.MAX_NUMBER_LENGTH ? "number" : "top_k")))));
        if (max < Integer.MAX_VALUE) {
            choices.add(Tuple.of(2, Arbitraries.longs().between(max + 1L, max + 100_000L)
                    .map(k -> Part.bad(k.toString(), "top_k"))));
        }
        return Arbitraries.frequencyOf(choices);
    }

    private static Arbitrary<Part> targets(RequestLimits limits) {
        int max = limits.maxTargets();
        Arbitrary<String> target = Arbitraries.frequencyOf(Tuple.of(30, FuzzText.text(4, 0)), Tuple.of(1, FuzzText.text(3, 4)));
        Arbitrary<List<String>> list = Arbitraries.frequencyOf(
                Tuple.of(8, target.list().ofMaxSize(Math.min(max, 6))),
                Tuple.of(1, target.list().ofMinSize(max).ofMaxSize(max + 2)));
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(Part.absent())),
                Tuple.of(1, Arbitraries.just(Part.of("null", null))),
                Tuple.of(3, Combinators.combine(target, escapes()).as((t, e) -> FuzzText.hasUnpairedSurrogate(t)
                        ? Part.bad(FuzzText.quote(t, e), "targets") : Part.of(FuzzText.quote(t, e), List.of(t)))),
                Tuple.of(8, Combinators.combine(list, escapes()).as((ts, e) -> {
                    String json = "[" + String.join(",", ts.stream().map(t -> FuzzText.quote(t, e)).toList()) + "]";
                    boolean bad = ts.size() > max || ts.stream().anyMatch(FuzzText::hasUnpairedSurrogate);
                    return bad ? Part.bad(json, "targets") : Part.of(json, ts);
                })),
                Tuple.of(1, Combinators.combine(list, jsonValue().filter(v -> !v.startsWith("\"")),
                        Arbitraries.integers().between(0, 6)).as((ts, odd, at) -> {
                    List<String> elements = new ArrayList<>(ts.stream().map(t -> FuzzText.quote(t, Escapes.MINIMAL)).toList());
                    elements.add(Math.min(at, elements.size()), odd);
                    return Part.bad("[" + String.join(",", elements) + "]", "targets");
                })),
                Tuple.of(1, jsonValue().filter(v -> !v.startsWith("\"") && !v.startsWith("[") && !v.equals("null"))
                        .map(v -> Part.bad(v, "targets"))));
    }

    /**
     * Members the codec must ignore, and members too deep or too long for its parser, in an object at nesting
     * {@code level} (the request itself is level 1); {@code root} adds names that are fields only inside parameters.
     */
    private static Arbitrary<List<Part>> unknownMembers(int level, boolean root) {
        List<String> names = new ArrayList<>(List.of("extra", "Inputs", "INPUTS", "input", "parameter", "TOP_K",
                "topK", "target", "", "\\u0000", "inputs\\u200B", "\uD83D\uDE00"));
        if (root) {
            names.addAll(List.of("top_k", "targets"));
        }
        Arbitrary<String> name = Arbitraries.of(names);
        Arbitrary<Part> ignored = Combinators.combine(name, jsonValue())
                .as((n, v) -> Part.of("\"" + n + "\":" + v, null));
        Arbitrary<Part> deep = Arbitraries.integers().between(1, FillMaskCodec.MAX_NESTING_DEPTH + 4)
                .map(d -> new Part("\"deep\":" + "[".repeat(d) + "]".repeat(d), null,
                        level + d > FillMaskCodec.MAX_NESTING_DEPTH ? Set.of("nesting") : Set.of()));
        Arbitrary<Part> longNumber = Arbitraries.integers().between(990, 1_010)
                .map(n -> new Part("\"n\":" + "9".repeat(n), null,
                        n > FillMaskCodec.MAX_NUMBER_LENGTH ? Set.of("number") : Set.of()));
        return Arbitraries.frequencyOf(Tuple.of(30, ignored), Tuple.of(1, deep), Tuple.of(1, longNumber))
                .list().ofMaxSize(2);
    }

    private static Arbitrary<Damage> damage() {
        Arbitrary<byte[]> badUtf8 = Arbitraries.frequencyOf(
                Tuple.of(40, Arbitraries.just(new byte[0])),
                Tuple.of(1, Arbitraries.of(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0x80},
                        new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xC0, (byte) 0xAF},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                        new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, new byte[] {(byte) 0xE2, (byte) 0x82})));
        return Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(26, Arbitraries.just(0)), Tuple.of(3, Arbitraries.just(1)),
                        Tuple.of(1, Arbitraries.just(2))),
                Arbitraries.of("", "", " ", "\n", "\t ", "\r\n  "),
                Arbitraries.frequencyOf(Tuple.of(50, Arbitraries.just("")),
                        Tuple.of(1, Arbitraries.of("x", "{}", "]", "0", "\"a\"", "\u00A0", "\u2028"))),
                badUtf8,
                Arbitraries.doubles().between(0, 1),
                Arbitraries.frequencyOf(Tuple.of(50, Arbitraries.just(1.0)), Tuple.of(1, Arbitraries.doubles().between(0, 0.999).ofScale(4)))
        ).as(Damage::new);
    }

    /** Any JSON value, up to three levels deep; strings include escapes and an unpaired surrogate. */
    static Arbitrary<String> jsonValue() {
        Arbitrary<String> scalar = Arbitraries.of("null", "true", "false", "0", "-1", "-42", "1.5e300", "1e-400",
                "123456789012345678901234567890", "-0.0", "\"\"", "\"x\"", "\"\\uD83D\\uDE00\"", "\"\\u0000\"",
                "\"\\uD800\"", "\"[MASK]\"");
        return Arbitraries.recursive(() -> scalar, inner -> Arbitraries.oneOf(
                inner,
                inner.list().ofMaxSize(3).map(l -> "[" + String.join(",", l) + "]"),
                inner.list().ofMaxSize(3).map(l -> "{" + String.join(",",
                        IntStream.range(0, l.size()).mapToObj(i -> "\"k" + i + "\":" + l.get(i)).toList()) + "}")), 0, 3);
    }

    @Provide
    Arbitrary<byte[]> records() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(80);
        Arbitrary<byte[]> mutated = Combinators.combine(requests(), Arbitraries.integers().between(0, 1 << 20).list()
                .ofMinSize(1).ofMaxSize(6), Arbitraries.bytes().list().ofMinSize(6).ofMaxSize(6)).as((spec, at, b) -> {
            byte[] value = spec.bytes().clone();
            for (int i = 0; i < at.size() && value.length > 0; i++) {
                int pos = at.get(i) % value.length;
                switch (at.get(i) % 3) {
                    case 0 -> value[pos] = b.get(i);
                    case 1 -> value = java.util.Arrays.copyOf(value, pos);
                    default -> value = insertAtCharBoundary(value, new byte[] {b.get(i)}, pos / (double) value.length);
                }
            }
            return value;
        });
        Arbitrary<byte[]> values = jsonValue().map(v -> v.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> pathological = Arbitraries.integers().between(60, 70).flatMap(n -> Arbitraries.of(
                "[".repeat(n) + "]".repeat(n), "{\"a\":".repeat(n) + "1" + "}".repeat(n), "[".repeat(n),
                "{\"inputs\":\"[MASK]\",\"x\":" + "[".repeat(n) + "]".repeat(n) + "}",
                "{\"inputs\":\"[MASK]\",\"parameters\":{\"targets\":" + "[".repeat(n) + "]".repeat(n) + "}}"))
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(Tuple.of(3, random), Tuple.of(6, mutated), Tuple.of(2, values),
                Tuple.of(1, pathological), Tuple.of(1, Arbitraries.of(new byte[0], new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                        " \t\r\n".getBytes(StandardCharsets.UTF_8))));
    }

    @Provide
    Arbitrary<FillMaskAnswer> answers() {
        Arbitrary<String> text = Arbitraries.frequencyOf(
                Tuple.of(6, FuzzText.text(20, 0)), Tuple.of(1, FuzzText.text(10, 3)), Tuple.of(2, longText()));
        Arbitrary<Double> score = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.doubles().between(0, 1)),
                Tuple.of(1, Arbitraries.of(0.0, -0.0, 1.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1e-300)));
        Arbitrary<Candidate> candidate = Combinators.combine(text, score, Arbitraries.longs(), FuzzText.text(2, 1))
                .as(Candidate::new);
        Arbitrary<List<Candidate>> row = Arbitraries.frequencyOf(
                Tuple.of(4, candidate.list().ofMaxSize(10)), Tuple.of(1, candidate.list().ofMinSize(50).ofMaxSize(400)));
        return Arbitraries.frequencyOf(
                Tuple.of(5, row.map(FillMaskAnswer.SingleMask::new)),
                Tuple.of(3, row.list().ofMinSize(2).ofMaxSize(5).map(FillMaskAnswer.MultiMask::new)),
                Tuple.of(1, FuzzText.text(20, 0).filter(s -> !s.isBlank()).map(FillMaskAnswer.Error::new)));
    }
}
