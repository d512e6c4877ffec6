package dev.fillmask.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic mix of requests of every kind the job must handle: single masks, several masks, top_k, targets
 * (in-vocabulary, capitalised, multi-piece, unknown, duplicates, none left), no mask, and malformed records (not
 * JSON, wrong types, empty, invalid UTF-8, a tombstone). A null value stands for a tombstone.
 */
final class MixedRequests {
    private static final String[] SUBJECTS = {"the man", "the woman", "my friend", "the doctor", "a child", "the king",
            "our teacher", "the old dog", "his sister", "the young lawyer"};
    private static final String[] ENDINGS = {"worked as a [MASK].", "went to the [MASK] yesterday.",
            "is the [MASK] of the family.", "bought a new [MASK].", "likes to eat [MASK] for breakfast."};
    private static final List<String> FIXED = List.of(
            "{\"inputs\": \"Paris is the [MASK] of France.\"}",
            "{\"inputs\": \"Hello I'm a [MASK] model.\", \"parameters\": {\"top_k\": 3}}",
            "{\"inputs\": \"The [MASK] sat on the [MASK].\", \"parameters\": {\"top_k\": 2}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"capital\", \"heart\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"Capital\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"parisians\", \"\\u2603\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"city\", \"city\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": []}}",
            "{\"inputs\": \"There is no mask in this sentence.\"}",
            "not json at all",
            "{\"inputs\": 42}",
            "[\"inputs\"]",
            "{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": \"five\"}}",
            "{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 0}}",
            "");

    private MixedRequests() {}

    /** {@code count} request values (null = tombstone), the same for the same count. */
    static List<byte[]> of(int count) {
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; values.size() < count; i++) {
            int kind = i % 10;
            if (kind == 9 && i / 10 < FIXED.size()) {
                values.add(utf8(FIXED.get(i / 10)));
            } else if (i % 47 == 46) {
                values.add(null);
            } else if (i % 53 == 52) {
                values.add(new byte[] {'{', '"', 'i', 'n', 'p', 'u', 't', 's', '"', ':', '"', (byte) 0xC3, '(', '"', '}'});
            } else {
                String text = SUBJECTS[i % SUBJECTS.length] + " " + ENDINGS[(i / SUBJECTS.length) % ENDINGS.length];
                int topK = 1 + i % 5;
                values.add(utf8("{\"inputs\": \"" + text + "\", \"parameters\": {\"top_k\": " + topK + "}}"));
            }
        }
        return values;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
