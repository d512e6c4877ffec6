package dev.fillmask.job.reliability;

import java.nio.charset.StandardCharsets;

/**
 * Request values for the reliability runs, a deterministic function of the request's number: sentences of 5 to 25
 * words with one or two masks, top_k 1 to 5, sometimes targets; one in 20 is malformed (not JSON, no mask, a wrong
 * type), so that error answers and dead letters flow too.
 */
public final class Requests {
    private static final String[] SUBJECTS = {"the man", "the woman", "my friend", "the doctor", "a child",
            "the old king", "our teacher", "his sister", "the young lawyer", "a tired farmer"};
    private static final String[] ENDINGS = {"worked as a [MASK].", "went to the [MASK] yesterday.",
            "bought a new [MASK].", "is the [MASK] of the family.", "likes to eat [MASK] for breakfast.",
            "lives in [MASK].", "said that the [MASK] was [MASK] again."};
    private static final String[] MIDDLES = {"", "after a long day at work and a short walk home, ",
            "although nobody in the small village by the river believed it, ", "as everyone knew, "};
    private static final String[] BAD = {"not json at all", "{\"inputs\": \"There is no mask in this sentence.\"}",
            "{\"inputs\": 42}", "{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": \"five\"}}"};

    private Requests() {}

    /** The value of request number {@code i}. */
    public static byte[] value(int i) {
        String json;
        if (i % 20 == 13) {
            json = BAD[(i / 20) % BAD.length];
        } else {
            String text = capital(MIDDLES[(i / 3) % MIDDLES.length] + SUBJECTS[i % SUBJECTS.length]) + " "
                    + ENDINGS[(i / SUBJECTS.length) % ENDINGS.length];
            if (i % 11 == 5) {
                json = "{\"inputs\": \"" + text + "\", \"parameters\": {\"targets\": [\"house\", \"city\", \"teacher\"]}}";
            } else {
                json = "{\"inputs\": \"" + text + "\", \"parameters\": {\"top_k\": " + (1 + i % 5) + "}}";
            }
        }
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether request number {@code i} is malformed (its answer is an error and it has a dead letter). */
    public static boolean isBad(int i) {
        return i % 20 == 13;
    }

    private static String capital(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
