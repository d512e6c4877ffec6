package dev.fillmask.job.bench;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.FillMaskRequest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The benchmark's fixed corpus: real sentences of 5–60 words with one or two masks (shipped in
 * {@code bench/corpus.jsonl}), and a long set made from them: each sentence after enough of the others (masks
 * filled in) to reach about 128 tokens.
 */
public final class BenchCorpus {
    public static final String RESOURCE = "/bench/corpus.jsonl";
    public static final String HELD_OUT_RESOURCE = "/bench/heldout.jsonl";
    static final int LONG_TOKENS = 128;
    private static final String CORPUS_MASK = "[MASK]";

    private BenchCorpus() {}

    /** The corpus's requests. */
    public static List<FillMaskRequest> shortSet() {
        return resource(RESOURCE);
    }

    /**
     * The held-out corpus: about a hundred requests of other kinds of prose than the bench corpus's (manuals,
     * recipes, dialogue, news), for int8 accuracy figures. Never used to calibrate the quantizer or to choose any of
     * its thresholds, so agreement on it says how int8 does on text it was not fitted to.
     */
    public static List<FillMaskRequest> heldOutSet() {
        return resource(HELD_OUT_RESOURCE);
    }

    private static List<FillMaskRequest> resource(String name) {
        try (InputStream in = BenchCorpus.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the benchmark corpus " + name + " is not on the class path");
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The corpus is written with BERT's {@code [MASK]}: the same requests for a model whose mask token differs. */
    static List<FillMaskRequest> inMaskTokenOf(List<FillMaskRequest> requests, String maskToken) {
        return requests.stream()
                .map(r -> new FillMaskRequest(r.inputs().replace(CORPUS_MASK, maskToken), r.topK(), r.targets()))
                .toList();
    }

    /** The valid requests of a JSONL stream (the corpus has no others). */
    public static List<FillMaskRequest> read(InputStream in) throws IOException {
        FillMaskCodec codec = new FillMaskCodec();
        List<FillMaskRequest> requests = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (!line.isBlank() && codec.readRequest(line) instanceof DecodedRequest.Valid valid) {
                requests.add(valid.request());
            }
        }
        return requests;
    }

    /** One long request per short one: other sentences before it until {@code tokens} (with specials) is reached. */
    static List<FillMaskRequest> longSet(List<FillMaskRequest> shortSet, String maskToken, ToIntFunction<String> tokens) {
        return longSet(shortSet, maskToken, tokens, Integer.MAX_VALUE);
    }

    /**
     * The same, no input longer than {@code maxTokens} (the model's maximum: the raw session, unlike the engine, runs
     * no window over a longer input).
     */
    static List<FillMaskRequest> longSet(List<FillMaskRequest> shortSet, String maskToken, ToIntFunction<String> tokens,
                                         int maxTokens) {
        int target = Math.min(LONG_TOKENS, maxTokens);
        List<String> fillers = shortSet.stream().map(r -> r.inputs().replace(maskToken, "thing")).toList();
        List<FillMaskRequest> result = new ArrayList<>(shortSet.size());
        for (int i = 0; i < shortSet.size(); i++) {
            String text = shortSet.get(i).inputs();
            for (int k = 1; tokens.applyAsInt(text) < target - 12 && k < fillers.size(); k++) {
                String longer = fillers.get((i + k) % fillers.size()) + " " + text;
                if (tokens.applyAsInt(longer) > target) {
                    break;
                }
                text = longer;
            }
            result.add(new FillMaskRequest(text, shortSet.get(i).topK(), shortSet.get(i).targets()));
        }
        return result;
    }
}
