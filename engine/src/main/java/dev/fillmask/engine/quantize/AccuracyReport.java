package dev.fillmask.engine.quantize;

import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.FillMaskEngine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How far a candidate model's answers (int8) are from a reference's (fp32) on a corpus, mask by mask, through the
 * engines' public path (tokenizer, session, softmax, top-k): how often the best token is the same, how much of the top
 * five is shared, and the largest difference in score of a token both top fives contain. Requests are asked with
 * top_k 5 and no targets, whatever they say. Also records the wall time each engine took per batch, for orientation
 * only: the bench measures speed properly.
 *
 * @param requests requests answered by both (requests that are errors, e.g. without a mask, are left out)
 * @param masks masks compared
 * @param top1Agreements masks whose best token is the same in both
 * @param top5Overlap mean share of the reference's top five that the candidate's top five contains
 * @param maxScoreDifference largest |score difference| of a token in both top fives
 * @param batches batches timed per engine
 * @param referenceMillisPerBatch mean wall time of one reference batch
 * @param candidateMillisPerBatch mean wall time of one candidate batch
 * @param disagreements up to {@link #SHOWN_DISAGREEMENTS} masks whose best token differs, described
 */
public record AccuracyReport(int requests, int masks, int top1Agreements, double top5Overlap,
                             double maxScoreDifference, int batches, double referenceMillisPerBatch,
                             double candidateMillisPerBatch, List<String> disagreements) {
    public static final int SHOWN_DISAGREEMENTS = 5;
    private static final int TOP_K = 5;

    public double top1Agreement() {
        return masks == 0 ? 1.0 : (double) top1Agreements / masks;
    }

    /**
     * Answers {@code corpus} with both engines in batches of {@code batchSize} (one warm-up batch each, untimed,
     * then every batch timed) and compares the answers.
     */
    public static AccuracyReport compare(FillMaskEngine reference, FillMaskEngine candidate,
                                         List<FillMaskRequest> corpus, int batchSize) {
        List<FillMaskRequest> asked = corpus.stream().map(r -> new FillMaskRequest(r.inputs(), TOP_K, null)).toList();
        List<List<FillMaskRequest>> batches = new ArrayList<>();
        for (int i = 0; i < asked.size(); i += batchSize) {
            batches.add(asked.subList(i, Math.min(asked.size(), i + batchSize)));
        }
        if (batches.isEmpty()) {
            return new AccuracyReport(0, 0, 0, 1.0, 0.0, 0, 0, 0, List.of());
        }
        Timed ref = answerAll(reference, batches);
        Timed cand = answerAll(candidate, batches);

        int requests = 0;
        int masks = 0;
        int agreements = 0;
        double overlapSum = 0;
        double maxDiff = 0;
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            List<List<Candidate>> a = rows(ref.answers().get(i));
            List<List<Candidate>> b = rows(cand.answers().get(i));
            if (a == null || b == null || a.size() != b.size()) {
                continue;
            }
            requests++;
            for (int m = 0; m < a.size(); m++) {
                List<Candidate> x = a.get(m);
                List<Candidate> y = b.get(m);
                masks++;
                if (!x.isEmpty() && !y.isEmpty() && x.get(0).token() == y.get(0).token()) {
                    agreements++;
                } else if (disagreements.size() < SHOWN_DISAGREEMENTS && !x.isEmpty() && !y.isEmpty()) {
                    disagreements.add(String.format(Locale.ROOT, "\"%s\" mask %d: '%s' %.4f vs '%s' %.4f",
                            asked.get(i).inputs(), m + 1, x.get(0).tokenStr(), x.get(0).score(),
                            y.get(0).tokenStr(), y.get(0).score()));
                }
                Set<Long> shared = new HashSet<>();
                y.forEach(c -> shared.add(c.token()));
                int common = 0;
                for (Candidate c : x) {
                    if (shared.contains(c.token())) {
                        common++;
                        for (Candidate d : y) {
                            if (d.token() == c.token()) {
                                maxDiff = Math.max(maxDiff, Math.abs(c.score() - d.score()));
                            }
                        }
                    }
                }
                overlapSum += x.isEmpty() ? 1.0 : (double) common / x.size();
            }
        }
        return new AccuracyReport(requests, masks, agreements, masks == 0 ? 1.0 : overlapSum / masks, maxDiff,
                batches.size(), ref.millisPerBatch(), cand.millisPerBatch(), List.copyOf(disagreements));
    }

    /** The report as a few lines a person reads. */
    public String format(String referenceName, String candidateName) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s vs %s on %d requests (%d masks), top_k %d:%n", candidateName,
                referenceName, requests, masks, TOP_K));
        s.append(String.format(Locale.ROOT, "  top-1 agreement   %.3f (%d/%d)%n", top1Agreement(), top1Agreements, masks));
        s.append(String.format(Locale.ROOT, "  top-5 overlap     %.3f%n", top5Overlap));
        s.append(String.format(Locale.ROOT, "  max |score diff|  %.4f (tokens in both top fives)%n", maxScoreDifference));
        s.append(String.format(Locale.ROOT, "  time per batch    %s %.1f ms, %s %.1f ms (%.2fx), %d batches each%n",
                referenceName, referenceMillisPerBatch, candidateName, candidateMillisPerBatch,
                candidateMillisPerBatch > 0 ? referenceMillisPerBatch / candidateMillisPerBatch : 0.0, batches));
        for (String d : disagreements) {
            s.append("  differs: ").append(d).append(System.lineSeparator());
        }
        return s.toString();
    }

    private record Timed(List<FillMaskAnswer> answers, double millisPerBatch) {}

    private static Timed answerAll(FillMaskEngine engine, List<List<FillMaskRequest>> batches) {
        engine.predict(batches.get(0)); // warm-up: first runs allocate buffers and pick kernels
        List<FillMaskAnswer> answers = new ArrayList<>();
        long start = System.nanoTime();
        for (List<FillMaskRequest> batch : batches) {
            answers.addAll(engine.predict(batch));
        }
        double millis = (System.nanoTime() - start) / 1e6 / batches.size();
        return new Timed(answers, millis);
    }

    private static List<List<Candidate>> rows(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask s) {
            return List.of(s.candidates());
        }
        return answer instanceof FillMaskAnswer.MultiMask m ? m.rows() : null;
    }
}
